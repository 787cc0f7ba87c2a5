// saconv: SAConv (switchable atrous convolution, DetectoRS). The standardized
// weight W^ and W^ + weight_diff are folded once here; the pre-context, the switch,
// both branches, their blend and the post-context run in one kernel of its own
// generator (generators/saconv.cpp).
#include <cmath>

#include "conv_contract.h"
#include "checked_size.h"
#include "../layer_limits.h"
#include "../plain_conv.h"

namespace convforge {

namespace {

int64_t kernel_floats(const LayerSpec &s) {
    return kernel_tensor_floats({s.out_channels, s.in_channels / s.groups, s.kernel_size, s.kernel_size}, "weight");
}

// W^ = gamma (weight - mean_o) / sqrt(var_o + 1e-5) + beta, mean and unbiased
// variance over each output channel's (C/g, k, k) weights, in double. A checkpoint
// without weight_gamma or weight_beta gets mmcv's load-hook value for it:
// gamma = sqrt(var_o + 1e-5), beta = mean_o (so W^ is the weight itself).
std::vector<float> standardized_weight(const LayerSpec &s, const WeightMap &w) {
    const std::vector<float> weight = w.at("weight").as_float();
    const auto gamma_it = w.find("weight_gamma"), beta_it = w.find("weight_beta");
    const std::vector<float> gamma = gamma_it != w.end() ? gamma_it->second.as_float() : std::vector<float>();
    const std::vector<float> beta = beta_it != w.end() ? beta_it->second.as_float() : std::vector<float>();
    const size_t per_channel = weight.size() / size_t(s.out_channels);
    std::vector<float> standardized(weight.size());
    for (int o = 0; o < s.out_channels; ++o) {
        const float *row = &weight[size_t(o) * per_channel];
        double mean = 0, squares = 0;
        for (size_t j = 0; j < per_channel; ++j) mean += row[j];
        mean /= double(per_channel);
        for (size_t j = 0; j < per_channel; ++j) squares += (row[j] - mean) * (row[j] - mean);
        // One weight per channel has no unbiased variance: PyTorch gives NaN there.
        const double var = per_channel > 1 ? squares / double(per_channel - 1) : std::nan("");
        const double std_dev = std::sqrt(var + 1e-5);
        const double g = gamma.empty() ? std_dev : gamma[o], b = beta.empty() ? mean : beta[o];
        for (size_t j = 0; j < per_channel; ++j)
            standardized[size_t(o) * per_channel + j] = float(g * (row[j] - mean) / std_dev + b);
    }
    return standardized;
}

std::vector<float> as_floats(const std::vector<double> &v) { return std::vector<float>(v.begin(), v.end()); }

class Saconv final : public VariantDefinition {
public:
    const char *name() const override { return "saconv"; }
    const char *summary() const override {
        return "SAConv: switchable atrous conv (dilation d and 3d) with pre/post context, fused";
    }

    void check(const LayerSpec &s, const std::string &origin) const override {
        if (s.kernel_size % 2 == 0)
            throw Error(origin + ": saconv needs an odd kernel_size (its two branches must have one size), got " +
                        std::to_string(s.kernel_size));
        const int64_t same = int64_t(s.dilation) * (s.kernel_size - 1) / 2;
        if (s.padding != same)
            throw Error(origin + ": saconv needs padding = dilation * (kernel_size - 1) / 2 = " + std::to_string(same) +
                        " (its two branches must have one size), got padding " + std::to_string(s.padding));
        if (int64_t(s.in_channels / s.groups) * s.kernel_size * s.kernel_size < 2)
            throw Error(origin + ": saconv's weight standardization needs at least 2 weights per output channel "
                                 "(in_channels / groups * kernel_size^2), got 1");
        // The large branch reaches 3 d (k - 1) + 1 pixels with padding 3p.
        const int64_t reach = checked_add(checked_mul(3 * int64_t(s.dilation), s.kernel_size - 1, "kernel reach"), 1,
                                          "kernel reach");
        if (reach > int64_t(1) << 30)
            throw Error(origin + ": saconv's large branch reaches " + std::to_string(reach) +
                        " pixels (3 * dilation * (kernel_size - 1) + 1), more than 2^30");
    }

