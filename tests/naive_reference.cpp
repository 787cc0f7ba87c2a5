#include "naive_reference.h"

#include <cmath>
#include <cstring>
#include <random>
#include <sstream>

namespace convforge::testing {

namespace {

std::vector<float> floats(const WeightMap &w, const std::string &key) { return w.at(key).as_float(); }

WeightTensor make_tensor(const std::vector<int64_t> &shape, const std::vector<float> &values) {
    WeightTensor t;
    t.dtype = "F32";
    t.shape = shape;
    t.bytes.resize(values.size() * 4);
    std::memcpy(t.bytes.data(), values.data(), t.bytes.size());
    return t;
}

float activate(float v, ActivationKind a) {
    if (a == ActivationKind::Relu) return v > 0 ? v : 0;
    if (a == ActivationKind::Silu) return v / (1.0f + std::exp(-v));
    return v;
}

}  // namespace

Tensor naive_forward(const LayerSpec &s, const WeightMap &w, const Tensor &x) {
    const int N = int(x.shape[0]), C = s.in_channels, H = int(x.shape[2]), W = int(x.shape[3]);
    const int O = s.out_channels, k = s.kernel_size, G = s.groups, Cg = C / G, Og = O / G;
    const int reach = s.dilation * (k - 1) + 1;
    const int Ho = (H + 2 * s.padding - reach) / s.stride + 1, Wo = (W + 2 * s.padding - reach) / s.stride + 1;
    Tensor y;
    y.shape = {N, O, Ho, Wo};
    y.data.assign(size_t(N) * O * Ho * Wo, 0.0f);

    auto in_at = [&](int n, int c, int iy, int ix) -> double {
        if (iy < 0 || iy >= H || ix < 0 || ix >= W) return 0.0;
        return x.data[((size_t(n) * C + c) * H + iy) * W + ix];
    };

    const bool doconv = s.variant == Variant::DoConv;
    const std::vector<float> weight = doconv ? floats(w, "W") : floats(w, "weight");
    std::vector<float> Dt;
    const int dm = s.d_mul, k2 = k * k;
    if (doconv && k > 1) {
        Dt = floats(w, "D");
        const bool has_diag = w.count("d_diag") > 0;
        const std::vector<float> diag = has_diag ? floats(w, "d_diag") : std::vector<float>();
        for (int i = 0; i < C; ++i)
            for (int m = 0; m < k2; ++m)
                for (int t = 0; t < dm; ++t) {
                    const size_t at = (size_t(i) * k2 + m) * dm + t;
                    const float identity = (t < dm / k2 * k2 && t % k2 == m) ? 1.0f : 0.0f;
                    Dt[at] += has_diag ? diag[at] : identity;
                }
    }

    for (int n = 0; n < N; ++n)
        for (int o = 0; o < O; ++o)
            for (int oy = 0; oy < Ho; ++oy)
                for (int ox = 0; ox < Wo; ++ox) {
                    double acc = s.bias ? floats(w, "bias")[o] : 0.0;
                    const int group = o / Og;
                    for (int j = 0; j < Cg; ++j) {
                        const int c = group * Cg + j;
                        auto patch = [&](int m) {
                            return in_at(n, c, oy * s.stride - s.padding + (m / k) * s.dilation,
                                         ox * s.stride - s.padding + (m % k) * s.dilation);
                        };
                        if (!doconv) {
                            for (int m = 0; m < k2; ++m) acc += weight[(size_t(o) * Cg + j) * k2 + m] * patch(m);
                        } else if (k == 1) {
                            acc += weight[size_t(o) * Cg + j] * patch(0);
                        } else {
                            // Flat index of (o, j) in W's (O, C/g, d_mul) storage, reread as
                            // the official (O/g, C, d_mul): row o_r, input channel i_r. The
                            // patch belongs to kernel position (o, j) = flat (o_r, i_r, m).
                            for (int m = 0; m < k2; ++m) {
                                const size_t flat = (size_t(o) * Cg + j) * k2 + m;  // index into K
                                const int o_r = int(flat / (size_t(C) * k2));
                                const int i_r = int(flat / k2 % C);
                                const int m_r = int(flat % k2);
                                double transformed = 0;
                                for (int t = 0; t < dm; ++t)
                                    transformed += Dt[(size_t(i_r) * k2 + m_r) * dm + t] * weight[(size_t(o_r) * C + i_r) * dm + t];
                                acc += transformed * patch(m);
                            }
                        }
                    }
                    double z = acc;
                    if (s.epilogue.batchnorm) {
                        z = (z - floats(w, "bn.running_mean")[o]) / std::sqrt(double(floats(w, "bn.running_var")[o]) + s.epilogue.bn_eps) *
                                floats(w, "bn.weight")[o] + floats(w, "bn.bias")[o];
                    }
                    y.data[((size_t(n) * O + o) * Ho + oy) * Wo + ox] = activate(float(z), s.epilogue.activation);
                }
    return y;
}

WeightMap random_weights_for(const LayerSpec &s, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> dist(-0.5f, 0.5f);
    auto random = [&](size_t count, float offset) {
        std::vector<float> v(count);
        for (float &f : v) f = offset + dist(rng);
        return v;
    };
    const int64_t O = s.out_channels, C = s.in_channels, Cg = C / s.groups, k = s.kernel_size;
    WeightMap w;
    if (s.variant == Variant::DoConv) {
        w["W"] = make_tensor({O, Cg, s.d_mul}, random(size_t(O * Cg * s.d_mul), 0));
        if (k > 1) w["D"] = make_tensor({C, k * k, s.d_mul}, random(size_t(C * k * k * s.d_mul), 0));
    } else {
        w["weight"] = make_tensor({O, Cg, k, k}, random(size_t(O * Cg * k * k), 0));
    }
    if (s.bias) w["bias"] = make_tensor({O}, random(size_t(O), 0));
    if (s.epilogue.batchnorm) {
        w["bn.weight"] = make_tensor({O}, random(size_t(O), 1.0f));
        w["bn.bias"] = make_tensor({O}, random(size_t(O), 0));
        w["bn.running_mean"] = make_tensor({O}, random(size_t(O), 0));
        w["bn.running_var"] = make_tensor({O}, random(size_t(O), 1.0f));
    }
    return w;
}

Tensor random_input(const std::vector<int64_t> &shape, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    Tensor t;
    t.shape = shape;
    t.data.resize(size_t(shape[0] * shape[1] * shape[2] * shape[3]));
    const size_t plane = size_t(shape[2] * shape[3]);
    for (size_t i = 0; i < t.data.size(); ++i) {
        const float channel_offset = float((i / plane) % size_t(shape[1])) / float(shape[1]) - 0.5f;
        t.data[i] = dist(rng) + channel_offset;
    }
    return t;
}

std::string compare(const Tensor &got, const Tensor &ref) {
    if (got.shape != ref.shape) return "shape differs";
    for (size_t i = 0; i < got.data.size(); ++i) {
        const double g = got.data[i], r = ref.data[i];
        if (!(std::fabs(g - r) <= 1e-4 + 1e-4 * std::fabs(r))) {
            std::ostringstream msg;
            msg << "element " << i << ": got " << g << ", reference " << r;
            return msg.str();
        }
    }
    return "";
}

}  // namespace convforge::testing
