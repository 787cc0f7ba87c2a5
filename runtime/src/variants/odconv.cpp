// odconv: ODConv (omni-dimensional dynamic convolution). An attention on GAP(x)
// gives each image four attentions: over its input channels (αc), output channels
// (αf), kernel taps (αs) and experts (αw); the image's kernel is
// W_n = Σ_e αw[e] αs ⊙ weight[e], and y = αf ⊙ conv(αc ⊙ x, W_n). Folded here: the
// attention's BatchNorm into its fc, the temperature into the heads, the
// epilogue's BatchNorm scale into every expert (its shift stays a vector). The
// attention, each image's kernel (αs and αw), αc while the input is copied, the
// conv and αf in the epilogue run in one kernel of its own generator
// (generators/odconv.cpp), for the whole batch.
#include <algorithm>
#include <cmath>
#include <limits>

#include "checked_size.h"
#include "../dynamic_conv.h"
#include "message_text.h"
#include "../plain_conv.h"

namespace convforge {

namespace {

double default_reduction(const LayerSpec &, const std::string &) { return 0.0625; }
double default_min_channel(const LayerSpec &, const std::string &) { return 16; }
double default_temperature(const LayerSpec &, const std::string &) { return 1.0; }
double default_attention_eps(const LayerSpec &, const std::string &) { return 1e-5; }

// A = max(int(C * reduction), min_channel), as the official Attention sizes it.
int attention_channels(const LayerSpec &s) {
    const double scaled = double(s.in_channels) * variant_param(s, "reduction");
    return std::max(int(std::min(scaled, double(1 << 30))), int(variant_param(s, "min_channel")));
}

// The heads the official Attention builds: filter_fc unless depthwise, spatial_fc
// unless 1x1, kernel_fc unless one expert. Absent ones are 1.
bool has_filter_head(const LayerSpec &s) { return !(s.in_channels == s.groups && s.out_channels == s.in_channels); }
bool has_spatial_head(const LayerSpec &s) { return s.kernel_size > 1; }
bool has_kernel_head(const LayerSpec &s) { return num_experts(s) > 1; }

// The heads' rows stacked as the kernel reads them: αc's C, αf's O, αs's k^2, αw's E.
int head_rows(const LayerSpec &s) {
    return s.in_channels + s.out_channels + s.kernel_size * s.kernel_size + num_experts(s);
}

class Odconv final : public VariantDefinition {
public:
    const char *name() const override { return "odconv"; }
    const char *summary() const override {
        return "ODConv: a kernel per image from num_experts experts by channel, filter, spatial and kernel "
               "attention on GAP(x), fused";
    }

    std::vector<VariantParam> params() const override {
        return {num_experts_param(),
                {"reduction", FieldKind::Number, default_reduction},
                {"min_channel", FieldKind::Integer, default_min_channel},
                {"temperature", FieldKind::Number, default_temperature},
                {"attention_bn_eps", FieldKind::Number, default_attention_eps}};
    }

    void check(const LayerSpec &s, const std::string &origin) const override {
        check_num_experts(s, origin);
        if (s.bias) throw Error(origin + ": odconv needs bias false (ODConv's conv has no bias)");
        auto positive = [&](const char *field) {
            const double v = variant_param(s, field, origin);
            if (!(v > 0)) throw Error(origin + ": odconv's " + field + " must be positive, got " + number_text(v));
        };
        for (const char *field : {"reduction", "temperature", "attention_bn_eps", "min_channel"}) positive(field);
        if (attention_channels(s) > 1 << 20)
            throw Error(origin + ": odconv's attention has " + std::to_string(attention_channels(s)) +
                        " channels (max(int(in_channels * reduction), min_channel)), more than 2^20");
    }

    int64_t working_floats(const LayerSpec &s, const std::vector<int64_t> &in) const override {
        return dynamic_conv_working_floats(s, in);
    }

    std::vector<ExpectedTensor> weights(const LayerSpec &s) const override {
        const int64_t E = num_experts(s), O = s.out_channels, C = s.in_channels, k = s.kernel_size;
        const int64_t A = attention_channels(s);
        std::vector<ExpectedTensor> keys = {{"weight", {E, O, C / s.groups, k, k}}, {"attention.fc.weight", {A, C, 1, 1}}};
        for (ExpectedTensor &e : batchnorm_weights("attention.bn", A)) keys.push_back(std::move(e));
        auto head = [&](const std::string &name, int64_t rows) {
            keys.push_back({"attention." + name + ".weight", {rows, A, 1, 1}});
            keys.push_back({"attention." + name + ".bias", {rows}});
        };
        head("channel_fc", C);
        if (has_filter_head(s)) head("filter_fc", O);
        if (has_spatial_head(s)) head("spatial_fc", k * k);
        if (has_kernel_head(s)) head("kernel_fc", E);
        return keys;
    }

    // The experts packed and their working copy; the attention's matrices three
    // times each (as read, folded or stacked, as a constant); the vectors
    // (BatchNorms' scale and shift in double count twice).
    int64_t prepared_floats(const LayerSpec &s) const override {
        const int64_t A = attention_channels(s);
        const int64_t matrices = checked_mul(checked_add(s.in_channels, head_rows(s), "attention"), A, "attention");
        const int64_t vectors = checked_add(checked_mul(A, 8, "vectors"),
                                            checked_add(checked_mul(head_rows(s), 3, "vectors"),
                                                        checked_mul(s.out_channels, 6, "vectors"), "vectors"),
                                            "vectors");
        return checked_add(packed_experts_floats(s),
                           checked_add(checked_mul(matrices, 3, "attention"), vectors, "prepared weights"),
                           "prepared weights");
    }