    void check_input(const LayerSpec &, const std::vector<int64_t> &in) const override {
        if (in[2] < 3 || in[3] < 3)
            throw Error("input " + std::to_string(in[2]) + "x" + std::to_string(in[3]) +
                        " is too small for saconv: its switch reflect-pads by 2, which needs height and width >= 3");
    }

    // The input padded by 3p once, for both branches, with the conv core's other
    // buffers; the switch's maps (its channel sum, reflect-padded by 2, and S); the
    // small branch staged for one channel tile (at most 64 channels) over the whole
    // output; each branch's Winograd-transformed input where it may run.
    int64_t working_floats(const LayerSpec &s, const std::vector<int64_t> &in) const override {
        const int64_t padded = conv_core_working_floats(s, in, 3 * int64_t(s.padding));
        const int64_t maps = kernel_tensor_floats({in[0], 3, in[2] + 4, in[3] + 4}, "switch maps");
        const int64_t staged = kernel_tensor_floats({in[0], kPackedChannelAlignment, in[2], in[3]}, "staged branch");
        // A record may run either branch by Winograd (3x3, stride 1, one group).
        const bool winograd = s.kernel_size == 3 && s.stride == 1 && s.groups == 1;
        const int64_t transformed = winograd ? checked_mul(winograd_input_floats(in, 3 * int64_t(s.padding)), 2, "working buffers") : 0;
        return checked_add(checked_add(checked_add(padded, maps, "working buffers"), staged, "working buffers"),
                           transformed, "working buffers");
    }

    std::vector<ExpectedTensor> weights(const LayerSpec &s) const override {
        const int64_t O = s.out_channels, C = s.in_channels, k = s.kernel_size;
        std::vector<ExpectedTensor> keys = {
            {"weight", {O, C / s.groups, k, k}},
            {"weight_gamma", {O, 1, 1, 1}, "F32", true},
            {"weight_beta", {O, 1, 1, 1}, "F32", true},
            {"weight_diff", {O, C / s.groups, k, k}},
            {"switch.weight", {1, C, 1, 1}},
            {"switch.bias", {1}},
            {"pre_context.weight", {C, C, 1, 1}},
            {"pre_context.bias", {C}},
            {"post_context.weight", {O, O, 1, 1}},
            {"post_context.bias", {O}},
        };
        for (auto &b : conv_bias_weights(s)) keys.push_back(b);
        return keys;
    }

    // Two packed kernels (each padded to the channel alignment), W^ and W^ +
    // weight_diff as working copies, the vectors and the context matrices.
    int64_t prepared_floats(const LayerSpec &s) const override {
        const PackedWeightLayout layout(s.out_channels, s.in_channels / s.groups, s.kernel_size);
        const int64_t packed = kernel_tensor_floats(
            {layout.packed_channels, layout.in_channels_per_group, layout.kernel_size, layout.kernel_size},
            "packed weights");
        // bias, the contexts' biases, BN's scale and shift (as doubles, then floats).
        const int64_t vectors = checked_add(checked_mul(s.out_channels, 10, "vectors"), 2 * int64_t(s.in_channels) + 1,
                                            "vectors");
        int64_t floats = checked_add(checked_mul(packed, 2, "packed weights"), checked_mul(kernel_floats(s), 2, "kernels"),
                                     "prepared weights");
        floats = checked_add(floats, vectors, "prepared weights");
        // Both context matrices, transposed from a working copy each.
        const int64_t contexts = checked_add(checked_mul(s.in_channels, s.in_channels, "pre_context"),
                                             checked_mul(s.out_channels, s.out_channels, "post_context"), "contexts");
        return checked_add(floats, checked_mul(contexts, 2, "contexts"), "prepared weights");
    }

