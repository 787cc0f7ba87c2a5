#include "conv_stages.h"
#include "target_facts.h"

namespace convforge {

void schedule_conv(const ConvStages &s, const ConvKnobs &k, const Halide::Target &target) {
    switch (target_facts(target).family) {
    case ScheduleFamily::Cuda:
        return schedule_conv_cuda(s, k);
    case ScheduleFamily::Arm:
        return schedule_conv_arm(s, k);
    case ScheduleFamily::X86:
        return schedule_conv_x86(s, k);
    }
}

}  // namespace convforge
