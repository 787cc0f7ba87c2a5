// The shared building block of every variant that folds to one plain conv
// y = act(conv(x, K, b)) at load time (conv itself, DO-Conv, BN-folded layers):
// its weights, the BatchNorm fold, the packing into kernel calls of the conv
// generator (generators/conv.cpp) and the kernel emitted for one such layer.
#pragma once

#include "variant.h"
#include "conv_contract.h"

namespace convforge {

// "bias" [O] when the spec has one.
std::vector<ExpectedTensor> conv_bias_weights(const LayerSpec &spec);

// The four state_dict entries of a BatchNorm named `prefix` ("bn", "bn1", ...)
// over `channels`: weight, bias, running_mean, running_var.
std::vector<ExpectedTensor> batchnorm_weights(const std::string &prefix, int64_t channels);

// A BatchNorm as y = scale z + shift per channel; throws naming an entry with
// var + eps <= 0. The epilogue's (1 and 0 without one), or the one named `prefix`.
struct BatchNormAffine {
    std::vector<double> scale, shift;
};
BatchNormAffine batchnorm_affine(const LayerSpec &spec, const WeightMap &weights);
BatchNormAffine batchnorm_affine(const WeightMap &weights, const std::string &prefix, int channels, double eps);

// `kernel` [O, C/g, k, k] in the conv generator's PackedWeightLayout, one block
// per `out_channels_per_call` output channels (a kernel call each).
ProgramConstant packed_conv_weights(const std::vector<float> &kernel, int out_channels, int in_channels_per_group,
                                    int kernel_size, int out_channels_per_call);
// The same for a kernel of int8 levels (DSConv's exact mode), an I8 constant.
ProgramConstant packed_conv_levels(const std::vector<int8_t> &levels, int out_channels, int in_channels_per_group,
                                   int kernel_size, int out_channels_per_call);

// The conv kernel calls of a layer whose plain kernel is `kernel` [O, C/g, k, k]:
// its bias (zeros when the spec has none) and the epilogue's BatchNorm folded in,
// packed for one call, or one per group when groups are wide, each on its
// channel slices.
LayerProgram prepare_plain_conv(const LayerSpec &spec, const WeightMap &weights, std::vector<float> kernel);
// Floats prepare_plain_conv() holds at its peak (packed weights of every call,
// the kernel being folded, bias), in checked arithmetic.
int64_t plain_conv_prepared_floats(const LayerSpec &spec);

// How the plain conv splits a layer into kernel calls (conv_contract.h).
KernelSplit split_of(const LayerSpec &spec);

// The conv kernel for exactly this layer's geometry (of one call, for wide groups).
KernelPlan plain_conv_layer_kernel(const LayerSpec &spec);
// Bakes the layer's geometry into a kernel plan (the fixed_* generator parameters
// of conv_layer_generator.h) for a call seeing `groups`, `in_channels` and
// `out_channels`, and names that workload for the schedule database.
void fix_layer_geometry(KernelPlan &plan, const LayerSpec &spec, int groups, int in_channels, int out_channels);
double plain_conv_multiply_adds(const LayerSpec &spec, const std::vector<int64_t> &output_shape);

// The shape-generic kernel of generator convforge_<stem> (schedule-database
// variant key <stem>) for one path x activation: convforge_<stem>_<path>_<act>,
// as the build names it (convforge_add_path_kernels, cmake/ConvforgeKernels.cmake).
BuiltinKernel path_kernel(const std::string &stem, const std::string &path, const std::string &activation);

// The scalar arguments every conv-like kernel takes (ConvLayerGenerator's stride,
// padding, dilation, groups), appended to `args`; `groups` as one call sees them.
void append_conv_geometry(std::vector<KernelArgument> &args, const LayerSpec &spec, int groups);

// The kernel of generator convforge_<stem> a layer of a variant with a dense and a
// grouped path takes (SAConv, CondConv: dense for one group, 1x1 included).
BuiltinKernel dense_or_grouped_kernel(const std::string &stem, const LayerSpec &spec);
// The shape-generic kernels of generator convforge_<stem>: one per path of
// `paths` (its <stem>_paths.def) x activation.
std::vector<BuiltinKernel> path_kernels(const std::string &stem, const std::vector<ConvPath> &paths);

// The conv generator's shape-generic kernels, one per kernel path x activation
// (the build emits the same set from common/conv_paths.def).
std::vector<BuiltinKernel> plain_conv_builtin_kernels();

}  // namespace convforge
