// x86 CondConv schedule: the dynamic convolutions' CPU loop nest (dynamic_conv/cpu.cpp), whose
// register tiles are the conv's, with the conv's x86 fallbacks (chunked on the dense path).
// Measured: AMD EPYC Zen 4 (family 25 model 17, AVX-512), 2 threads, batch 8, tuned records (stride 2 1.16x its fallback; 256->256 14x14 1 channel vector in 16-channel chunks, 1.05x the tuner's pick by bench --against): 1.11-1.17x the time of convforge's conv at the four benchmark shapes, 1.89-3.44x faster than the PyTorch module at 256->256 14x14 (two runs).
#include "../conv/stages.h"
#include "../condconv/stages.h"

namespace convforge {

KnobSpace condconv_knob_space_x86(const TargetFacts &facts, ConvPath path) {
    return dynamic_conv_cpu_knob_space(facts, path, conv_knob_space_x86(facts, path).defaults());
}

}  // namespace convforge
