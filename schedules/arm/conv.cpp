// AArch64 NEON conv schedule: the shared CPU loop nest (conv/cpu.cpp) with NEON knobs.
// Measured: correctness only, under qemu-aarch64 on x86 (no ARM hardware yet); speed unmeasured.
#include "../conv/cpu.h"

namespace convforge {

// 4-lane vectors and 32 registers: 4 channel vectors are one 16-channel packed
// weight tile, with a 3 x 2 pixel tile that is 24 accumulators.
ConvKnobs default_conv_knobs_arm(const TargetFacts &facts) {
    ConvKnobs k;
    k.vector_width = facts.vector_floats;
    k.channel_vectors = 4;
    k.tile_x = 3;
    k.tile_y = 2;
    k.pointwise_channels = 8;
    k.pointwise_vectors = 2;
    return k;
}

void schedule_conv_arm(const ConvStages &s, const ConvKnobs &k) { schedule_conv_cpu(s, k); }

}  // namespace convforge
