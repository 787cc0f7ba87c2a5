// Which target file declares an SPConv pipeline's knobs and schedules it, and the
// SPConv knob space registered for the schedule database ("spconv" records).
#include <stdexcept>

#include "stages.h"
#include "../knob_space_registry.h"

namespace convforge {

KnobSpace spconv_knob_space(const TargetFacts &facts) {
    switch (facts.family) {
    case ScheduleFamily::Cuda:
        return spconv_knob_space_cuda(facts);
    case ScheduleFamily::Arm:
        return spconv_knob_space_arm(facts);
    case ScheduleFamily::X86:
        return spconv_knob_space_x86(facts);
    }
    throw std::logic_error("no schedule family");
}

void schedule_spconv(const SpconvStages &s, const KnobValues &k, const TargetFacts &facts) {
    if (facts.family == ScheduleFamily::Cuda) return schedule_spconv_cuda(s, k, facts);
    schedule_spconv_cpu(s, k, facts);
}

namespace {

// One shape class, the path SPConv takes (spconv_paths.def).
const std::vector<std::string> kShapeClasses = {
#define CONVFORGE_SPCONV_PATH(kind, name) #name,
#include "../../generators/spconv_paths.def"
#undef CONVFORGE_SPCONV_PATH
};

// One space for its one class (the registry has checked the class).
KnobSpace spconv_space_for_class(const TargetFacts &facts, const std::string &) { return spconv_knob_space(facts); }

std::vector<std::string> spconv_shape_classes() { return kShapeClasses; }

const bool registered = register_knob_space("spconv", spconv_space_for_class, spconv_shape_classes);

}  // namespace

}  // namespace convforge
