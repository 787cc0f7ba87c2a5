// AArch64 NEON SPConv schedule: the shared CPU SPConv loop nest (spconv/cpu.cpp)
// with the conv's NEON fallbacks.
// Measured: correctness only, under qemu-aarch64 on x86 (no ARM hardware yet); speed unmeasured.
#include "../conv/stages.h"
#include "../spconv/stages.h"

namespace convforge {

KnobSpace spconv_knob_space_arm(const TargetFacts &facts) {
    return spconv_cpu_knob_space(facts, conv_knob_space_arm(facts, ConvPath::Dense).defaults());
}

}  // namespace convforge
