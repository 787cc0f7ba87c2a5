// AArch64 NEON conv knobs: the CPU loop nest (cpu.cpp) with NEON fallbacks; the schedule is cpu.cpp's.
// Measured: correctness only, under qemu-aarch64 on x86 (no ARM hardware yet); speed unmeasured.
#include "cpu.h"

namespace convforge {

// The fallback values: AArch64 NEON has 4-lane vectors and 32 registers, so 4
// channel vectors are one 16-channel packed weight tile, with a 3 x 2 pixel tile:
// 24 accumulators. 32-bit ARM has 16 quad registers: half the channel vectors.
KnobSpace conv_knob_space_arm(const TargetFacts &facts, ConvPath path) {
    const bool neon64 = facts.vector_registers == 32;
    return cpu_conv_knob_space(facts, path,
                               {{"channel_vectors", neon64 ? 4 : 2}, {"tile_x", 3}, {"tile_y", 2},
                                {"input_channel_chunk", 0}, {"task_tile_rows", 0}, {"image_at_a_time", 0}, {"grouped_vectors", 2},
                                {"pointwise_channels", 8}, {"pointwise_vectors", neon64 ? 2 : 1}});
}

}  // namespace convforge
