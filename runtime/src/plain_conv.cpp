#include "plain_conv.h"

#include <cmath>
#include <cstring>
#include <utility>

#include "conv_contract.h"
#include "checked_size.h"

namespace convforge {

namespace {

// Scales a kernel's output channels and its bias by the epilogue's BatchNorm.
void fold_batchnorm(const LayerSpec &s, const WeightMap &w, std::vector<float> &kernel, std::vector<float> &bias) {
    const BatchNormAffine bn = batchnorm_affine(s, w);
    const size_t per_channel = kernel.size() / size_t(s.out_channels);
    for (int o = 0; o < s.out_channels; ++o) {
        for (size_t j = 0; j < per_channel; ++j) kernel[o * per_channel + j] = float(kernel[o * per_channel + j] * bn.scale[o]);
        bias[o] = float(double(bias[o]) * bn.scale[o] + bn.shift[o]);
    }
}

BuiltinKernel conv_kernel(ConvPath path, ActivationKind activation) {
    return path_kernel("conv", conv_path_name(path), activation_name(activation));
}

}  // namespace

KernelSplit split_of(const LayerSpec &s) {
    return kernel_split(s.groups, s.in_channels, s.out_channels, s.kernel_size, s.stride, s.padding);
}

std::vector<ExpectedTensor> conv_bias_weights(const LayerSpec &s) {
    if (!s.bias) return {};
    return {{"bias", {s.out_channels}}};
}

std::vector<ExpectedTensor> batchnorm_weights(const std::string &prefix, int64_t channels) {
    std::vector<ExpectedTensor> keys;
    for (const char *name : {".weight", ".bias", ".running_mean", ".running_var"}) keys.push_back({prefix + name, {channels}});
    return keys;
}

// BN(z) = gamma (z - mean) / sqrt(var + eps) + beta, an affine map per channel.
BatchNormAffine batchnorm_affine(const WeightMap &w, const std::string &prefix, int channels, double eps) {
    BatchNormAffine bn{std::vector<double>(size_t(channels)), std::vector<double>(size_t(channels))};
    const auto gamma = w.at(prefix + ".weight").as_float(), beta = w.at(prefix + ".bias").as_float();
    const auto mean = w.at(prefix + ".running_mean").as_float(), var = w.at(prefix + ".running_var").as_float();
    for (int o = 0; o < channels; ++o) {
        if (!(var[o] + eps > 0))
            throw Error("weights: key '" + prefix + ".running_var' entry " + std::to_string(o) +
                        " makes var + eps non-positive");
        bn.scale[o] = gamma[o] / std::sqrt(double(var[o]) + eps);
        bn.shift[o] = beta[o] - mean[o] * bn.scale[o];
    }
    return bn;
}

BatchNormAffine batchnorm_affine(const LayerSpec &s, const WeightMap &w) {
    if (!s.epilogue.batchnorm)
        return {std::vector<double>(size_t(s.out_channels), 1.0), std::vector<double>(size_t(s.out_channels), 0.0)};
    return batchnorm_affine(w, "bn", s.out_channels, s.epilogue.bn_eps);
}

namespace {

// `kernel` [O, C/g, k, k] of `element_size`-byte entries, in PackedWeightLayout.
ProgramConstant packed_conv_tensor(const uint8_t *kernel, size_t element_size, int out_channels,
                                   int in_channels_per_group, int kernel_size, int out_channels_per_call) {
    const int k = kernel_size, cg = in_channels_per_group, calls = out_channels / out_channels_per_call;
    const PackedWeightLayout layout(out_channels_per_call, cg, k);
    // Written in place (zero bytes are 0.0f and level 0: the padded channels), never copied.
    ProgramConstant packed;
    packed.bytes.assign(layout.floats() * size_t(calls) * element_size, 0);
    for (int o = 0; o < out_channels; ++o) {
        const int call = o / out_channels_per_call, oc = o % out_channels_per_call;
        uint8_t *tile = packed.bytes.data() + call * layout.floats() * element_size;
        for (int c = 0; c < cg; ++c)
            for (int ky = 0; ky < k; ++ky)
                for (int kx = 0; kx < k; ++kx)
                    std::memcpy(tile + layout.offset(oc, c, kx, ky) * element_size,
                                kernel + (((size_t(o) * cg + c) * k + ky) * k + kx) * element_size, element_size);
    }
    return packed;
}

}  // namespace

ProgramConstant packed_conv_weights(const std::vector<float> &kernel, int out_channels, int in_channels_per_group,
                                    int kernel_size, int out_channels_per_call) {
    return packed_conv_tensor(reinterpret_cast<const uint8_t *>(kernel.data()), sizeof(float), out_channels,
                              in_channels_per_group, kernel_size, out_channels_per_call);
}

ProgramConstant packed_conv_levels(const std::vector<int8_t> &levels, int out_channels, int in_channels_per_group,
                                   int kernel_size, int out_channels_per_call) {
    ProgramConstant packed = packed_conv_tensor(reinterpret_cast<const uint8_t *>(levels.data()), 1, out_channels,
                                                in_channels_per_group, kernel_size, out_channels_per_call);
    packed.dtype = "I8";
    return packed;
}

LayerProgram prepare_plain_conv(const LayerSpec &s, const WeightMap &w, std::vector<float> kernel) {
    std::vector<float> bias = s.bias ? w.at("bias").as_float() : std::vector<float>(size_t(s.out_channels), 0.0f);
    if (s.epilogue.batchnorm) fold_batchnorm(s, w, kernel, bias);
    const KernelSplit split = split_of(s);
    const int k = s.kernel_size, cg = s.in_channels / s.groups;
    // One PackedWeightLayout per kernel call; call j covers output channels
    // [j * O / calls, (j + 1) * O / calls). Its size passed the spec checks.
    const PackedWeightLayout layout(split.out_channels, cg, k);
    LayerProgram program;
    ProgramConstant packed = packed_conv_weights(kernel, s.out_channels, cg, k, split.out_channels);
    program.constants.push_back(std::move(packed));
    program.constants.push_back(ProgramConstant::of_floats(bias));
    const std::array<int, 5> w_extents = layout.extents();
    using Arg = KernelArgument;
    const std::string kernel_name = conv_kernel(split.path, s.epilogue.activation).name;
    for (int call = 0; call < split.calls; ++call) {
        KernelCall c;
        c.kernel = kernel_name;
        c.args = {
            Arg::input("input", call * split.in_channels, split.in_channels),
            Arg::constant_slice("weights", 0, call * layout.floats(), {w_extents.begin(), w_extents.end()}),
            Arg::constant_slice("bias", 1, size_t(call) * split.out_channels, {split.out_channels}),
            Arg::output("output", call * split.out_channels, split.out_channels),
        };
        append_conv_geometry(c.args, s, split.groups);
        program.calls.push_back(std::move(c));
    }
    return program;
}

int64_t plain_conv_prepared_floats(const LayerSpec &s) {
    const KernelSplit split = split_of(s);
    const PackedWeightLayout layout(split.out_channels, s.in_channels / s.groups, s.kernel_size);
    const int64_t per_call = kernel_tensor_floats(
        {layout.packed_channels, layout.in_channels_per_group, layout.kernel_size, layout.kernel_size},
        "packed weights of one kernel call");
    // The packed calls, the unpacked kernel being folded and the bias.
    const int64_t packed = checked_mul(per_call, split.calls, "packed weights");
    const int64_t kernel = kernel_tensor_floats({s.out_channels, s.in_channels / s.groups, s.kernel_size, s.kernel_size},
                                                "folded kernel");
    return checked_add(checked_add(packed, kernel, "prepared weights"), s.out_channels, "prepared weights");
}

BuiltinKernel path_kernel(const std::string &stem, const std::string &path, const std::string &activation) {
    return {"convforge_" + stem + "_" + path + "_" + activation,
            {"convforge_" + stem, stem, path, "", {"path=" + path, "activation=" + activation}}};
}

void append_conv_geometry(std::vector<KernelArgument> &args, const LayerSpec &s, int groups) {
    for (auto [name, value] : {std::pair<const char *, int>{"stride", s.stride},
                               {"padding", s.padding},
                               {"dilation", s.dilation},
                               {"groups", groups}})
        args.push_back(KernelArgument::scalar(name, value));
}

BuiltinKernel dense_or_grouped_kernel(const std::string &stem, const LayerSpec &s) {
    const ConvPath path = s.groups == 1 ? ConvPath::Dense : ConvPath::Grouped;
    return path_kernel(stem, conv_path_name(path), activation_name(s.epilogue.activation));
}

std::vector<BuiltinKernel> path_kernels(const std::string &stem, const std::vector<ConvPath> &paths) {
    std::vector<BuiltinKernel> kernels;
    for (ConvPath path : paths)
        for (const auto &[activation, kind] : activation_kinds())
            kernels.push_back(path_kernel(stem, conv_path_name(path), activation));
    return kernels;
}

std::vector<BuiltinKernel> plain_conv_builtin_kernels() {
    std::vector<BuiltinKernel> kernels;
    for (const auto &[path, p] : conv_path_names())
        for (const auto &[activation, a] : activation_kinds()) kernels.push_back(path_kernel("conv", path, activation));
    return kernels;
}

void fix_layer_geometry(KernelPlan &plan, const LayerSpec &s, int groups, int in_channels, int out_channels) {
    for (const auto &[name, value] :
         {std::pair<const char *, int>{fixed_param::kernel_size, s.kernel_size}, {fixed_param::stride, s.stride},
          {fixed_param::padding, s.padding}, {fixed_param::dilation, s.dilation}, {fixed_param::groups, groups},
          {fixed_param::in_channels, in_channels}, {fixed_param::out_channels, out_channels}})
        plan.params.push_back(std::string(name) + "=" + std::to_string(value));
    plan.workload = "c" + std::to_string(in_channels) + "-o" + std::to_string(out_channels) + "-k" +
                    std::to_string(s.kernel_size) + "-s" + std::to_string(s.stride) + "-p" + std::to_string(s.padding) +
                    "-d" + std::to_string(s.dilation) + "-g" + std::to_string(groups);
}

KernelPlan plain_conv_layer_kernel(const LayerSpec &s) {
    // The kernel of one call: wide groups are separate calls (conv_contract.h).
    const KernelSplit split = split_of(s);
    KernelPlan plan = conv_kernel(split.path, s.epilogue.activation).plan;
    fix_layer_geometry(plan, s, split.groups, split.in_channels, split.out_channels);
    return plan;
}

double plain_conv_multiply_adds(const LayerSpec &s, const std::vector<int64_t> &out) {
    return double(out[0]) * out[1] * out[2] * out[3] * (double(s.in_channels) / s.groups) * s.kernel_size * s.kernel_size;
}

}  // namespace convforge
