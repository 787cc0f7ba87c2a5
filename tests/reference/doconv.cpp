// DO-Conv's reference: every tap's weight computed on its own as the sum over
// d_mul of (D + identity, or a given d_diag) times W, the pairing of W rows and
// D rows found through the flat index of the official code's raw reshape of W
// to (O/g, C, d_mul). The runtime instead composes whole reshaped kernels in one
// loop (runtime/src/variants/doconv.cpp); the two derivations check each other.
#include "../naive_reference.h"

#include "variant.h"

namespace convforge::testing {

Tensor naive_doconv(const LayerSpec &s, const WeightMap &w, const Tensor &x) {
    const int C = s.in_channels, Cg = C / s.groups, k = s.kernel_size, k2 = k * k;
    const int dm = int(variant_param(s, "d_mul"));
    const std::vector<float> weight = w.at("W").as_float();
    if (k == 1) return naive_plain_conv(s, w, x, [&](int o, int j, int) { return double(weight[size_t(o) * Cg + j]); });

    std::vector<float> Dt = w.at("D").as_float();
    const bool has_diag = w.count("d_diag") > 0;
    const std::vector<float> diag = has_diag ? w.at("d_diag").as_float() : std::vector<float>();
    for (int i = 0; i < C; ++i)
        for (int m = 0; m < k2; ++m)
            for (int t = 0; t < dm; ++t) {
                const size_t at = (size_t(i) * k2 + m) * dm + t;
                const float identity = (t < dm / k2 * k2 && t % k2 == m) ? 1.0f : 0.0f;
                Dt[at] += has_diag ? diag[at] : identity;
            }
    return naive_plain_conv(s, w, x, [&](int o, int j, int m) {
        // Flat index of (o, j, m) in the (O, C/g, k, k) kernel, reread as the
        // official (O/g, C, k*k): row o_r, input channel i_r, tap m_r.
        const size_t flat = (size_t(o) * Cg + j) * k2 + m;
        const int o_r = int(flat / (size_t(C) * k2)), i_r = int(flat / k2 % C), m_r = int(flat % k2);
        double transformed = 0;
        for (int t = 0; t < dm; ++t)
            transformed += double(Dt[(size_t(i_r) * k2 + m_r) * dm + t]) * weight[(size_t(o_r) * C + i_r) * dm + t];
        return transformed;
    });
}

}  // namespace convforge::testing
