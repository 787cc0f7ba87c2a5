#include "variant_schedule.h"

#include <stdexcept>

#include "knob_space_registry.h"

namespace convforge {

KnobSpace FamilyKnobSpaces::on(const TargetFacts &facts, ConvPath path) const {
    switch (facts.family) {
    case ScheduleFamily::Gpu:
        return gpu(facts, path);
    case ScheduleFamily::Arm:
        return arm(facts, path);
    case ScheduleFamily::X86:
        return x86(facts, path);
    }
    throw std::logic_error("no schedule family");
}

void register_path_knob_spaces(const std::string &variant_key, const std::vector<ConvPath> &paths,
                               const FamilyKnobSpaces &spaces) {
    std::vector<std::string> names;
    for (ConvPath path : paths) names.push_back(conv_path_name(path));
    // The registry has checked the class against `names`.
    auto space_of_class = [spaces](const TargetFacts &facts, const std::string &shape_class) {
        return spaces.on(facts, conv_path_names().at(shape_class));
    };
    register_knob_space(variant_key, space_of_class, [names] { return names; });
}

}  // namespace convforge
