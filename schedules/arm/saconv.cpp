// AArch64 NEON SAConv schedule: the shared CPU SAConv loop nest (saconv/cpu.cpp)
// with the conv's NEON knobs.
// Measured: correctness only, under qemu-aarch64 on x86 (no ARM hardware yet); speed unmeasured.
#include "../saconv/stages.h"

namespace convforge {

KnobSpace saconv_knob_space_arm(const TargetFacts &facts, ConvPath path) {
    return saconv_cpu_knob_space(conv_knob_space_arm(facts, path), path, facts);
}

}  // namespace convforge
