// x86 DSConv (integer mode) schedule: the shared CPU nest (dsconv/cpu.cpp).
// AVX-512: two vectors of 16 output channels x 3 x 2 pixels (12 int32 and 12 float
// accumulators of 32 registers; within 1 % of 1 x 7 x 2 and 2 x 7 x 1, bench --against);
// AVX2 and SSE4.1 (16 registers): one vector x 3 x 1.
// Measured: AMD EPYC Zen 4 (family 25 model 17, AVX-512 VNNI), 2 threads, batch 8, these fallbacks (2 vectors 3x2), 8 bits, blocks of 32: 0.54x, 0.53x, 0.54x, 0.81x the time of convforge's fp32 conv at the four benchmark shapes (stride 2 last; 1 thread 0.43-0.80x), 2.7-5.9x faster than the PyTorch module (convforge_vs_pytorch --quick).
#include "../dsconv/stages.h"

namespace convforge {

KnobSpace dsconv_knob_space_x86(const TargetFacts &facts) {
    const bool avx512 = facts.vector_registers == 32;
    return dsconv_cpu_knob_space(facts, {{"channel_vectors", avx512 ? 2 : 1}, {"tile_x", 3}, {"tile_y", avx512 ? 2 : 1}});
}

}  // namespace convforge
