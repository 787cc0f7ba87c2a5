// CondConv's reference, straight from the definition: per image, the GAP and the
// routing weights in double, that image's kernel and bias mixed from the raw
// experts (the runtime folds the BatchNorm scale into them first) and a plain conv
// of that one image, BatchNorm unfolded after it.
#include "../naive_reference.h"

#include <cmath>
#include <cstring>

namespace convforge::testing {

Tensor naive_condconv(const LayerSpec &s, const WeightMap &w, const Tensor &x) {
    const int N = int(x.shape[0]), C = s.in_channels, H = int(x.shape[2]), W = int(x.shape[3]);
    const int O = s.out_channels, E = int(w.at("routing_fn.bias").shape[0]);
    const std::vector<float> experts = w.at("weight").as_float(), routing = w.at("routing_fn.weight").as_float(),
                             routing_bias = w.at("routing_fn.bias").as_float();
    const std::vector<float> expert_bias = s.bias ? w.at("bias").as_float() : std::vector<float>();
    const size_t image = size_t(C) * H * W, per_expert = experts.size() / size_t(E);
    const size_t per_channel = per_expert / size_t(O);
    Tensor y;
    for (int n = 0; n < N; ++n) {
        std::vector<double> r(static_cast<size_t>(E));
        for (int e = 0; e < E; ++e) {
            double logit = routing_bias[e];
            for (int c = 0; c < C; ++c) {
                double mean = 0;
                for (size_t i = 0; i < size_t(H) * W; ++i) mean += x.data[n * image + size_t(c) * H * W + i];
                logit += routing[size_t(e) * C + c] * mean / (double(H) * W);
            }
            r[e] = 1.0 / (1.0 + std::exp(-logit));
        }
        WeightMap own = w;
        if (s.bias) {
            std::vector<float> b(static_cast<size_t>(O));
            for (int o = 0; o < O; ++o) {
                double v = 0;
                for (int e = 0; e < E; ++e) v += r[e] * expert_bias[size_t(e) * O + o];
                b[o] = float(v);
            }
            WeightTensor t{"F32", {O}, std::vector<uint8_t>(b.size() * sizeof(float))};
            std::memcpy(t.bytes.data(), b.data(), t.bytes.size());
            own["bias"] = t;
        }
        Tensor one;
        one.shape = {1, C, H, W};
        one.data.assign(x.data.begin() + long(n * image), x.data.begin() + long((n + 1) * image));
        const Tensor out = naive_plain_conv(s, own, one, [&](int o, int j, int m) {
            double v = 0;
            for (int e = 0; e < E; ++e) v += r[e] * experts[e * per_expert + o * per_channel + size_t(j) * s.kernel_size * s.kernel_size + m];
            return v;
        });
        if (n == 0) y.shape = {N, out.shape[1], out.shape[2], out.shape[3]};
        y.data.insert(y.data.end(), out.data.begin(), out.data.end());
    }
    return y;
}

}  // namespace convforge::testing
