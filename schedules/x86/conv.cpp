// x86 conv schedule: the shared CPU loop nest (conv/cpu.cpp) with x86 knobs.
// Measured: AMD EPYC Zen 3 (AVX2+FMA), 2 threads, dense 2x3x2 tile: 0.75-0.87x oneDNN's time at batch 8 (docs/performance.md).
#include "../conv/cpu.h"

namespace convforge {

// Accumulators = channel_vectors * tile_x * tile_y must leave registers for the
// weight vectors and one broadcast: 16 vector registers on AVX2 and SSE4.1, 32 on
// AVX-512. A 2-D pixel tile (x and y) lets the unrolled broadcasts use fixed
// offsets; a 1 x 5 row made LLVM vectorize the address math. Vector width: 4
// floats on SSE4.1, 8 on AVX2, 16 on AVX-512 (target_facts).
ConvKnobs default_conv_knobs_x86(const TargetFacts &facts) {
    ConvKnobs k;
    k.vector_width = facts.vector_floats;
    k.channel_vectors = 2;
    k.tile_x = 3;
    k.tile_y = 2;
    k.pointwise_channels = 8;
    k.pointwise_vectors = 1;
    if (facts.vector_registers == 32) {  // AVX-512: a larger pixel tile fits
        k.tile_x = 4;
        k.tile_y = 3;
        k.pointwise_vectors = 2;
    }
    return k;
}

void schedule_conv_x86(const ConvStages &s, const ConvKnobs &k) { schedule_conv_cpu(s, k); }

}  // namespace convforge
