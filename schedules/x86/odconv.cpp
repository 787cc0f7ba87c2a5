// x86 ODConv schedule: the dynamic convolutions' CPU loop nest (dynamic_conv/cpu.cpp), whose
// register tiles are the conv's, with the conv's x86 fallbacks (chunked on the dense path).
// Measured: AMD EPYC Zen 4 (family 25 model 17, AVX-512), 2 threads, batch 8, tuned records (1.06-1.18x their fallbacks): 0.97-1.26x the time of convforge's conv at the four benchmark shapes (stride 2 the worst; 1.61x with the fallback knobs), 5.69x faster than the PyTorch module at 256->256 14x14.
#include "../conv/stages.h"
#include "../odconv/stages.h"

namespace convforge {

KnobSpace odconv_knob_space_x86(const TargetFacts &facts, ConvPath path) {
    return dynamic_conv_cpu_knob_space(facts, path, conv_knob_space_x86(facts, path).defaults());
}

}  // namespace convforge
