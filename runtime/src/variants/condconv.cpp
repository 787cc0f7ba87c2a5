// condconv: CondConv (conditionally parameterized convolution). Every image n gets
// its own kernel W_n = sum_e r[n, e] weight[e] and bias b_n = sum_e r[n, e] bias[e],
// r = sigmoid(routing_fn(GAP(x))). The epilogue's BatchNorm scale folds into every
// expert's weights and bias here (W_n is linear in them); its shift stays a vector
// of its own, since the routing weights need not sum to 1. The routing, each
// image's kernel and the conv run in one kernel of its own generator
// (generators/condconv.cpp), for the whole batch.
#include "checked_size.h"
#include "../dynamic_conv.h"
#include "../plain_conv.h"

namespace convforge {

namespace {

class Condconv final : public VariantDefinition {
public:
    const char *name() const override { return "condconv"; }
    const char *summary() const override {
        return "CondConv: a kernel per image mixed from num_experts experts by sigmoid routing on GAP(x), fused";
    }

    std::vector<VariantParam> params() const override { return {num_experts_param()}; }

    void check(const LayerSpec &s, const std::string &origin) const override { check_num_experts(s, origin); }

    int64_t working_floats(const LayerSpec &s, const std::vector<int64_t> &in) const override {
        return dynamic_conv_working_floats(s, in);
    }

    std::vector<ExpectedTensor> weights(const LayerSpec &s) const override {
        const int64_t E = num_experts(s), O = s.out_channels, C = s.in_channels, k = s.kernel_size;
        std::vector<ExpectedTensor> keys = {
            {"weight", {E, O, C / s.groups, k, k}},
            {"routing_fn.weight", {E, C}},
            {"routing_fn.bias", {E}},
        };
        if (s.bias) keys.push_back({"bias", {E, O}});
        return keys;
    }

    // The experts packed and their working copy; the routing matrix three times
    // (as read, transposed, as a constant); the experts' bias twice; the vectors
    // (BatchNorm's scale and shift in double count twice).
    int64_t prepared_floats(const LayerSpec &s) const override {
        const int64_t E = num_experts(s), O = s.out_channels;
        const int64_t routing = checked_mul(checked_mul(E, s.in_channels, "routing"), 3, "routing");
        const int64_t vectors = checked_add(checked_mul(checked_mul(E, O, "bias"), 2, "bias"),
                                            checked_add(checked_mul(O, 6, "vectors"), 2 * E, "vectors"), "vectors");
        return checked_add(packed_experts_floats(s), checked_add(routing, vectors, "routing"), "prepared weights");
    }

    LayerProgram prepare(const LayerSpec &s, const WeightMap &w) const override {
        const int E = num_experts(s), O = s.out_channels, C = s.in_channels;
        const BatchNormAffine bn = batchnorm_affine(s, w);
        // (o, e), o innermost: one vector of output channels per expert.
        std::vector<float> expert_bias(size_t(E) * O, 0.0f);
        const std::vector<float> shift(bn.shift.begin(), bn.shift.end());
        if (s.bias) {
            const std::vector<float> b = w.at("bias").as_float();
            for (size_t i = 0; i < expert_bias.size(); ++i) expert_bias[i] = float(b[i] * bn.scale[i % size_t(O)]);
        }
        // routing_fn.weight [E, C] as (e, c), e innermost: one load per input channel.
        const std::vector<float> routing = w.at("routing_fn.weight").as_float();
        std::vector<float> routing_ec(routing.size());
        for (int e = 0; e < E; ++e)
            for (int c = 0; c < C; ++c) routing_ec[size_t(c) * E + e] = routing[size_t(e) * C + c];

        LayerProgram program;
        auto constant = [&](ProgramConstant c) { return program.add_constant(std::move(c)); };
        const PackedExperts experts = pack_experts(program, s, w, bn.scale);
        using Arg = KernelArgument;
        KernelCall call;
        call.kernel = dense_or_grouped_kernel("condconv", s).name;
        call.args = {
            Arg::input("input", 0, C),
            Arg::constant_slice("weights", experts.constant, 0, experts.extents),
            Arg::constant_slice("bias", constant(ProgramConstant::of_floats(shift)), 0, {O}),
            Arg::constant_slice("expert_bias", constant(ProgramConstant::of_floats(expert_bias)), 0, {O, E}),
            Arg::constant_slice("routing_weight", constant(ProgramConstant::of_floats(routing_ec)), 0, {E, C}),
            Arg::constant_slice("routing_bias", constant(ProgramConstant::of_floats(w.at("routing_fn.bias").as_float())),
                                0, {E}),
            Arg::output("output", 0, O),
        };
        append_conv_geometry(call.args, s, s.groups);
        program.calls.push_back(std::move(call));
        return program;
    }

    KernelPlan layer_kernel(const LayerSpec &s) const override { return dynamic_conv_layer_kernel("condconv", s); }

    std::vector<BuiltinKernel> builtin_kernels() const override {
        return path_kernels("condconv", {
#define CONVFORGE_PATH(kind, name) ConvPath::kind,
#include "condconv_paths.def"
#undef CONVFORGE_PATH
                                   });
    }

    double multiply_adds(const LayerSpec &s, const std::vector<int64_t> &out) const override {
        return dynamic_conv_multiply_adds(s, out);
    }
};

}  // namespace

const VariantDefinition &condconv_variant() {
    static const Condconv variant;
    return variant;
}

}  // namespace convforge
