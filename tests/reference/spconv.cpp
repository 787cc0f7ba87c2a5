// SPConv's reference, straight from the definition: the split tensors copied out,
// the 2x2 pooled inputs materialized at stride 2, each branch's BatchNorm applied
// after its convs (the runtime folds them into the weights instead), both branches
// stored whole and their GAPs taken directly (the kernel gathers them while it
// computes the branches).
#include "../naive_reference.h"

#include <cmath>

namespace convforge::testing {

namespace {

struct Planes {
    int n, c, h, w;
    std::vector<double> v;
    double &at(int i, int ch, int y, int x) { return v[((size_t(i) * c + ch) * h + y) * w + x]; }
    double at(int i, int ch, int y, int x) const { return v[((size_t(i) * c + ch) * h + y) * w + x]; }
};

Planes zeros(int n, int c, int h, int w) { return {n, c, h, w, std::vector<double>(size_t(n) * c * h * w, 0.0)}; }

// Channels [first, first + count) of x.
Planes channels_of(const Tensor &x, int first, int count) {
    const int N = int(x.shape[0]), C = int(x.shape[1]), H = int(x.shape[2]), W = int(x.shape[3]);
    Planes p = zeros(N, count, H, W);
    for (int n = 0; n < N; ++n)
        for (int c = 0; c < count; ++c)
            for (int y = 0; y < H; ++y)
                for (int x0 = 0; x0 < W; ++x0)
                    p.at(n, c, y, x0) = x.data[((size_t(n) * C + first + c) * H + y) * W + x0];
    return p;
}

Planes average_pool_2x2(const Planes &p) {
    Planes q = zeros(p.n, p.c, p.h / 2, p.w / 2);
    for (int n = 0; n < p.n; ++n)
        for (int c = 0; c < p.c; ++c)
            for (int y = 0; y < q.h; ++y)
                for (int x = 0; x < q.w; ++x)
                    q.at(n, c, y, x) = (p.at(n, c, 2 * y, 2 * x) + p.at(n, c, 2 * y, 2 * x + 1) +
                                        p.at(n, c, 2 * y + 1, 2 * x) + p.at(n, c, 2 * y + 1, 2 * x + 1)) / 4;
    return q;
}

// out += conv(in, weight [O, C/groups, k, k]; stride, padding k / 2, groups).
void add_conv(Planes &out, const Planes &in, const std::vector<float> &weight, int k, int stride, int groups) {
    const int cg = in.c / groups, og = out.c / groups, pad = k / 2;
    for (int n = 0; n < out.n; ++n)
        for (int o = 0; o < out.c; ++o)
            for (int y = 0; y < out.h; ++y)
                for (int x = 0; x < out.w; ++x) {
                    double sum = 0;
                    for (int j = 0; j < cg; ++j)
                        for (int ky = 0; ky < k; ++ky)
                            for (int kx = 0; kx < k; ++kx) {
                                const int iy = y * stride + ky - pad, ix = x * stride + kx - pad;
                                if (iy < 0 || iy >= in.h || ix < 0 || ix >= in.w) continue;
                                sum += weight[((size_t(o) * cg + j) * k + ky) * k + kx] * in.at(n, o / og * cg + j, iy, ix);
                            }
                    out.at(n, o, y, x) += sum;
                }
}

void batch_norm(Planes &p, const WeightMap &w, const std::string &name) {
    const std::vector<float> gamma = w.at(name + ".weight").as_float(), beta = w.at(name + ".bias").as_float();
    const std::vector<float> mean = w.at(name + ".running_mean").as_float(), var = w.at(name + ".running_var").as_float();
    for (int n = 0; n < p.n; ++n)
        for (int o = 0; o < p.c; ++o)
            for (int y = 0; y < p.h; ++y)
                for (int x = 0; x < p.w; ++x)
                    p.at(n, o, y, x) = gamma[o] * (p.at(n, o, y, x) - mean[o]) / std::sqrt(double(var[o]) + 1e-5) + beta[o];
}

double plane_mean(const Planes &p, int n, int o) {
    double sum = 0;
    for (int y = 0; y < p.h; ++y)
        for (int x = 0; x < p.w; ++x) sum += p.at(n, o, y, x);
    return sum / (double(p.h) * p.w);
}

}  // namespace

Tensor naive_spconv(const LayerSpec &s, const WeightMap &w, const Tensor &x) {
    const int C = s.in_channels, O = s.out_channels, st = s.stride;
    const int c3 = int(C * s.params.at("ratio"));
    const int N = int(x.shape[0]), H = int(x.shape[2]), W = int(x.shape[3]);
    const int Ho = (H - 1) / st + 1, Wo = (W - 1) / st + 1;
    const Planes x3 = channels_of(x, 0, c3), x1 = channels_of(x, c3, C - c3);
    const Planes p3 = st == 2 ? average_pool_2x2(x3) : x3, p1 = st == 2 ? average_pool_2x2(x1) : x1;

    Planes y3 = zeros(N, O, Ho, Wo), y1 = zeros(N, O, Ho, Wo);
    add_conv(y3, x3, w.at("gwc.weight").as_float(), 3, st, s.groups);
    add_conv(y3, p3, w.at("pwc.weight").as_float(), 1, 1, 1);
    add_conv(y1, p1, w.at("conv1x1.weight").as_float(), 1, 1, 1);
    const std::vector<float> bias = w.at("conv1x1.bias").as_float();
    for (int n = 0; n < N; ++n)
        for (int o = 0; o < O; ++o)
            for (int i = 0; i < Ho * Wo; ++i) y1.v[(size_t(n) * O + o) * Ho * Wo + i] += bias[o];
    batch_norm(y3, w, "bn1");
    batch_norm(y1, w, "bn2");

    Tensor out{{N, O, Ho, Wo}, std::vector<float>(size_t(N) * O * Ho * Wo)};
    for (int n = 0; n < N; ++n)
        for (int o = 0; o < O; ++o) {
            const double g3 = plane_mean(y3, n, o), g1 = plane_mean(y1, n, o), top = std::max(g3, g1);
            const double e3 = std::exp(g3 - top), e1 = std::exp(g1 - top);
            const double b3 = e3 / (e3 + e1), b1 = e1 / (e3 + e1);
            for (int i = 0; i < Ho * Wo; ++i) {
                const size_t e = (size_t(n) * O + o) * Ho * Wo + i;
                out.data[e] = float(b1 * y1.v[e] + b3 * y3.v[e]);
            }
        }
    return naive_epilogue(s, w, std::move(out));
}

}  // namespace convforge::testing
