// ODConv's reference, straight from the definition: per image, the attention in
// double with its BatchNorm unfolded, and a plain conv of that one image whose
// kernel carries all four attentions (αc on its input channels, αf on its output
// channels: the runtime applies those two to the input and the output instead),
// the epilogue's BatchNorm unfolded after it.
#include "../naive_reference.h"

#include <algorithm>
#include <cmath>

#include "variant.h"

namespace convforge::testing {

Tensor naive_odconv(const LayerSpec &s, const WeightMap &w, const Tensor &x) {
    const int N = int(x.shape[0]), C = s.in_channels, H = int(x.shape[2]), W = int(x.shape[3]);
    const int O = s.out_channels, k = s.kernel_size, cg = C / s.groups, Og = O / s.groups;
    const int E = int(variant_param(s, "num_experts"));
    const double T = variant_param(s, "temperature"), eps = variant_param(s, "attention_bn_eps");
    const std::vector<float> experts = w.at("weight").as_float(), fc = w.at("attention.fc.weight").as_float();
    const int A = int(w.at("attention.fc.weight").shape[0]);
    auto vec = [&](const std::string &key) { return w.count(key) ? w.at(key).as_float() : std::vector<float>(); };
    const std::vector<float> mean = vec("attention.bn.running_mean"), var = vec("attention.bn.running_var"),
                             gamma = vec("attention.bn.weight"), beta = vec("attention.bn.bias");
    auto sigmoid = [](double v) { return 1.0 / (1.0 + std::exp(-v)); };
    const size_t image = size_t(C) * H * W;
    Tensor y;
    for (int n = 0; n < N; ++n) {
        std::vector<double> gap(static_cast<size_t>(C), 0.0), h(static_cast<size_t>(A), 0.0);
        for (int c = 0; c < C; ++c) {
            for (size_t i = 0; i < size_t(H) * W; ++i) gap[c] += x.data[n * image + size_t(c) * H * W + i];
            gap[c] /= double(H) * W;
        }
        for (int a = 0; a < A; ++a) {
            double v = 0;
            for (int c = 0; c < C; ++c) v += fc[size_t(a) * C + c] * gap[c];
            v = (v - mean[a]) / std::sqrt(double(var[a]) + eps) * gamma[a] + beta[a];
            h[a] = std::max(v, 0.0);
        }
        // A head's outputs over T, or none when the official code skips it.
        auto head = [&](const std::string &name, int rows) {
            std::vector<double> out;
            const std::vector<float> hw = vec("attention." + name + ".weight"), hb = vec("attention." + name + ".bias");
            if (hw.empty()) return out;
            for (int r = 0; r < rows; ++r) {
                double v = hb[r];
                for (int a = 0; a < A; ++a) v += hw[size_t(r) * A + a] * h[a];
                out.push_back(v / T);
            }
            return out;
        };
        std::vector<double> channel = head("channel_fc", C), filter = head("filter_fc", O),
                            spatial = head("spatial_fc", k * k), kernel = head("kernel_fc", E);
        for (double &v : channel) v = sigmoid(v);
        for (double &v : filter) v = sigmoid(v);
        for (double &v : spatial) v = sigmoid(v);
        if (kernel.empty()) {
            kernel.assign(static_cast<size_t>(E), 1.0);
        } else {
            const double top = *std::max_element(kernel.begin(), kernel.end());
            double sum = 0;
            for (double &v : kernel) sum += (v = std::exp(v - top));
            for (double &v : kernel) v /= sum;
        }
        Tensor one;
        one.shape = {1, C, H, W};
        one.data.assign(x.data.begin() + long(n * image), x.data.begin() + long((n + 1) * image));
        const size_t per_expert = experts.size() / size_t(E), per_channel = size_t(cg) * k * k;
        const Tensor out = naive_plain_conv(s, w, one, [&](int o, int j, int m) {
            double v = 0;
            for (int e = 0; e < E; ++e) v += kernel[e] * experts[e * per_expert + o * per_channel + size_t(j) * k * k + m];
            const int c = o / Og * cg + j;
            return v * channel[c] * (filter.empty() ? 1.0 : filter[o]) * (spatial.empty() ? 1.0 : spatial[m]);
        });
        if (n == 0) y.shape = {N, out.shape[1], out.shape[2], out.shape[3]};
        y.data.insert(y.data.end(), out.data.begin(), out.data.end());
    }
    return y;
}

}  // namespace convforge::testing
