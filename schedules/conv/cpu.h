// The CPU conv schedule shared by x86 and ARM: the two differ only in knobs
// (vector width, register-tile shape), which their own files choose.
#pragma once

#include "stages.h"

namespace convforge {

void schedule_conv_cpu(const ConvStages &s, const ConvKnobs &k);

}  // namespace convforge
