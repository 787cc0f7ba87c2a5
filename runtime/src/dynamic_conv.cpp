#include "dynamic_conv.h"

#include <array>

#include "conv_contract.h"
#include "checked_size.h"
#include "layer_limits.h"
#include "plain_conv.h"

namespace convforge {

namespace {

constexpr int kMaxExperts = 256;

double default_experts(const LayerSpec &, const std::string &) { return 4; }

}  // namespace

VariantParam num_experts_param() { return {"num_experts", FieldKind::Integer, default_experts}; }

int num_experts(const LayerSpec &s) { return int(variant_param(s, "num_experts")); }

void check_num_experts(const LayerSpec &s, const std::string &origin) {
    const int e = num_experts(s);
    if (e < 1 || e > kMaxExperts)
        throw Error(origin + ": " + s.variant + "'s num_experts must be in [1, " + std::to_string(kMaxExperts) +
                    "], got " + std::to_string(e));
}

PackedExperts pack_experts(LayerProgram &program, const LayerSpec &s, const WeightMap &w,
                           const std::vector<double> &scale) {
    const int E = num_experts(s), O = s.out_channels, cg = s.in_channels / s.groups, k = s.kernel_size;
    std::vector<float> experts = w.at("weight").as_float();
    const size_t per_channel = size_t(cg) * k * k;
    for (int e = 0; e < E; ++e)
        for (int o = 0; o < O; ++o) {
            float *row = &experts[(size_t(e) * O + o) * per_channel];
            for (size_t j = 0; j < per_channel; ++j) row[j] = float(row[j] * scale[o]);
        }
    const int id = program.add_constant(packed_conv_weights(experts, E * O, cg, k, O));
    std::array<int, 5> extents = PackedWeightLayout(O, cg, k).extents();
    extents[4] *= E;
    return {id, {extents.begin(), extents.end()}};
}

int64_t packed_experts_floats(const LayerSpec &s) {
    // One buffer of E packed blocks: its size is checked as one kernel tensor.
    const PackedWeightLayout layout(s.out_channels, s.in_channels / s.groups, s.kernel_size);
    const int64_t packed = kernel_tensor_floats(
        {checked_mul(layout.packed_channels, num_experts(s), "packed experts"), layout.in_channels_per_group,
         layout.kernel_size, layout.kernel_size},
        "packed experts");
    const int64_t copy = kernel_tensor_floats(
        {num_experts(s), s.out_channels, s.in_channels / s.groups, s.kernel_size, s.kernel_size}, "weight");
    return checked_add(packed, copy, "packed experts");
}

int64_t dynamic_conv_working_floats(const LayerSpec &s, const std::vector<int64_t> &in) {
    const PackedWeightLayout layout(s.out_channels, s.in_channels / s.groups, s.kernel_size);
    const int64_t kernels = kernel_tensor_floats(
        {in[0], layout.packed_channels, layout.in_channels_per_group, layout.kernel_size, layout.kernel_size},
        "per-image kernels");
    const int64_t sums = kernel_tensor_floats({in[0], in[1], in[3]}, "column sums");
    return checked_add(checked_add(conv_core_working_floats(s, in, s.padding), kernels, "working buffers"), sums,
                       "working buffers");
}

KernelPlan dynamic_conv_layer_kernel(const std::string &stem, const LayerSpec &s) {
    KernelPlan plan = dense_or_grouped_kernel(stem, s).plan;
    fix_layer_geometry(plan, s, s.groups, s.in_channels, s.out_channels);
    plan.params.push_back(std::string(fixed_param::experts) + "=" + std::to_string(num_experts(s)));
    plan.workload += "-e" + std::to_string(num_experts(s));
    return plan;
}

double dynamic_conv_multiply_adds(const LayerSpec &s, const std::vector<int64_t> &out) {
    const double per_kernel = double(s.out_channels) * (s.in_channels / s.groups) * s.kernel_size * s.kernel_size;
    return plain_conv_multiply_adds(s, out) + double(out[0]) * num_experts(s) * per_kernel;
}

}  // namespace convforge
