// x86 DSConv (integer mode) schedule: the shared CPU nest (dsconv/cpu.cpp).
// AVX-512: one vector of 16 output channels x 7 x 2 pixels (14 int32 and 14 float
// accumulators of 32 registers), what `convforge tune` chose at three of the four
// benchmark shapes (1.01-1.05x faster than 2 vectors x 3 x 2); the pixel passes for
// the whole batch (one image at a time was no faster on Zen 4); AVX2 and SSE4.1 (16 registers):
// one vector x 3 x 1.
// Measured: AMD EPYC Zen 4 (family 25 model 17, AVX-512 VNNI), 2 threads, batch 8, the tuned records, 8 bits, blocks of 32, 2026-12-05: 0.41-0.45x the time of convforge's fp32 conv at the four benchmark shapes (stride 2 0.44-0.45x; 1 thread 0.39-0.45x), 4.6-8.9x faster than the PyTorch module (convforge_vs_pytorch --quick, two runs, docs/performance.md).
#include "../dsconv/stages.h"

namespace convforge {

KnobSpace dsconv_knob_space_x86(const TargetFacts &facts) {
    const bool avx512 = facts.vector_registers == 32;
    return dsconv_cpu_knob_space(facts, {{"channel_vectors", 1}, {"tile_x", avx512 ? 7 : 3}, {"tile_y", avx512 ? 2 : 1},
                                         {"image_at_a_time", 0}});
}

}  // namespace convforge
