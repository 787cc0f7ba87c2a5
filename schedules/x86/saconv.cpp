// x86 SAConv schedule: the shared CPU SAConv loop nest (saconv/cpu.cpp), whose two
// register tiles per output tile are the conv's, with the conv's x86 knobs.
// Measured: not yet tuned on its own; the conv's fallbacks (AMD EPYC Zen 4, 2 threads) hold until a record exists.
#include "../conv/stages.h"
#include "../saconv/stages.h"

namespace convforge {

// The branches run one after the other in each output tile, so each keeps the
// register budget of one conv tile: the conv's space and fallbacks apply as they are.
KnobSpace saconv_knob_space_x86(const TargetFacts &facts, ConvPath path) { return conv_knob_space_x86(facts, path); }

}  // namespace convforge
