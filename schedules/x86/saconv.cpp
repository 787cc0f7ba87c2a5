// x86 SAConv schedule: the shared CPU SAConv loop nest (saconv/cpu.cpp), whose two
// branches' register tiles are the conv's, with the conv's x86 knobs.
// Measured: AMD EPYC Zen 5 (AVX-512), 2 threads, batch 8: 2.05-2.23x the time of convforge's tuned conv, the tuned tiles 1.00-1.03x faster than the 2x7x2 fallback.
#include "../conv/stages.h"
#include "../saconv/stages.h"

namespace convforge {

// Each branch's register tile is computed on its own (never both at once), so it
// keeps the register budget of one conv tile: the conv's space and fallbacks apply.
KnobSpace saconv_knob_space_x86(const TargetFacts &facts, ConvPath path) {
    return saconv_cpu_knob_space(conv_knob_space_x86(facts, path), path);
}

}  // namespace convforge
