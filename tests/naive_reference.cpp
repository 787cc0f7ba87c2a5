#include "naive_reference.h"

#include "random_weights.h"

#include <cmath>
#include <random>
#include <sstream>

namespace convforge::testing {

namespace {

float activate(float v, ActivationKind a) {
    if (a == ActivationKind::Relu) return v > 0 ? v : 0;
    if (a == ActivationKind::Silu) return v / (1.0f + std::exp(-v));
    return v;
}

}  // namespace

// Each variant's reference (tests/reference/<name>.cpp) defines naive_<name>().
#define CONVFORGE_VARIANT(name) Tensor naive_##name(const LayerSpec &, const WeightMap &, const Tensor &);
#include "variants/registry.def"
#undef CONVFORGE_VARIANT

Tensor naive_forward(const LayerSpec &s, const WeightMap &w, const Tensor &x) {
#define CONVFORGE_VARIANT(name) \
    if (s.variant == #name) return naive_##name(s, w, x);
#include "variants/registry.def"
#undef CONVFORGE_VARIANT
    throw Error("no naive reference for variant '" + s.variant + "'");
}

Tensor naive_plain_conv(const LayerSpec &s, const WeightMap &w, const Tensor &x, const EffectiveWeight &weight) {
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
    const std::vector<float> bias = s.bias ? w.at("bias").as_float() : std::vector<float>(size_t(O), 0.0f);
    for (int n = 0; n < N; ++n)
        for (int o = 0; o < O; ++o)
            for (int oy = 0; oy < Ho; ++oy)
                for (int ox = 0; ox < Wo; ++ox) {
                    double acc = bias[o];
                    for (int j = 0; j < Cg; ++j) {
                        const int c = o / Og * Cg + j;
                        for (int m = 0; m < k * k; ++m)
                            acc += weight(o, j, m) * in_at(n, c, oy * s.stride - s.padding + (m / k) * s.dilation,
                                                           ox * s.stride - s.padding + (m % k) * s.dilation);
                    }
                    y.data[((size_t(n) * O + o) * Ho + oy) * Wo + ox] = float(acc);
                }
    return naive_epilogue(s, w, std::move(y));
}

Tensor naive_epilogue(const LayerSpec &s, const WeightMap &w, Tensor z) {
    const int O = s.out_channels;
    const size_t plane = size_t(z.shape[2] * z.shape[3]);
    std::vector<float> mean, var, gamma, beta;
    if (s.epilogue.batchnorm) {
        mean = w.at("bn.running_mean").as_float(), var = w.at("bn.running_var").as_float();
        gamma = w.at("bn.weight").as_float(), beta = w.at("bn.bias").as_float();
    }
    for (size_t i = 0; i < z.data.size(); ++i) {
        const int o = int(i / plane % size_t(O));
        double v = z.data[i];
        if (s.epilogue.batchnorm) v = (v - mean[o]) / std::sqrt(double(var[o]) + s.epilogue.bn_eps) * gamma[o] + beta[o];
        z.data[i] = activate(float(v), s.epilogue.activation);
    }
    return z;
}

WeightMap random_weights_for(const LayerSpec &s, unsigned seed, bool with_optional, const std::string &form) {
    return random_weights(s, seed, with_optional, form);
}

Tensor random_input(const std::vector<int64_t> &shape, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    Tensor t;
    t.shape = shape;
    t.data.resize(size_t(shape[0] * shape[1] * shape[2] * shape[3]));
    const size_t plane = size_t(shape[2] * shape[3]);
    // A per-channel offset, larger in each image than in the one before: channel
    // mix-ups show, and input-dependent paths (GAP, routing) differ between images.
    for (size_t i = 0; i < t.data.size(); ++i) {
        const size_t image = i / plane / size_t(shape[1]);
        const float channel_offset = float((i / plane) % size_t(shape[1])) / float(shape[1]) - 0.5f;
        t.data[i] = dist(rng) + channel_offset * (1.0f + 0.5f * float(image));
    }
    return t;
}

Tensor image_of(const Tensor &batch, int n) {
    Tensor t;
    t.shape = {1, batch.shape[1], batch.shape[2], batch.shape[3]};
    const size_t size = batch.data.size() / size_t(batch.shape[0]);
    t.data.assign(batch.data.begin() + long(n * size), batch.data.begin() + long((n + 1) * size));
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
