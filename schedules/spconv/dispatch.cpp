// SPConv's schedule on each target family, defined under its schedule-database key
// ("spconv" records, a shape class per path spconv_paths.def lists).
#include "stages.h"
#include "../variant_schedule.h"

namespace convforge {
namespace {

const VariantSchedule<SpconvStages> schedule{"spconv",
                                              {
#define CONVFORGE_PATH(kind, name) ConvPath::kind,
#include "spconv_paths.def"
#undef CONVFORGE_PATH
                                              },
                                              {spconv_knob_space_cpu, spconv_knob_space_cpu, spconv_knob_space_cuda},
                                              schedule_spconv_cpu, schedule_spconv_cuda};

}  // namespace
}  // namespace convforge
