// DSConv's reference: every tap's weight computed on its own from the
// definition; in integer mode, the input made block floating point first, value
// by value, and then the same float conv (the kernel sums integers per block). In the float form, the entry's block is scanned for its largest
// magnitude and the entry's level and its block's alpha are found from it each
// time; the runtime quantizes whole blocks once (runtime/src/variants/dsconv_kernel.cpp).
#include <algorithm>
#include <cmath>
#include <cstring>

#include "../naive_reference.h"

#include "variant.h"

namespace convforge::testing {

Tensor naive_dsconv(const LayerSpec &s, const WeightMap &w, const Tensor &x) {
    const int Cg = s.in_channels / s.groups, k2 = s.kernel_size * s.kernel_size;
    const int B = int(variant_param(s, "block_size")), bits = int(variant_param(s, "bits"));
    const int blocks = (Cg + B - 1) / B;
    const bool quantized = w.at("weight").dtype == "I8";
    const std::vector<float> weight = quantized ? std::vector<float>() : w.at("weight").as_float();
    const std::vector<float> alpha = quantized ? w.at("alpha").as_float() : std::vector<float>();
    auto at = [&](int o, int j, int m) { return (size_t(o) * Cg + j) * k2 + m; };
    const double lowest = -std::ldexp(1.0, bits - 1), highest = std::ldexp(1.0, bits - 1) - 1;
    // The level of entry (o, j, m) of a float kernel, from its block's largest entry.
    auto level = [&](int o, int j, int m) {
        const int first = j / B * B, end = std::min(first + B, Cg);
        float largest = 0;
        for (int i = first; i < end; ++i)
            if (std::fabs(weight[at(o, i, m)]) > std::fabs(largest)) largest = weight[at(o, i, m)];
        if (largest == 0) return 0.0;
        const float scale = float(lowest) / largest;  // in double when it overflows float
        const double scaled = std::isfinite(scale) ? double(weight[at(o, j, m)] * scale)
                                                   : double(weight[at(o, j, m)]) * lowest / largest;
        return std::min(std::max(std::nearbyint(scaled), lowest), highest);
    };
    auto block_alpha = [&](int o, int j, int m) {
        if (quantized) return double(alpha[(size_t(o) * blocks + j / B) * k2 + m]);
        const int first = j / B * B, end = std::min(first + B, Cg);
        double wq = 0, qq = 0;
        for (int i = first; i < end; ++i) {
            wq += double(weight[at(o, i, m)]) * level(o, i, m);
            qq += level(o, i, m) * level(o, i, m);
        }
        return qq == 0 ? 0.0 : wq / qq;
    };
    auto vqk = [&](int o, int j, int m) {
        return quantized ? double(int8_t(w.at("weight").bytes[at(o, j, m)])) : level(o, j, m);
    };
    const bool kds = variant_param(s, "kds_bias") != 0, cds = variant_param(s, "cds") != 0;
    const std::vector<float> kds_bias = kds ? w.at("KDSb").as_float() : std::vector<float>();
    const std::vector<float> cds_weight = cds ? w.at("CDSw").as_float() : std::vector<float>();
    const std::vector<float> cds_bias = cds ? w.at("CDSb").as_float() : std::vector<float>();
    // Integer mode: the block floating point input x^ (each pixel's block shares an
    // exponent, from frexp: exact where log2 would round), then the same conv.
    const int m_bits = int(variant_param(s, "activation_bits"));
    Tensor xq = x;
    if (m_bits) {
        const int N = int(x.shape[0]), H = int(x.shape[2]), W = int(x.shape[3]);
        for (int n = 0; n < N; ++n)
            for (int g = 0; g < s.groups; ++g)
                for (int first = 0; first < Cg; first += B)
                    for (int p = 0; p < H * W; ++p) {
                        auto value = [&](int j) -> float & {
                            return xq.data[(size_t(n) * s.in_channels + g * Cg + j) * H * W + p];
                        };
                        const int end = std::min(first + B, Cg);
                        int e = 0;
                        bool any = false;
                        for (int j = first; j < end; ++j) {
                            if (value(j) == 0) continue;
                            int exponent;
                            std::frexp(value(j), &exponent);
                            e = any ? std::max(e, exponent - 1) : exponent - 1;
                            any = true;
                        }
                        const double top = std::ldexp(1.0, m_bits - 1);
                        for (int j = first; j < end; ++j) {
                            const double q = std::nearbyint(std::ldexp(double(value(j)), m_bits - 2 - e));
                            value(j) = float(std::ldexp(std::min(std::max(q, -top), top - 1), e - (m_bits - 2)));
                        }
                    }
    }
    return naive_plain_conv(s, w, xq, [&](int o, int j, int m) {
        double v = block_alpha(o, j, m) * vqk(o, j, m);
        if (kds) v += kds_bias[(size_t(o) * blocks + j / B) * k2 + m];
        return cds ? cds_weight[o] * v + cds_bias[o] : v;
    });
}

}  // namespace convforge::testing
