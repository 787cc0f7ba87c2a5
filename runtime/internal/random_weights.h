// Random weights for a layer, from its expected keys: for `bench` without a
// weight file and for the tests. No parameter sits at its trivial init (zeros
// and ones hide bugs); BatchNorm variances are positive.
#pragma once

#include <cstdint>
#include <string>

#include "convforge/convforge.h"

namespace convforge {

// In the weight form named `form` ("": the variant's default form).
WeightMap random_weights(const LayerSpec &spec, uint32_t seed, bool with_optional = false, const std::string &form = "");

}  // namespace convforge