    LayerProgram prepare(const LayerSpec &s, const WeightMap &w) const override {
        const int E = num_experts(s), O = s.out_channels, C = s.in_channels, k = s.kernel_size;
        const int A = attention_channels(s), J = head_rows(s);
        const double T = variant_param(s, "temperature");
        const BatchNormAffine bn = batchnorm_affine(s, w);
        const BatchNormAffine attention_bn =
            batchnorm_affine(w, "attention.bn", A, variant_param(s, "attention_bn_eps"));

        const std::vector<float> shift(bn.shift.begin(), bn.shift.end());
        // h = relu(bn(fc GAP)): the BatchNorm folded into fc, as (a, c), a innermost.
        const std::vector<float> fc = w.at("attention.fc.weight").as_float();
        std::vector<float> attention_weight(size_t(A) * C);
        for (int a = 0; a < A; ++a)
            for (int c = 0; c < C; ++c)
                attention_weight[size_t(c) * A + a] = float(fc[size_t(a) * C + c] * attention_bn.scale[a]);
        const std::vector<float> attention_bias(attention_bn.shift.begin(), attention_bn.shift.end());
        // The heads over h, divided by the temperature, as (j, a), j innermost; an
        // absent head's rows stay zero (the kernel uses 1 there).
        std::vector<float> head_weight(size_t(J) * A, 0.0f), head_bias(size_t(J), 0.0f);
        int first_row = 0;
        auto head = [&](const std::string &name, int rows, bool present) {
            if (present) {
                const std::string key = "attention." + name;
                const std::vector<float> hw = w.at(key + ".weight").as_float();
                const std::vector<float> hb = w.at(key + ".bias").as_float();
                // A quotient past float32 would turn a zero h into NaN (inf * 0)
                // where PyTorch divides the finite sum: refused, not run wrong.
                auto divided = [&](float v, const std::string &what) {
                    const double q = double(v) / T;
                    if (!(std::fabs(q) <= double(std::numeric_limits<float>::max())))
                        throw Error("odconv: temperature " + number_text(T) + " is too small for '" + key + what +
                                    "': an entry divided by it (" + number_text(q) + ") overflows float32");
                    return float(q);
                };
                for (int r = 0; r < rows; ++r) {
                    head_bias[size_t(first_row + r)] = divided(hb[r], ".bias");
                    for (int a = 0; a < A; ++a)
                        head_weight[size_t(a) * J + first_row + r] = divided(hw[size_t(r) * A + a], ".weight");
                }
            }
            first_row += rows;
        };
        head("channel_fc", C, true);
        head("filter_fc", O, has_filter_head(s));
        head("spatial_fc", k * k, has_spatial_head(s));
        head("kernel_fc", E, has_kernel_head(s));

        LayerProgram program;
        auto constant = [&](ProgramConstant c) { return program.add_constant(std::move(c)); };
        const PackedExperts experts = pack_experts(program, s, w, bn.scale);
        using Arg = KernelArgument;
        KernelCall call;
        call.kernel = dense_or_grouped_kernel("odconv", s).name;
        call.args = {
            Arg::input("input", 0, C),
            Arg::constant_slice("weights", experts.constant, 0, experts.extents),
            Arg::constant_slice("bias", constant(ProgramConstant::of_floats(shift)), 0, {O}),
            Arg::constant_slice("attention_weight", constant(ProgramConstant::of_floats(attention_weight)), 0, {A, C}),
            Arg::constant_slice("attention_bias", constant(ProgramConstant::of_floats(attention_bias)), 0, {A}),
            Arg::constant_slice("head_weight", constant(ProgramConstant::of_floats(head_weight)), 0, {J, A}),
            Arg::constant_slice("head_bias", constant(ProgramConstant::of_floats(head_bias)), 0, {J}),
            Arg::scalar("experts", E),
            Arg::scalar("filter_attention", has_filter_head(s)),
            Arg::scalar("spatial_attention", has_spatial_head(s)),
            Arg::scalar("kernel_attention", has_kernel_head(s)),
            Arg::output("output", 0, O),
        };
        append_conv_geometry(call.args, s, s.groups);
        program.calls.push_back(std::move(call));
        return program;
    }

    KernelPlan layer_kernel(const LayerSpec &s) const override { return dynamic_conv_layer_kernel("odconv", s); }

    std::vector<BuiltinKernel> builtin_kernels() const override {
        return path_kernels("odconv", {
#define CONVFORGE_PATH(kind, name) ConvPath::kind,
#include "odconv_paths.def"
#undef CONVFORGE_PATH
                                      });
    }

    double multiply_adds(const LayerSpec &s, const std::vector<int64_t> &out) const override {
        return dynamic_conv_multiply_adds(s, out);
    }
};

}  // namespace

const VariantDefinition &odconv_variant() {
    static const Odconv variant;
    return variant;
}

}  // namespace convforge
