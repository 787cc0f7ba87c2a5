// ODConv's schedules: the dynamic convolutions' (schedules/dynamic_conv/), with
// ODConv's own knob spaces per target (schedules/<target>/odconv.cpp) and
// their registration (schedules/odconv/dispatch.cpp).
#pragma once

#include "../dynamic_conv/stages.h"

namespace convforge {

KnobSpace odconv_knob_space_x86(const TargetFacts &facts, ConvPath path);
KnobSpace odconv_knob_space_arm(const TargetFacts &facts, ConvPath path);

// The space of the target's family, and its schedule.
KnobSpace odconv_knob_space(const TargetFacts &facts, ConvPath path);
void schedule_odconv(const DynamicConvStages &s, const KnobValues &k, const TargetFacts &facts);

}  // namespace convforge
