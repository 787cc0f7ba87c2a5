// The conv's schedule on each target family, defined under its schedule-database
// key ("conv" records, a shape class per conv path), and the conv's knobs and
// loop nest as the variants that run them reach them.
#include "stages.h"
#include "../variant_schedule.h"

namespace convforge {

namespace {

using ConvSchedule = VariantSchedule<ConvStages, KernelChunkLevel>;

const ConvSchedule schedule{"conv",
                            {
#define CONVFORGE_PATH(kind, name) ConvPath::kind,
#include "conv_paths.def"
#undef CONVFORGE_PATH
                            },
                            {conv_knob_space_x86, conv_knob_space_arm, conv_knob_space_cuda},
                            schedule_conv_cpu, schedule_conv_cuda};

}  // namespace

KnobSpace conv_knob_space(const TargetFacts &facts, ConvPath path) { return schedule.knob_space(facts, path); }

KernelChunkLevel schedule_conv(const ConvStages &s, const KnobValues &k, const TargetFacts &facts) {
    return schedule.schedule(s, k, facts);
}

}  // namespace convforge
