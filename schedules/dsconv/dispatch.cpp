// Which target file declares a DSConv (integer mode) pipeline's knobs and
// schedules it, and the DSConv knob spaces registered for the schedule database:
// "dsconv" records (integer mode) and "dsconv_exact" records (exact mode: the
// conv's knobs, with records of its own, since its best knobs need not be the
// conv's where they decide whether the kernel is expanded a chunk at a time; the
// runtime reads the conv's where exact mode has none, KernelPlan::fallback_variant).
#include <stdexcept>

#include "stages.h"
#include "../knob_space_registry.h"

namespace convforge {

KnobSpace dsconv_knob_space(const TargetFacts &facts) {
    switch (facts.family) {
    case ScheduleFamily::Cuda:
        return dsconv_knob_space_cuda(facts);
    case ScheduleFamily::Arm:
        return dsconv_knob_space_arm(facts);
    case ScheduleFamily::X86:
        return dsconv_knob_space_x86(facts);
    }
    throw std::logic_error("no schedule family");
}

void schedule_dsconv(const DsconvStages &s, const KnobValues &k, const TargetFacts &facts) {
    if (facts.family == ScheduleFamily::Cuda) return schedule_dsconv_cuda(s, k, facts);
    schedule_dsconv_cpu(s, k, facts);
}

void schedule_dsconv_exact(const ConvStages &s, Halide::Func kernel, const KnobValues &k, const TargetFacts &facts) {
    const KernelChunkLevel kernel_chunks = schedule_conv(s, k, facts);
    if (facts.family == ScheduleFamily::Cuda) return place_effective_kernel_cuda(kernel);
    place_effective_kernel_cpu(kernel, kernel_chunks, facts);
}

namespace {

// One shape class, the path DSConv's kernel takes (dsconv_paths.def).
const std::vector<std::string> kShapeClasses = {
#define CONVFORGE_DSCONV_PATH(kind, name) #name,
#include "../../generators/dsconv_paths.def"
#undef CONVFORGE_DSCONV_PATH
};

// One space for its one class (the registry has checked the class).
KnobSpace dsconv_space_for_class(const TargetFacts &facts, const std::string &) { return dsconv_knob_space(facts); }

std::vector<std::string> dsconv_shape_classes() { return kShapeClasses; }

const bool registered = register_knob_space("dsconv", dsconv_space_for_class, dsconv_shape_classes);
const bool exact_registered = register_knob_space("dsconv_exact", conv_knob_space_for_class, conv_shape_classes);

}  // namespace

}  // namespace convforge
