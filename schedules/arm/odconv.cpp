// AArch64 NEON ODConv schedule: the dynamic convolutions' CPU loop nest (dynamic_conv/cpu.cpp)
// with the conv's NEON fallbacks (chunked on the dense path).
// Measured: correctness only, under qemu-aarch64 on x86 (no ARM hardware yet); speed unmeasured.
#include "../conv/stages.h"
#include "../odconv/stages.h"

namespace convforge {

KnobSpace odconv_knob_space_arm(const TargetFacts &facts, ConvPath path) {
    return dynamic_conv_cpu_knob_space(facts, path, conv_knob_space_arm(facts, path).defaults());
}

}  // namespace convforge
