// The size checks of limits.h applied to a layer: its weights when the spec is
// read, its activations when an input shape is known. Both run before anything
// is allocated, and every product is checked arithmetic.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "convforge/convforge.h"

namespace convforge {

// Kernel reach, every weight tensor and what prepare allocates; throws naming `origin`.
void check_spec_sizes(const LayerSpec &spec, const std::string &origin);

// An NCHW input of shape `in` zero-padded by `padding` on every side, in floats
// (each side checked against the kernel buffer limits).
int64_t padded_input_floats(const std::vector<int64_t> &in, int64_t padding);

// Input, output and the variant's working buffers (by default the padded copy of
// the input) each fit a kernel buffer, and a forward pass's buffers (prepared
// constants included) together fit limits::kMaxLayerBytes.
void check_activation_sizes(const LayerSpec &spec, const std::vector<int64_t> &input_shape,
                            const std::vector<int64_t> &output_shape);

}  // namespace convforge
