// AArch64 NEON DSConv (integer mode) knobs: the CPU nest (cpu.cpp) with NEON fallbacks,
// 4 output channels x 4 x 2 pixels (32 registers); 32-bit ARM (16): 3 x 1.
// Measured: correctness only, under qemu-aarch64 on x86 (no ARM hardware yet); speed unmeasured.
#include "stages.h"

namespace convforge {

KnobSpace dsconv_knob_space_arm(const TargetFacts &facts, ConvPath) {
    const bool neon64 = facts.vector_registers == 32;
    return dsconv_cpu_knob_space(facts, {{"channel_vectors", 1}, {"tile_x", neon64 ? 4 : 3}, {"tile_y", neon64 ? 2 : 1},
                                         {"image_at_a_time", 0}});
}

}  // namespace convforge
