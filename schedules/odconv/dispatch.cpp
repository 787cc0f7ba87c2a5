// ODConv's schedule on each target family, defined under its schedule-database key
// ("odconv" records, a shape class per path odconv_paths.def lists).
#include "../dynamic_conv/stages.h"
#include "../variant_schedule.h"

namespace convforge {
namespace {

const VariantSchedule<DynamicConvStages> schedule{"odconv",
                                              {
#define CONVFORGE_PATH(kind, name) ConvPath::kind,
#include "odconv_paths.def"
#undef CONVFORGE_PATH
                                              },
                                              {dynamic_conv_knob_space_cpu, dynamic_conv_knob_space_cpu, dynamic_conv_knob_space_cuda},
                                              schedule_dynamic_conv_cpu, schedule_dynamic_conv_cuda};

}  // namespace
}  // namespace convforge
