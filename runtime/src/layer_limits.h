// The size checks of limits.h applied to a layer: its weights when the spec is
// read, its activations when an input shape is known. Both run before anything
// is allocated, and every product is checked arithmetic.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "convforge/convforge.h"
#include "conv_contract.h"

namespace convforge {

// Kernel reach, every weight tensor and what prepare allocates; throws naming `origin`.
void check_spec_sizes(const LayerSpec &spec, const std::string &origin);

// Output rows (or columns) of a conv over `in` input rows (columns) of the
// spec's geometry; below 1 where the output would be empty.
int64_t conv_output_extent(int64_t in, const LayerSpec &spec);

// The buffers the conv core makes for an NCHW input `in` zero-padded by `padding`,
// in floats, as the kernels lay them out (common/conv_contract.h: extents
// rounded up to whole register tiles, and the shape-generic kernels' loose bound
// on rows): on the dense path the padded copy of the input for the whole batch and
// one task's accumulator band (a channel tile over a whole image); on the grouped
// path one task's padded planes (its group's channels); none on the pointwise
// path. Each is checked against the kernel buffer limit, naming the one that
// breaks it.
int64_t conv_core_working_floats(const LayerSpec &spec, const std::vector<int64_t> &in, int64_t padding);
// The same on a given path (a variant whose kernel tiles a grouped layer as the
// dense path does).
int64_t conv_core_working_floats(const LayerSpec &spec, const std::vector<int64_t> &in, int64_t padding, ConvPath path);
// The Winograd conv core's transformed input of the whole batch (16 floats per
// 2 x 2 output tile and channel), checked the same way.
int64_t winograd_input_floats(const std::vector<int64_t> &in, int64_t padding);

// Input, output and the variant's working buffers (by default the conv core's)
// each fit a kernel buffer, and a forward pass's buffers (prepared
// constants included) together fit limits::kMaxLayerBytes.
void check_activation_sizes(const LayerSpec &spec, const std::vector<int64_t> &input_shape,
                            const std::vector<int64_t> &output_shape);

}  // namespace convforge
