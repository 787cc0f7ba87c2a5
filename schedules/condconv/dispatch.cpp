// Which target file declares a CondConv pipeline's knobs and schedules it, and the
// CondConv knob spaces registered for the schedule database ("condconv" records): one
// shape class per conv path CondConv's generator takes.
#include "stages.h"
#include "../path_knob_spaces.h"

namespace convforge {

namespace {

constexpr PathKnobSpaces kSpaces{dynamic_conv_knob_space_cuda, condconv_knob_space_arm, condconv_knob_space_x86};

const bool registered = register_path_knob_spaces("condconv",
                                                  {
#define CONVFORGE_CONDCONV_PATH(kind, name) #name,
#include "../../generators/condconv_paths.def"
#undef CONVFORGE_CONDCONV_PATH
                                                  },
                                                  kSpaces);

}  // namespace

KnobSpace condconv_knob_space(const TargetFacts &facts, ConvPath path) { return kSpaces.on(facts, path); }

void schedule_condconv(const DynamicConvStages &s, const KnobValues &k, const TargetFacts &facts) {
    if (facts.family == ScheduleFamily::Cuda) return schedule_dynamic_conv_cuda(s, k, facts);
    schedule_dynamic_conv_cpu(s, k, facts);
}

}  // namespace convforge
