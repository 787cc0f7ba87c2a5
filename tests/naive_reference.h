// A deliberately plain C++ reference: loops straight from the definitions, no
// folding, no packing, one file per variant (tests/reference/<variant>.cpp), each
// derived another way than the runtime's fold where there is one, so the two
// derivations check each other.
#pragma once

#include <functional>

#include "convforge/convforge.h"

namespace convforge::testing {

// The variant's reference, by the spec's variant name.
Tensor naive_forward(const LayerSpec &spec, const WeightMap &weights, const Tensor &input);

// Shared by the references: a conv whose weight at (output channel o, input
// channel j of its group, kernel tap m = ky * k + kx) is weight(o, j, m), plus
// bias, then the epilogue (BatchNorm unfolded, activation).
using EffectiveWeight = std::function<double(int o, int j, int m)>;
Tensor naive_plain_conv(const LayerSpec &spec, const WeightMap &weights, const Tensor &input,
                        const EffectiveWeight &weight);
Tensor naive_epilogue(const LayerSpec &spec, const WeightMap &weights, Tensor conv_output);

// Random weights for every key the spec needs (the optional ones too when
// asked), none at its trivial init.
WeightMap random_weights_for(const LayerSpec &spec, unsigned seed, bool with_optional = false,
                             const std::string &form = "");
Tensor random_input(const std::vector<int64_t> &shape, unsigned seed);

// Image n of an NCHW batch, as a batch of one.
Tensor image_of(const Tensor &batch, int n);

// Elementwise |got - ref| <= 1e-4 + 1e-4 |ref|; returns a description of the
// first mismatch or "" when all match.
std::string compare(const Tensor &got, const Tensor &ref);

}  // namespace convforge::testing
