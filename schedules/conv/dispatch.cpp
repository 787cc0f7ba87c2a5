// Which target file declares a conv pipeline's knobs and schedules it, and the
// conv knob spaces registered for the schedule database ("conv" records).
#include <stdexcept>

#include "stages.h"
#include "../knob_space_registry.h"

namespace convforge {

KnobSpace conv_knob_space(const TargetFacts &facts, ConvPath path) {
    switch (facts.family) {
    case ScheduleFamily::Cuda:
        return conv_knob_space_cuda(facts, path);
    case ScheduleFamily::Arm:
        return conv_knob_space_arm(facts, path);
    case ScheduleFamily::X86:
        return conv_knob_space_x86(facts, path);
    }
    throw std::logic_error("no schedule family");
}

KernelChunkLevel schedule_conv(const ConvStages &s, const KnobValues &k, const TargetFacts &facts) {
    switch (facts.family) {
    case ScheduleFamily::Cuda:
        return schedule_conv_cuda(s, k, facts);
    case ScheduleFamily::Arm:
        return schedule_conv_arm(s, k, facts);
    case ScheduleFamily::X86:
        return schedule_conv_x86(s, k, facts);
    }
    throw std::logic_error("no schedule family");
}

int register_tile_columns(const TargetFacts &facts, const KnobValues &k) {
    const auto it = k.find("tile_x");
    return facts.family == ScheduleFamily::Cuda || it == k.end() ? 0 : it->second;
}

// Shape classes are the kernel paths (the registry has checked the class).
KnobSpace conv_knob_space_for_class(const TargetFacts &facts, const std::string &shape_class) {
    return conv_knob_space(facts, conv_path_names().at(shape_class));
}

std::vector<std::string> conv_shape_classes() {
    std::vector<std::string> names;
    for (const auto &[name, path] : conv_path_names()) names.push_back(name);
    return names;
}

namespace {

const bool registered = register_knob_space("conv", conv_knob_space_for_class, conv_shape_classes);

}  // namespace

}  // namespace convforge
