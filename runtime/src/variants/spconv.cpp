// spconv: SPConv_3x3 (split to be slim). The input splits by `ratio` into C3
// representative channels (a grouped 3x3 `gwc` plus a pointwise `pwc`, then bn1)
// and C1 = C - C3 uncertain ones (a 1x1 `conv1x1` with bias, then bn2); a softmax
// over the two branches' global averages mixes them per image and output channel.
// bn1 and bn2 fold into the branches' weights and biases here; the split, the
// stride-2 pooling, both branches, the softmax and the mix run in one kernel of
// its own generator (generators/spconv.cpp).
#include <cmath>

#include "conv_contract.h"
#include "spconv_contract.h"
#include "checked_size.h"
#include "../layer_limits.h"
#include "message_text.h"
#include "../plain_conv.h"

namespace convforge {

namespace {

// The branches' own BatchNorms have PyTorch's default eps.
constexpr double kBranchBatchNormEps = 1e-5;

double default_ratio(const LayerSpec &, const std::string &) { return 0.5; }

// C3 = int(C * ratio), as the official code splits; 0 when C * ratio is out of
// [1, C) (check() says so, naming the field).
int representative_channels(const LayerSpec &s) {
    const double c3 = double(s.in_channels) * variant_param(s, "ratio");
    return c3 >= 1 && c3 < double(s.in_channels) ? int(c3) : 0;
}

BuiltinKernel spconv_kernel(ActivationKind activation) {
    return path_kernel("spconv", conv_path_name(ConvPath::Grouped), activation_name(activation));
}

class Spconv final : public VariantDefinition {
public:
    const char *name() const override { return "spconv"; }
    const char *summary() const override {
        return "SPConv: split by ratio into a grouped 3x3 + pointwise branch and a 1x1 branch, softmax-mixed, fused";
    }

    std::vector<VariantParam> params() const override { return {{"ratio", FieldKind::Number, default_ratio}}; }
    int default_groups() const override { return 2; }

    void check_groups(const LayerSpec &s, const std::string &origin) const override {
        const int c3 = representative_channels(s);
        if (c3 == 0) return;  // check() names the empty split
        if (c3 % s.groups || s.out_channels % s.groups)
            throw Error(origin + ": spconv's 3x3 branch has C3 = int(in_channels * ratio) = " + std::to_string(c3) +
                        " input and " + std::to_string(s.out_channels) +
                        " output channels, which must both be divisible by groups " + std::to_string(s.groups));
    }

    void check(const LayerSpec &s, const std::string &origin) const override {
        auto require = [&](bool ok, const std::string &field, int value, const std::string &want) {
            if (!ok)
                throw Error(origin + ": spconv needs " + field + " " + want + " (SPConv_3x3), got " + std::to_string(value));
        };
        require(s.kernel_size == 3, "kernel_size", s.kernel_size, "3");
        require(s.padding == 1, "padding", s.padding, "1");
        require(s.dilation == 1, "dilation", s.dilation, "1");
        require(s.stride == 1 || s.stride == 2, "stride", s.stride, "1 or 2");
        if (s.bias) throw Error(origin + ": spconv needs bias false (its 1x1 branch has its own bias, conv1x1.bias)");
        if (representative_channels(s) == 0) {
            const double ratio = variant_param(s, "ratio", origin);
            throw Error(origin + ": spconv's ratio " + number_text(ratio) + " splits in_channels " +
                        std::to_string(s.in_channels) + " into C3 = int(in_channels * ratio) and C1 = in_channels - C3; "
                        "both must be at least 1");
        }
    }

    void check_input(const LayerSpec &s, const std::vector<int64_t> &in) const override {
        if (s.stride == 2 && (in[2] % 2 || in[3] % 2))
            throw Error("input " + std::to_string(in[2]) + "x" + std::to_string(in[3]) +
                        " does not fit spconv at stride 2: its 2x2 average pool needs even height and width");
    }

    // The input padded by 1 (at stride 1 the pointwise convs read all of it),
    // P(x) (a stage of its own at stride 2, and in the shape-generic kernels,
    // whose stride is not known when they are compiled, at stride 1 too), the
    // GAP's column sums, and the per-image tap sums and averages the softmax
    // starts from.
    int64_t working_floats(const LayerSpec &s, const std::vector<int64_t> &in) const override {
        const int64_t c3 = representative_channels(s);
        const int64_t padded = conv_core_working_floats(s, in, 1, ConvPath::Dense);  // register tiles over NHWC, as dense
        const int64_t pooled = kernel_tensor_floats({in[0], in[1], in[2] / s.stride, in[3] / s.stride}, "pooled input");
        const int64_t sums = kernel_tensor_floats({in[0], in[1] * (in[3] + 1) + 10 * c3 + 8 * int64_t(s.out_channels)},
                                                  "branch sums");
        return checked_add(checked_add(padded, pooled, "working buffers"), sums, "working buffers");
    }

    std::vector<ExpectedTensor> weights(const LayerSpec &s) const override {
        const int64_t O = s.out_channels, c3 = representative_channels(s), c1 = s.in_channels - c3;
        std::vector<ExpectedTensor> keys = {
            {"gwc.weight", {O, c3 / s.groups, 3, 3}},
            {"pwc.weight", {O, c3, 1, 1}},
            {"conv1x1.weight", {O, c1, 1, 1}},
            {"conv1x1.bias", {O}},
        };
        for (const char *bn : {"bn1", "bn2"})
            for (ExpectedTensor &e : batchnorm_weights(bn, O)) keys.push_back(std::move(e));
        return keys;
    }

