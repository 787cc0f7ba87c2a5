#include "conv_stages.h"

namespace convforge {

void schedule_conv(const ConvStages &s, const ConvKnobs &k, const Halide::Target &target) {
    if (target.has_feature(Halide::Target::CUDA)) {
        schedule_conv_cuda(s, k);
    } else if (target.arch == Halide::Target::ARM) {
        schedule_conv_arm(s, k);
    } else {
        schedule_conv_x86(s, k);
    }
}

}  // namespace convforge
