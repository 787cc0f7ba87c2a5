// DO-Conv's deploy-time fold, exposed for the test that pins its group quirk.
#pragma once

#include "convforge/convforge.h"

namespace convforge {

// The plain conv kernel K [O, C/g, k, k] that W, D (and d_diag) compose to, by the
// official reshape (VARIANTS.md's DO-Conv): no bias, no BatchNorm.
std::vector<float> compose_doconv_kernel(const LayerSpec &spec, const WeightMap &weights);

}  // namespace convforge
