// Which target file declares an ODConv pipeline's knobs and schedules it, and the
// ODConv knob spaces registered for the schedule database ("odconv" records): one
// shape class per conv path ODConv's generator takes.
#include "stages.h"
#include "../path_knob_spaces.h"

namespace convforge {

namespace {

constexpr PathKnobSpaces kSpaces{dynamic_conv_knob_space_cuda, odconv_knob_space_arm, odconv_knob_space_x86};

const bool registered = register_path_knob_spaces("odconv",
                                                  {
#define CONVFORGE_ODCONV_PATH(kind, name) #name,
#include "../../generators/odconv_paths.def"
#undef CONVFORGE_ODCONV_PATH
                                                  },
                                                  kSpaces);

}  // namespace

KnobSpace odconv_knob_space(const TargetFacts &facts, ConvPath path) { return kSpaces.on(facts, path); }

void schedule_odconv(const DynamicConvStages &s, const KnobValues &k, const TargetFacts &facts) {
    if (facts.family == ScheduleFamily::Cuda) return schedule_dynamic_conv_cuda(s, k, facts);
    schedule_dynamic_conv_cpu(s, k, facts);
}

}  // namespace convforge
