// x86 CondConv schedule: the dynamic convolutions' CPU loop nest (dynamic_conv/cpu.cpp), whose
// register tiles are the conv's, with the conv's x86 fallbacks (chunked on the dense path).
// Measured: not yet.
#include "../conv/stages.h"
#include "../condconv/stages.h"

namespace convforge {

KnobSpace condconv_knob_space_x86(const TargetFacts &facts, ConvPath path) {
    return dynamic_conv_cpu_knob_space(facts, path, conv_knob_space_x86(facts, path).defaults());
}

}  // namespace convforge
