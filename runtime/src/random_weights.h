// Random weights for a layer, from its expected keys: for `bench` without a
// weight file and for the tests. No parameter sits at its trivial init (zeros
// and ones hide bugs); BatchNorm variances are positive.
#pragma once

#include <cstdint>

#include "convforge/convforge.h"

namespace convforge {

WeightMap random_weights(const LayerSpec &spec, uint32_t seed, bool with_optional = false);

}  // namespace convforge
