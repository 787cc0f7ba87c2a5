// Which target file declares a CondConv pipeline's knobs and schedules it, and the
// CondConv knob spaces registered for the schedule database ("condconv" records).
#include <stdexcept>

#include "stages.h"
#include "../knob_space_registry.h"

namespace convforge {

KnobSpace condconv_knob_space(const TargetFacts &facts, ConvPath path) {
    switch (facts.family) {
    case ScheduleFamily::Cuda:
        return condconv_knob_space_cuda(facts, path);
    case ScheduleFamily::Arm:
        return condconv_knob_space_arm(facts, path);
    case ScheduleFamily::X86:
        return condconv_knob_space_x86(facts, path);
    }
    throw std::logic_error("no schedule family");
}

void schedule_condconv(const CondconvStages &s, const KnobValues &k, const TargetFacts &facts) {
    if (facts.family == ScheduleFamily::Cuda) return schedule_condconv_cuda(s, k, facts);
    schedule_condconv_cpu(s, k, facts);
}

namespace {

// Shape classes are the conv paths CondConv takes.
const std::vector<std::string> kShapeClasses = {
#define CONVFORGE_CONDCONV_PATH(kind, name) #name,
#include "../../generators/condconv_paths.def"
#undef CONVFORGE_CONDCONV_PATH
};

KnobSpace condconv_space_for_class(const TargetFacts &facts, const std::string &shape_class) {
    for (const std::string &name : kShapeClasses) {
        if (name == shape_class) return condconv_knob_space(facts, conv_path_names().at(name));
    }
    throw std::invalid_argument("condconv has no shape class '" + shape_class + "'");
}

std::vector<std::string> condconv_shape_classes() { return kShapeClasses; }

const bool registered = register_knob_space("condconv", condconv_space_for_class, condconv_shape_classes);

}  // namespace

}  // namespace convforge
