#include "path_knob_spaces.h"

#include <stdexcept>

#include "knob_space_registry.h"

namespace convforge {

KnobSpace PathKnobSpaces::on(const TargetFacts &facts, ConvPath path) const {
    switch (facts.family) {
    case ScheduleFamily::Cuda:
        return cuda(facts, path);
    case ScheduleFamily::Arm:
        return arm(facts, path);
    case ScheduleFamily::X86:
        return x86(facts, path);
    }
    throw std::logic_error("no schedule family");
}

bool register_path_knob_spaces(const std::string &variant_key, std::vector<std::string> path_names,
                               PathKnobSpaces spaces) {
    // The registry has checked the class against path_names.
    auto space = [spaces](const TargetFacts &facts, const std::string &shape_class) {
        return spaces.on(facts, conv_path_names().at(shape_class));
    };
    return register_knob_space(variant_key, space, [path_names] { return path_names; });
}

}  // namespace convforge
