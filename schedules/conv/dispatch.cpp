// Which target file schedules a conv pipeline, and picks its default knobs.
#include <stdexcept>

#include "stages.h"

namespace convforge {

ConvKnobs default_conv_knobs(const Halide::Target &target) {
    const TargetFacts facts = target_facts(target);
    switch (facts.family) {
    case ScheduleFamily::Cuda:
        return default_conv_knobs_cuda(facts);
    case ScheduleFamily::Arm:
        return default_conv_knobs_arm(facts);
    case ScheduleFamily::X86:
        return default_conv_knobs_x86(facts);
    }
    throw std::logic_error("no schedule family");
}

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
