// x86 DSConv (integer mode) schedule: the shared CPU nest (dsconv/cpu.cpp).
// AVX-512: one vector of 16 output channels x 4 x 2 pixels (16 int32 and 16 float
// accumulators of 32 registers); AVX2 and SSE4.1 (16 registers): 3 x 1.
// Measured: not yet (its first version; correctness on Zen 4 only).
#include "../dsconv/stages.h"

namespace convforge {

KnobSpace dsconv_knob_space_x86(const TargetFacts &facts) {
    const bool avx512 = facts.vector_registers == 32;
    return dsconv_cpu_knob_space(facts, {{"channel_vectors", avx512 ? 2 : 1}, {"tile_x", avx512 ? 3 : 3}, {"tile_y", avx512 ? 2 : 1}});
}

}  // namespace convforge
