// What the dynamic convolutions (CondConv, ODConv: a kernel per image, mixed from
// E experts inside the kernel) share in the runtime: the experts' rule and fold,
// their packing, the scratch their kernels take, and the kernel emitted for a layer.
#pragma once

#include "variant.h"

namespace convforge {

// The spec field `num_experts` (E, default 4), checked to lie in [1, 256]: more is a
// typo, not a model (the official models use 4 to 32).
VariantParam num_experts_param();
int num_experts(const LayerSpec &spec);
void check_num_experts(const LayerSpec &spec, const std::string &origin);

// `weight` [E, O, C/g, k, k] with `scale` (per output channel: the epilogue's
// BatchNorm) folded into every expert, packed as one conv's weights of E * O output
// channels, expert e's packed block after expert e - 1's; added to `program`.
struct PackedExperts {
    int constant;              // its index in program.constants
    std::vector<int> extents;  // the kernel argument's Halide extents
};
PackedExperts pack_experts(LayerProgram &program, const LayerSpec &spec, const WeightMap &weights,
                           const std::vector<double> &scale);
// Floats pack_experts() holds at its peak: the packed experts and their working copy.
int64_t packed_experts_floats(const LayerSpec &spec);

// The input padded once, every image's kernel (the CUDA schedule mixes them all
// before the conv; the CPU one a channel tile at a time), GAP's column sums.
int64_t dynamic_conv_working_floats(const LayerSpec &spec, const std::vector<int64_t> &input_shape);
// The kernel of generator convforge_<stem> for exactly this layer, E baked in.
KernelPlan dynamic_conv_layer_kernel(const std::string &stem, const LayerSpec &spec);
// The conv, and each image's kernel mixed from the experts (E multiply-adds a weight).
double dynamic_conv_multiply_adds(const LayerSpec &spec, const std::vector<int64_t> &output_shape);

}  // namespace convforge
