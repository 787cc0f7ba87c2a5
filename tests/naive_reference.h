// A deliberately plain C++ reference: loops straight from the definitions, no
// folding, no packing. DO-Conv is computed in its feature-composition form
// (transform each input patch by D, then apply W), not by composing kernels as
// the runtime does, so the two derivations check each other.
#pragma once

#include "convforge/convforge.h"

namespace convforge::testing {

Tensor naive_forward(const LayerSpec &spec, const WeightMap &weights, const Tensor &input);

// Random weights for every key the spec needs, none at its trivial init.
WeightMap random_weights_for(const LayerSpec &spec, unsigned seed);
Tensor random_input(const std::vector<int64_t> &shape, unsigned seed);

// Elementwise |got - ref| <= 1e-4 + 1e-4 |ref|; returns a description of the
// first mismatch or "" when all match.
std::string compare(const Tensor &got, const Tensor &ref);

}  // namespace convforge::testing
