// CondConv's schedules: the dynamic convolutions' (schedules/dynamic_conv/), with
// CondConv's own knob spaces per target (schedules/<target>/condconv.cpp) and
// their registration (schedules/condconv/dispatch.cpp).
#pragma once

#include "../dynamic_conv/stages.h"

namespace convforge {

KnobSpace condconv_knob_space_x86(const TargetFacts &facts, ConvPath path);
KnobSpace condconv_knob_space_arm(const TargetFacts &facts, ConvPath path);

// The space of the target's family, and its schedule.
KnobSpace condconv_knob_space(const TargetFacts &facts, ConvPath path);
void schedule_condconv(const DynamicConvStages &s, const KnobValues &k, const TargetFacts &facts);

}  // namespace convforge
