// The CPU conv schedule x86 and ARM share, and its knob space: the two differ only
// in the defaults (and the vector width and register count of their targets),
// which their own files choose.
#pragma once

#include "stages.h"

namespace convforge {

// The knobs of `path`'s loop nest, with `fallback` (a value per knob name, as
// each target's file chooses them) as the defaults.
KnobSpace cpu_conv_knob_space(const TargetFacts &facts, ConvPath path, const KnobValues &fallback);

void schedule_conv_cpu(const ConvStages &s, const KnobValues &k, const TargetFacts &facts);

}  // namespace convforge
