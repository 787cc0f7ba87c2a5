// SAConv's schedule on each target family, defined under its schedule-database key
// ("saconv" records, a shape class per path saconv_paths.def lists).
#include "stages.h"
#include "../variant_schedule.h"

namespace convforge {
namespace {

const VariantSchedule<SaconvStages> schedule{"saconv",
                                              {
#define CONVFORGE_PATH(kind, name) ConvPath::kind,
#include "saconv_paths.def"
#undef CONVFORGE_PATH
                                              },
                                              {saconv_knob_space_cpu, saconv_knob_space_cpu, saconv_knob_space_cuda},
                                              schedule_saconv_cpu, schedule_saconv_cuda};

}  // namespace
}  // namespace convforge
