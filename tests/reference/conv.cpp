// conv's reference: the definition of nn.Conv2d.
#include "../naive_reference.h"

namespace convforge::testing {

Tensor naive_conv(const LayerSpec &s, const WeightMap &w, const Tensor &x) {
    const std::vector<float> weight = w.at("weight").as_float();
    const int Cg = s.in_channels / s.groups, k2 = s.kernel_size * s.kernel_size;
    return naive_plain_conv(s, w, x, [&](int o, int j, int m) { return double(weight[(size_t(o) * Cg + j) * k2 + m]); });
}

}  // namespace convforge::testing
