// x86 SPConv schedule: the shared CPU SPConv loop nest (spconv/cpu.cpp), whose one
// register tile per output tile is the conv's dense one, with the conv's x86 fallbacks.
// Measured: AMD EPYC Zen 2 (AVX2), 2 threads, batch 8, tuned records (2x3x2, 2x2x3, 2x3x2; stride 2 2x2x3 one image at a time, 1.17x its fallback): 0.52-0.73x the time of convforge's conv at the four benchmark shapes, stride 2 the worst (docs/performance.md). AMD EPYC Zen 4 (AVX-512), 2 threads, batch 8, tuned records (2x7x2, 2x2x4, 1x7x2; stride 2 1x7x2 one image at a time, 1.28x its fallback): 0.44-0.55x the time of the retuned conv, 1.42-3.88x faster than the PyTorch module.
#include "../conv/stages.h"
#include "../spconv/stages.h"

namespace convforge {

// Both branches sum into one register tile, which keeps the register budget of
// one conv tile: the conv's dense knobs and fallbacks apply.
KnobSpace spconv_knob_space_x86(const TargetFacts &facts) {
    return spconv_cpu_knob_space(facts, conv_knob_space_x86(facts, ConvPath::Dense).defaults());
}

}  // namespace convforge
