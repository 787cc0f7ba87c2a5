// x86 SPConv schedule: the shared CPU SPConv loop nest (spconv/cpu.cpp), whose
// two branches' register tiles are the conv's dense ones, with the conv's x86 fallbacks.
// Measured: correctness only so far (the fallback register tiles of the conv: AVX-512 2x7x2, AVX2 and SSE4.1 2x3x2).
#include "../conv/stages.h"
#include "../spconv/stages.h"

namespace convforge {

// Each branch's register tile is computed on its own, so it keeps the register
// budget of one conv tile: the conv's dense knobs and fallbacks apply.
KnobSpace spconv_knob_space_x86(const TargetFacts &facts) {
    return spconv_cpu_knob_space(facts, conv_knob_space_x86(facts, ConvPath::Dense).defaults());
}

}  // namespace convforge
