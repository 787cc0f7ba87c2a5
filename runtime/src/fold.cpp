// Deploy-time folding: DO-Conv composition and BatchNorm into a plain conv kernel,
// then packing into the layout the kernels read.
#include <cmath>

#include "../../generators/kernel_contract.h"
#include "convforge/convforge.h"
#include "layer_weights.h"
#include "spec_checks.h"

namespace convforge {

namespace {

// d_diag: the k²×k² identity tiled d_mul/k² times along the last axis, zero-padded.
std::vector<float> doconv_identity(int channels, int k2, int d_mul) {
    std::vector<float> d(size_t(channels) * k2 * d_mul, 0.0f);
    const int tiled = d_mul / k2 * k2;
    for (int i = 0; i < channels; ++i)
        for (int m = 0; m < k2; ++m)
            for (int s = m; s < tiled; s += k2) d[(size_t(i) * k2 + m) * d_mul + s] = 1.0f;
    return d;
}

// K'[o, i, m] = sum_s (D + d_diag)[i, m, s] * Wr[o, i, s], with Wr the raw row-major
// reinterpretation of W as (O/g, C, d_mul) — the official code's reshape, whose
// group pairing this reproduces exactly. K is K' reread as (O, C/g, k, k).
std::vector<float> compose_doconv(const LayerSpec &s, const WeightMap &w) {
    const std::vector<float> W = w.at("W").as_float();
    if (s.kernel_size == 1) return W;
    const int C = s.in_channels, k2 = s.kernel_size * s.kernel_size, dm = s.d_mul;
    const int rows = s.out_channels / s.groups;
    std::vector<float> Dt = w.at("D").as_float();
    const auto diag_it = w.find("d_diag");
    const std::vector<float> diag = diag_it != w.end() ? diag_it->second.as_float() : doconv_identity(C, k2, dm);
    for (size_t i = 0; i < Dt.size(); ++i) Dt[i] += diag[i];

    std::vector<float> K(size_t(rows) * C * k2);
    for (int o = 0; o < rows; ++o)
        for (int i = 0; i < C; ++i) {
            const float *wr = &W[(size_t(o) * C + i) * dm];
            for (int m = 0; m < k2; ++m) {
                const float *dt = &Dt[(size_t(i) * k2 + m) * dm];
                double sum = 0;
                for (int t = 0; t < dm; ++t) sum += double(dt[t]) * wr[t];
                K[(size_t(o) * C + i) * k2 + m] = float(sum);
            }
        }
    return K;
}

// BN(z) = gamma (z - mean) / sqrt(var + eps) + beta, an affine map per channel.
void fold_batchnorm(const LayerSpec &s, const WeightMap &w, std::vector<float> &kernel, std::vector<float> &bias) {
    const auto gamma = w.at("bn.weight").as_float(), beta = w.at("bn.bias").as_float();
    const auto mean = w.at("bn.running_mean").as_float(), var = w.at("bn.running_var").as_float();
    const size_t per_channel = kernel.size() / size_t(s.out_channels);
    for (int o = 0; o < s.out_channels; ++o) {
        if (!(var[o] + s.epilogue.bn_eps > 0))
            throw Error("weights: key 'bn.running_var' entry " + std::to_string(o) + " makes var + eps non-positive");
        const double scale = gamma[o] / std::sqrt(double(var[o]) + s.epilogue.bn_eps);
        for (size_t j = 0; j < per_channel; ++j) kernel[o * per_channel + j] = float(kernel[o * per_channel + j] * scale);
        bias[o] = float((double(bias[o]) - mean[o]) * scale + beta[o]);
    }
}

}  // namespace

void folded_kernel(const LayerSpec &s, const WeightMap &w, std::vector<float> &kernel, std::vector<float> &bias) {
    check_layer_spec(s, "layer spec");
    check_weights(s, w);
    kernel = s.variant == Variant::DoConv ? compose_doconv(s, w) : w.at("weight").as_float();
    bias = s.bias ? w.at("bias").as_float() : std::vector<float>(size_t(s.out_channels), 0.0f);
    if (s.epilogue.batchnorm) fold_batchnorm(s, w, kernel, bias);
}

PreparedLayer prepare_layer(const LayerSpec &s, const WeightMap &w) {
    std::vector<float> kernel, bias;
    folded_kernel(s, w, kernel, bias);

    PreparedLayer p;
    p.spec = s;
    const KernelSplit split = kernel_split(s.groups, s.in_channels, s.out_channels, s.kernel_size, s.stride, s.padding);
    p.kernel_calls = split.calls;
    const int k = s.kernel_size, cg = s.in_channels / s.groups;
    // One PackedWeightLayout per kernel call; call j covers output channels
    // [j * O / calls, (j + 1) * O / calls).
    const PackedWeightLayout layout(split.out_channels, cg, k);  // its size passed check_layer_spec above
    p.packed_channels = layout.packed_channels;
    p.packed_weights.assign(layout.floats() * size_t(split.calls), 0.0f);
    for (int o = 0; o < s.out_channels; ++o) {
        const int call = o / split.out_channels, oc = o % split.out_channels;
        float *packed = p.packed_weights.data() + call * layout.floats();
        for (int c = 0; c < cg; ++c)
            for (int ky = 0; ky < k; ++ky)
                for (int kx = 0; kx < k; ++kx)
                    packed[layout.offset(oc, c, kx, ky)] = kernel[((size_t(o) * cg + c) * k + ky) * k + kx];
    }
    p.bias = bias;
    return p;
}

}  // namespace convforge
