// SAConv's reference, straight from the definition: x' materialized, the switch
// from a 5x5 average of the explicitly reflect-padded x' sampled at stride s, the
// standardization through sums of squares (the runtime takes deviations from the
// mean), both branches as plain convolutions of x', z stored and its GAP taken
// directly (the kernel gets GAP(z) from tap sums instead, without z).
#include "../naive_reference.h"

#include <cmath>

namespace convforge::testing {

namespace {

int reflect(int i, int extent) { return i < 0 ? -i : i >= extent ? 2 * (extent - 1) - i : i; }

}  // namespace

Tensor naive_saconv(const LayerSpec &s, const WeightMap &w, const Tensor &x) {
    const int N = int(x.shape[0]), C = s.in_channels, H = int(x.shape[2]), W = int(x.shape[3]);
    const int O = s.out_channels, st = s.stride;
    const size_t plane = size_t(H) * W;

    // x' = x + pre_context(GAP(x)).
    const std::vector<float> pre_w = w.at("pre_context.weight").as_float(), pre_b = w.at("pre_context.bias").as_float();
    Tensor xp = x;
    for (int n = 0; n < N; ++n) {
        std::vector<double> gap(size_t(C), 0.0);
        for (int c = 0; c < C; ++c)
            for (size_t i = 0; i < plane; ++i) gap[c] += x.data[(size_t(n) * C + c) * plane + i] / double(plane);
        for (int c = 0; c < C; ++c) {
            double v = pre_b[c];
            for (int ci = 0; ci < C; ++ci) v += pre_w[size_t(c) * C + ci] * gap[ci];
            for (size_t i = 0; i < plane; ++i) xp.data[(size_t(n) * C + c) * plane + i] += float(v);
        }
    }

    // S = switch(avgpool5x5(reflect_pad2(x'))) at stride s.
    const int Ho = (H - 1) / st + 1, Wo = (W - 1) / st + 1;
    const std::vector<float> sw = w.at("switch.weight").as_float(), sb = w.at("switch.bias").as_float();
    std::vector<double> S(size_t(N) * Ho * Wo);
    for (int n = 0; n < N; ++n)
        for (int oy = 0; oy < Ho; ++oy)
            for (int ox = 0; ox < Wo; ++ox) {
                double v = sb[0];
                for (int c = 0; c < C; ++c) {
                    double window = 0;
                    for (int dy = -2; dy <= 2; ++dy)
                        for (int dx = -2; dx <= 2; ++dx)
                            window += xp.data[(size_t(n) * C + c) * plane + size_t(reflect(oy * st + dy, H)) * W +
                                              reflect(ox * st + dx, W)];
                    v += sw[c] * window / 25.0;
                }
                S[(size_t(n) * Ho + oy) * Wo + ox] = v;
            }

    // W^ per output channel, from the sum and the sum of squares.
    const std::vector<float> weight = w.at("weight").as_float(), diff = w.at("weight_diff").as_float();
    const size_t per_o = weight.size() / size_t(O);
    std::vector<double> w_hat(weight.size());
    for (int o = 0; o < O; ++o) {
        double sum = 0, squares = 0;
        for (size_t j = 0; j < per_o; ++j) {
            sum += weight[o * per_o + j];
            squares += double(weight[o * per_o + j]) * weight[o * per_o + j];
        }
        const double mean = sum / double(per_o);
        const double var = (squares - double(per_o) * mean * mean) / double(per_o - 1);
        const double std_dev = std::sqrt(var + 1e-5);
        const double gamma = w.count("weight_gamma") ? w.at("weight_gamma").as_float()[o] : std_dev;
        const double beta = w.count("weight_beta") ? w.at("weight_beta").as_float()[o] : mean;
        for (size_t j = 0; j < per_o; ++j) w_hat[o * per_o + j] = gamma * (weight[o * per_o + j] - mean) / std_dev + beta;
    }
    const int k2 = s.kernel_size * s.kernel_size, Cg = C / s.groups;
    auto at = [&](int o, int j, int m) { return (size_t(o) * Cg + j) * k2 + m; };

    // The branches, without bias or epilogue.
    LayerSpec branch = s;
    branch.bias = false;
    branch.epilogue = EpilogueSpec{};
    const Tensor ys = naive_plain_conv(branch, w, xp, [&](int o, int j, int m) { return w_hat[at(o, j, m)]; });
    branch.padding = 3 * s.padding;
    branch.dilation = 3 * s.dilation;
    const Tensor yl = naive_plain_conv(branch, w, xp, [&](int o, int j, int m) { return w_hat[at(o, j, m)] + diff[at(o, j, m)]; });

    // z, its GAP and the post-context.
    const std::vector<float> bias = s.bias ? w.at("bias").as_float() : std::vector<float>(size_t(O), 0.0f);
    const std::vector<float> post_w = w.at("post_context.weight").as_float(), post_b = w.at("post_context.bias").as_float();
    Tensor z = ys;
    const size_t out_plane = size_t(Ho) * Wo;
    for (int n = 0; n < N; ++n) {
        std::vector<double> gap(size_t(O), 0.0);
        for (int o = 0; o < O; ++o)
            for (size_t i = 0; i < out_plane; ++i) {
                const size_t e = (size_t(n) * O + o) * out_plane + i;
                const double sv = S[size_t(n) * out_plane + i];
                z.data[e] = float(sv * ys.data[e] + (1 - sv) * yl.data[e] + bias[o]);
                gap[o] += z.data[e] / double(out_plane);
            }
        for (int o = 0; o < O; ++o) {
            double v = post_b[o];
            for (int oi = 0; oi < O; ++oi) v += post_w[size_t(o) * O + oi] * gap[oi];
            for (size_t i = 0; i < out_plane; ++i) z.data[(size_t(n) * O + o) * out_plane + i] += float(v);
        }
    }
    return naive_epilogue(s, w, std::move(z));
}

}  // namespace convforge::testing