    // The packed 3x3 and pointwise kernels (each padded to the channel
    // alignment), their working copies, and the vectors.
    int64_t prepared_floats(const LayerSpec &s) const override {
        const int c3 = representative_channels(s);
        const PackedWeightLayout grouped(s.out_channels, c3 / s.groups, 3), pointwise(s.out_channels, s.in_channels, 1);
        int64_t floats = checked_add(checked_mul(int64_t(grouped.floats()), 2, "gwc"),
                                     checked_mul(int64_t(pointwise.floats()), 2, "pointwise"), "prepared weights");
        return checked_add(floats, checked_mul(s.out_channels, 12, "vectors"), "prepared weights");
    }

    LayerProgram prepare(const LayerSpec &s, const WeightMap &w) const override {
        const int O = s.out_channels, C = s.in_channels, c3 = representative_channels(s), c1 = C - c3;
        const BatchNormAffine bn1 = batchnorm_affine(w, "bn1", O, kBranchBatchNormEps);
        const BatchNormAffine bn2 = batchnorm_affine(w, "bn2", O, kBranchBatchNormEps);
        const BatchNormAffine epilogue = batchnorm_affine(s, w);

        // bn1 into gwc and pwc, bn2 into conv1x1; pwc and conv1x1 side by side as
        // one pointwise kernel over all C channels of the (pooled) input.
        std::vector<float> grouped = w.at("gwc.weight").as_float();
        const size_t per_o = grouped.size() / size_t(O);
        for (int o = 0; o < O; ++o)
            for (size_t j = 0; j < per_o; ++j) grouped[o * per_o + j] = float(grouped[o * per_o + j] * bn1.scale[o]);
        const std::vector<float> pwc = w.at("pwc.weight").as_float(), uncertain = w.at("conv1x1.weight").as_float();
        std::vector<float> pointwise(size_t(O) * C);
        for (int o = 0; o < O; ++o) {
            for (int c = 0; c < c3; ++c) pointwise[size_t(o) * C + c] = float(pwc[size_t(o) * c3 + c] * bn1.scale[o]);
            for (int c = 0; c < c1; ++c)
                pointwise[size_t(o) * C + c3 + c] = float(uncertain[size_t(o) * c1 + c] * bn2.scale[o]);
        }
        const std::vector<float> uncertain_bias = w.at("conv1x1.bias").as_float();
        const size_t channels = size_t(O);
        std::vector<float> bias3(channels), bias1(channels), scale(channels), shift(channels);
        for (int o = 0; o < O; ++o) {
            bias3[o] = float(bn1.shift[o]);
            bias1[o] = float(uncertain_bias[o] * bn2.scale[o] + bn2.shift[o]);
            scale[o] = float(epilogue.scale[o]);
            shift[o] = float(epilogue.shift[o]);
        }

        LayerProgram program;
        auto constant = [&](ProgramConstant c) { return program.add_constant(std::move(c)); };
        const int grouped_id = constant(packed_conv_weights(grouped, O, c3 / s.groups, 3, O));
        const int pointwise_id = constant(packed_conv_weights(pointwise, O, C, 1, O));
        const std::array<int, 5> g_extents = PackedWeightLayout(O, c3 / s.groups, 3).extents();
        const std::array<int, 5> p_extents = PackedWeightLayout(O, C, 1).extents();
        using Arg = KernelArgument;
        KernelCall call;
        call.kernel = spconv_kernel(s.epilogue.activation).name;
        call.args = {
            Arg::input("input", 0, C),
            Arg::constant_slice("weights", grouped_id, 0, {g_extents.begin(), g_extents.end()}),
            Arg::constant_slice("bias", constant(ProgramConstant::of_floats(bias3)), 0, {O}),
            Arg::constant_slice("pointwise_weights", pointwise_id, 0, {p_extents.begin(), p_extents.end()}),
            Arg::constant_slice("uncertain_bias", constant(ProgramConstant::of_floats(bias1)), 0, {O}),
            Arg::constant_slice("bn_scale", constant(ProgramConstant::of_floats(scale)), 0, {O}),
            Arg::constant_slice("bn_shift", constant(ProgramConstant::of_floats(shift)), 0, {O}),
            Arg::scalar("split", c3),
            Arg::output("output", 0, O),
        };
        append_conv_geometry(call.args, s, s.groups);
        program.calls.push_back(std::move(call));
        return program;
    }

    KernelPlan layer_kernel(const LayerSpec &s) const override {
        KernelPlan plan = spconv_kernel(s.epilogue.activation).plan;
        fix_layer_geometry(plan, s, s.groups, s.in_channels, s.out_channels);
        plan.params.push_back(std::string(fixed_param::split) + "=" + std::to_string(representative_channels(s)));
        plan.workload += "-r" + std::to_string(representative_channels(s));
        return plan;
    }

    std::vector<BuiltinKernel> builtin_kernels() const override {
        std::vector<BuiltinKernel> kernels;
        for (const auto &[activation, kind] : activation_kinds()) kernels.push_back(spconv_kernel(kind));
        return kernels;
    }

    // The 3x3 branch on C3 channels in groups, and the pointwise convs over all C.
    double multiply_adds(const LayerSpec &s, const std::vector<int64_t> &out) const override {
        const double pixels = double(out[0]) * out[1] * out[2] * out[3];
        return pixels * (9.0 * representative_channels(s) / s.groups + s.in_channels);
    }
};

}  // namespace

const VariantDefinition &spconv_variant() {
    static const Spconv variant;
    return variant;
}

}  // namespace convforge
