// Which target file declares an SAConv pipeline's knobs and schedules it, and the
// SAConv knob spaces registered for the schedule database ("saconv" records).
#include <stdexcept>

#include "stages.h"
#include "../knob_space_registry.h"

namespace convforge {

KnobSpace saconv_knob_space(const TargetFacts &facts, ConvPath path) {
    switch (facts.family) {
    case ScheduleFamily::Cuda:
        return saconv_knob_space_cuda(facts, path);
    case ScheduleFamily::Arm:
        return saconv_knob_space_arm(facts, path);
    case ScheduleFamily::X86:
        return saconv_knob_space_x86(facts, path);
    }
    throw std::logic_error("no schedule family");
}

void schedule_saconv(const SaconvStages &s, const KnobValues &k, const TargetFacts &facts) {
    if (facts.family == ScheduleFamily::Cuda) return schedule_saconv_cuda(s, k, facts);
    schedule_saconv_cpu(s, k, facts);
}

namespace {

// Shape classes are the conv paths SAConv takes.
const std::vector<std::string> kShapeClasses = {
#define CONVFORGE_SACONV_PATH(kind, name) #name,
#include "../../generators/saconv_paths.def"
#undef CONVFORGE_SACONV_PATH
};

KnobSpace saconv_space_for_class(const TargetFacts &facts, const std::string &shape_class) {
    for (const std::string &name : kShapeClasses) {
        if (name == shape_class) return saconv_knob_space(facts, conv_path_names().at(name));
    }
    throw std::invalid_argument("saconv has no shape class '" + shape_class + "'");
}

std::vector<std::string> saconv_shape_classes() { return kShapeClasses; }

const bool registered = register_knob_space("saconv", saconv_space_for_class, saconv_shape_classes);

}  // namespace

}  // namespace convforge
