// DSConv's schedules on each target family, defined under their schedule-database
// keys: "dsconv" (integer mode, a shape class per path dsconv_paths.def lists) and
// "dsconv_exact" (exact mode: the conv's knobs, with records of their own, since
// its best knobs need not be the conv's where they decide whether the kernel is
// expanded a chunk at a time; the runtime reads the conv's where exact mode has
// none, KernelPlan::fallback_variant).
#include "stages.h"
#include "../variant_schedule.h"

namespace convforge {
namespace {

const VariantSchedule<DsconvStages> integer_mode{"dsconv",
                                                 {
#define CONVFORGE_PATH(kind, name) ConvPath::kind,
#include "dsconv_paths.def"
#undef CONVFORGE_PATH
                                                 },
                                                 {dsconv_knob_space_x86, dsconv_knob_space_arm, dsconv_knob_space_cuda},
                                                 schedule_dsconv_cpu, schedule_dsconv_cuda};

const VariantSchedule<DsconvExactStages, KernelChunkLevel> exact_mode{
    "dsconv_exact",
    {
#define CONVFORGE_PATH(kind, name) ConvPath::kind,
#include "dsconv_exact_paths.def"
#undef CONVFORGE_PATH
    },
    {conv_knob_space_x86, conv_knob_space_arm, conv_knob_space_cuda},
    schedule_dsconv_exact_cpu, schedule_dsconv_exact_cuda};

}  // namespace
}  // namespace convforge