    LayerProgram prepare(const LayerSpec &s, const WeightMap &w) const override {
        const int O = s.out_channels, C = s.in_channels, cg = C / s.groups, k = s.kernel_size;
        std::vector<float> small = standardized_weight(s, w);
        std::vector<float> large = w.at("weight_diff").as_float();
        for (size_t i = 0; i < large.size(); ++i) large[i] += small[i];
        const BatchNormAffine bn = batchnorm_affine(s, w);

        LayerProgram program;
        auto constant = [&](ProgramConstant c) { return program.add_constant(std::move(c)); };
        const int small_id = constant(packed_conv_weights(small, O, cg, k, O));
        const int large_id = constant(packed_conv_weights(large, O, cg, k, O));
        std::vector<float>().swap(small);  // packed now: free the working copies
        std::vector<float>().swap(large);
        auto floats_of = [&](const char *key) { return constant(ProgramConstant::of_floats(w.at(key).as_float())); };
        // A context's [out, in, 1, 1] weight with `out` innermost (the kernel's layout).
        auto transposed = [&](const char *key, int channels) {
            const std::vector<float> m = w.at(key).as_float();
            std::vector<float> t(m.size());
            for (int out = 0; out < channels; ++out)
                for (int in = 0; in < channels; ++in) t[size_t(in) * channels + out] = m[size_t(out) * channels + in];
            return constant(ProgramConstant::of_floats(t));
        };
        const int bias_id = constant(ProgramConstant::of_floats(
            s.bias ? w.at("bias").as_float() : std::vector<float>(size_t(O), 0.0f)));

        const std::array<int, 5> extents = PackedWeightLayout(O, cg, k).extents();
        using Arg = KernelArgument;
        KernelCall call;
        call.kernel = dense_or_grouped_kernel("saconv", s).name;
        call.args = {
            Arg::input("input", 0, C),
            Arg::constant_slice("weights", small_id, 0, {extents.begin(), extents.end()}),
            Arg::constant_slice("weights_large", large_id, 0, {extents.begin(), extents.end()}),
            Arg::constant_slice("bias", bias_id, 0, {O}),
            Arg::constant_slice("switch_weight", floats_of("switch.weight"), 0, {C}),
            Arg::constant_slice("switch_bias", floats_of("switch.bias"), 0, {1}),
            Arg::constant_slice("pre_context_weight", transposed("pre_context.weight", C), 0, {C, C}),
            Arg::constant_slice("pre_context_bias", floats_of("pre_context.bias"), 0, {C}),
            Arg::constant_slice("post_context_weight", transposed("post_context.weight", O), 0, {O, O}),
            Arg::constant_slice("post_context_bias", floats_of("post_context.bias"), 0, {O}),
            Arg::constant_slice("bn_scale", constant(ProgramConstant::of_floats(as_floats(bn.scale))), 0, {O}),
            Arg::constant_slice("bn_shift", constant(ProgramConstant::of_floats(as_floats(bn.shift))), 0, {O}),
            Arg::output("output", 0, O),
        };
        append_conv_geometry(call.args, s, s.groups);
        program.calls.push_back(std::move(call));
        return program;
    }

    KernelPlan layer_kernel(const LayerSpec &s) const override {
        KernelPlan plan = dense_or_grouped_kernel("saconv", s).plan;
        fix_layer_geometry(plan, s, s.groups, s.in_channels, s.out_channels);
        return plan;
    }

    std::vector<BuiltinKernel> builtin_kernels() const override {
        return path_kernels("saconv", {
#define CONVFORGE_PATH(kind, name) ConvPath::kind,
#include "saconv_paths.def"
#undef CONVFORGE_PATH
                                   });
    }

    // Both branches; the context paths, the switch and the tap sums are small beside them.
    double multiply_adds(const LayerSpec &s, const std::vector<int64_t> &out) const override {
        return 2 * plain_conv_multiply_adds(s, out);
    }
};

}  // namespace

const VariantDefinition &saconv_variant() {
    static const Saconv variant;
    return variant;
}

}  // namespace convforge
