// Which target file declares an SAConv pipeline's knobs and schedules it, and the
// SAConv knob spaces registered for the schedule database ("saconv" records): one
// shape class per conv path SAConv's generator takes.
#include "stages.h"
#include "../path_knob_spaces.h"

namespace convforge {

namespace {

constexpr PathKnobSpaces kSpaces{saconv_knob_space_cuda, saconv_knob_space_arm, saconv_knob_space_x86};

const bool registered = register_path_knob_spaces("saconv",
                                                  {
#define CONVFORGE_SACONV_PATH(kind, name) #name,
#include "../../generators/saconv_paths.def"
#undef CONVFORGE_SACONV_PATH
                                                  },
                                                  kSpaces);

}  // namespace

KnobSpace saconv_knob_space(const TargetFacts &facts, ConvPath path) { return kSpaces.on(facts, path); }

void schedule_saconv(const SaconvStages &s, const KnobValues &k, const TargetFacts &facts) {
    if (facts.family == ScheduleFamily::Cuda) return schedule_saconv_cuda(s, k, facts);
    schedule_saconv_cpu(s, k, facts);
}

}  // namespace convforge
