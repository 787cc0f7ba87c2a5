// condconv: CondConv (conditionally parameterized convolution). Every image n gets
// its own kernel W_n = sum_e r[n, e] weight[e] and bias b_n = sum_e r[n, e] bias[e],
// r = sigmoid(routing_fn(GAP(x))). The epilogue's BatchNorm scale folds into every
// expert's weights and bias here (W_n is linear in them); its shift stays a vector
// of its own, since the routing weights need not sum to 1. The routing, each
// image's kernel and the conv run in one kernel of its own generator
// (generators/condconv.cpp), for the whole batch.
#include <array>

#include "../../../generators/conv_contract.h"
#include "../checked_size.h"
#include "../layer_limits.h"
#include "../plain_conv.h"

namespace convforge {

namespace {

// More experts than this is a typo, not a model: the official models use 4 to 32.
constexpr int kMaxExperts = 256;

double default_experts(const LayerSpec &, const std::string &) { return 4; }

int experts(const LayerSpec &s) { return int(variant_param(s, "num_experts")); }

class Condconv final : public VariantDefinition {
public:
    const char *name() const override { return "condconv"; }
    const char *summary() const override {
        return "CondConv: a kernel per image mixed from num_experts experts by sigmoid routing on GAP(x), fused";
    }

    std::vector<VariantParam> params() const override { return {{"num_experts", true, default_experts}}; }

    void check(const LayerSpec &s, const std::string &origin) const override {
        const int e = experts(s);
        if (e < 1 || e > kMaxExperts)
            throw Error(origin + ": condconv's num_experts must be in [1, " + std::to_string(kMaxExperts) + "], got " +
                        std::to_string(e));
    }

    // The input padded once; every image's kernel (the CUDA schedule builds them
    // all before the conv; the CPU one a channel tile at a time); GAP's column sums.
    int64_t working_floats(const LayerSpec &s, const std::vector<int64_t> &in) const override {
        const PackedWeightLayout layout(s.out_channels, s.in_channels / s.groups, s.kernel_size);
        const int64_t kernels = kernel_tensor_floats(
            {in[0], layout.packed_channels, layout.in_channels_per_group, layout.kernel_size, layout.kernel_size},
            "per-image kernels");
        const int64_t sums = kernel_tensor_floats({in[0], in[1], in[3]}, "column sums");
        return checked_add(checked_add(padded_input_floats(in, s.padding), kernels, "working buffers"), sums,
                           "working buffers");
    }

    std::vector<ExpectedTensor> weights(const LayerSpec &s) const override {
        const int64_t E = experts(s), O = s.out_channels, C = s.in_channels, k = s.kernel_size;
        std::vector<ExpectedTensor> keys = {
            {"weight", {E, O, C / s.groups, k, k}},
            {"routing_fn.weight", {E, C}},
            {"routing_fn.bias", {E}},
        };
        if (s.bias) keys.push_back({"bias", {E, O}});
        return keys;
    }

    // The experts packed (each padded to the channel alignment), their working
    // copy, and the vectors.
    int64_t prepared_floats(const LayerSpec &s) const override {
        const int64_t E = experts(s);
        const PackedWeightLayout layout(s.out_channels, s.in_channels / s.groups, s.kernel_size);
        const int64_t packed = checked_mul(int64_t(layout.floats()), E, "packed experts");
        const int64_t copy =
            kernel_tensor_floats({E, s.out_channels, s.in_channels / s.groups, s.kernel_size, s.kernel_size}, "weight");
        const int64_t vectors = checked_add(checked_mul(checked_add(E, 4, "vectors"), s.out_channels, "vectors"),
                                            checked_mul(E, int64_t(s.in_channels) + 1, "routing"), "vectors");
        return checked_add(checked_add(packed, copy, "prepared weights"), vectors, "prepared weights");
    }

    LayerProgram prepare(const LayerSpec &s, const WeightMap &w) const override {
        const int E = experts(s), O = s.out_channels, C = s.in_channels, cg = C / s.groups, k = s.kernel_size;
        const BatchNormAffine bn = batchnorm_affine(s, w);
        std::vector<float> experts_weight = w.at("weight").as_float();
        const size_t per_channel = size_t(cg) * k * k;
        for (int e = 0; e < E; ++e)
            for (int o = 0; o < O; ++o) {
                float *row = &experts_weight[(size_t(e) * O + o) * per_channel];
                for (size_t j = 0; j < per_channel; ++j) row[j] = float(row[j] * bn.scale[o]);
            }
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
        auto constant = [&](ProgramConstant c) {
            program.constants.push_back(std::move(c));
            return int(program.constants.size() - 1);
        };
        // The experts stacked as E O output channels, one packed block of O each:
        // expert e's channel tiles follow expert e - 1's.
        const int weights_id = constant(packed_conv_weights(experts_weight, E * O, cg, k, O));
        std::vector<float>().swap(experts_weight);
        std::array<int, 5> extents = PackedWeightLayout(O, cg, k).extents();
        extents[4] *= E;
        using Arg = KernelArgument;
        KernelCall call;
        call.kernel = dense_or_grouped_kernel("condconv", s).name;
        call.args = {
            Arg::input("input", 0, C),
            Arg::constant_slice("weights", weights_id, 0, {extents.begin(), extents.end()}),
            Arg::constant_slice("bias", constant(ProgramConstant::of_floats(shift)), 0, {O}),
            Arg::constant_slice("expert_bias", constant(ProgramConstant::of_floats(expert_bias)), 0, {O, E}),
            Arg::constant_slice("routing_weight", constant(ProgramConstant::of_floats(routing_ec)), 0, {E, C}),
            Arg::constant_slice("routing_bias", constant(ProgramConstant::of_floats(w.at("routing_fn.bias").as_float())),
                                0, {E}),
            Arg::scalar("stride", s.stride),
            Arg::scalar("padding", s.padding),
            Arg::scalar("dilation", s.dilation),
            Arg::scalar("groups", s.groups),
            Arg::output("output", 0, O),
        };
        program.calls.push_back(std::move(call));
        return program;
    }

    KernelPlan layer_kernel(const LayerSpec &s) const override {
        KernelPlan plan = dense_or_grouped_kernel("condconv", s).plan;
        fix_layer_geometry(plan, s, s.groups, s.in_channels, s.out_channels);
        plan.params.push_back("fixed_experts=" + std::to_string(experts(s)));
        plan.workload += "-e" + std::to_string(experts(s));
        return plan;
    }

    std::vector<BuiltinKernel> builtin_kernels() const override {
        return path_kernels("condconv", {
#define CONVFORGE_CONDCONV_PATH(kind, name) ConvPath::kind,
#include "../../../generators/condconv_paths.def"
#undef CONVFORGE_CONDCONV_PATH
                                   });
    }

    // The conv, and each image's kernel mixed from the experts.
    double multiply_adds(const LayerSpec &s, const std::vector<int64_t> &out) const override {
        const double per_kernel = double(s.out_channels) * (s.in_channels / s.groups) * s.kernel_size * s.kernel_size;
        return plain_conv_multiply_adds(s, out) + double(out[0]) * experts(s) * per_kernel;
    }
};

}  // namespace

const VariantDefinition &condconv_variant() {
    static const Condconv variant;
    return variant;
}

}  // namespace convforge
