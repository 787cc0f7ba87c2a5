// doconv: DO-Conv (depthwise over-parameterized conv). Trained as W composed with
// a depthwise D; at deploy time the two compose into one plain conv kernel, so it
// runs on the conv kernels (no generator of its own).
#include "doconv.h"

#include "checked_size.h"
#include "size_limits.h"
#include "../plain_conv.h"

namespace convforge {

namespace {

// d_mul defaults to kernel_size^2, which must itself be a valid field value.
double default_d_mul(const LayerSpec &s, const std::string &origin) {
    const int64_t k2 = int64_t(s.kernel_size) * s.kernel_size;
    if (k2 > limits::kMaxSpecInteger)
        throw Error(origin + ": no 'd_mul' given, and its default kernel_size^2 = " + std::to_string(k2) +
                    " is more than 2^30");
    return double(k2);
}

int d_mul_of(const LayerSpec &s) { return int(variant_param(s, "d_mul")); }

// d_diag: the k²×k² identity tiled d_mul/k² times along the last axis, zero-padded.
std::vector<float> doconv_identity(int channels, int k2, int d_mul) {
    std::vector<float> d(size_t(channels) * k2 * d_mul, 0.0f);
    const int tiled = d_mul / k2 * k2;
    for (int i = 0; i < channels; ++i)
        for (int m = 0; m < k2; ++m)
            for (int s = m; s < tiled; s += k2) d[(size_t(i) * k2 + m) * d_mul + s] = 1.0f;
    return d;
}

class DoConv final : public VariantDefinition {
public:
    const char *name() const override { return "doconv"; }
    const char *summary() const override {
        return "DO-Conv: W [O, C/g, d_mul] over a depthwise D [C, k*k, d_mul], folded to one conv";
    }

    std::vector<VariantParam> params() const override { return {{"d_mul", FieldKind::Integer, default_d_mul}}; }

    void check(const LayerSpec &s, const std::string &origin) const override {
        const int64_t k2 = int64_t(s.kernel_size) * s.kernel_size;
        const double d_mul = variant_param(s, "d_mul", origin);
        const std::string value = std::to_string(int64_t(d_mul));
        if (s.kernel_size == 1 && d_mul != 1)
            throw Error(origin + ": doconv with kernel_size 1 needs d_mul 1, got " + value);
        if (s.kernel_size > 1 && d_mul < double(k2))
            throw Error(origin + ": doconv d_mul " + value + " must be >= kernel_size^2 = " + std::to_string(k2));
    }

    std::vector<ExpectedTensor> weights(const LayerSpec &s) const override {
        const int64_t C = s.in_channels, k = s.kernel_size, d_mul = d_mul_of(s);
        std::vector<ExpectedTensor> keys = {{"W", {s.out_channels, C / s.groups, d_mul}}};
        if (k > 1) {
            keys.push_back({"D", {C, k * k, d_mul}});
            keys.push_back({"d_diag", {C, k * k, d_mul}, "F32", true});
        }
        for (auto &b : conv_bias_weights(s)) keys.push_back(b);
        return keys;
    }

    LayerProgram prepare(const LayerSpec &s, const WeightMap &w) const override {
        return prepare_plain_conv(s, w, compose_doconv_kernel(s, w));
    }

    // The plain conv's, plus the composition's copies of W and of D (+ d_diag).
    int64_t prepared_floats(const LayerSpec &s) const override {
        int64_t floats = plain_conv_prepared_floats(s);
        for (const ExpectedTensor &e : weights(s)) {
            if (e.key == "W") floats = checked_add(floats, kernel_tensor_floats(e.shape, "W"), "prepared weights");
            if (e.key == "D") floats = checked_add(floats, checked_mul(kernel_tensor_floats(e.shape, "D"), 2, "D"),
                                                   "prepared weights");
        }
        return floats;
    }

    KernelPlan layer_kernel(const LayerSpec &s) const override { return plain_conv_layer_kernel(s); }

    double multiply_adds(const LayerSpec &s, const std::vector<int64_t> &out) const override {
        return plain_conv_multiply_adds(s, out);
    }
};

}  // namespace

// K'[o, i, m] = sum_s (D + d_diag)[i, m, s] * Wr[o, i, s], with Wr the raw row-major
// reinterpretation of W as (O/g, C, d_mul) — the official code's reshape, whose
// group pairing this reproduces exactly. K is K' reread as (O, C/g, k, k).
std::vector<float> compose_doconv_kernel(const LayerSpec &s, const WeightMap &w) {
    const std::vector<float> W = w.at("W").as_float();
    if (s.kernel_size == 1) return W;
    const int C = s.in_channels, k2 = s.kernel_size * s.kernel_size, dm = d_mul_of(s);
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

const VariantDefinition &doconv_variant() {
    static const DoConv variant;
    return variant;
}

}  // namespace convforge
