#include "dsconv_kernel.h"

#include <algorithm>
#include <cmath>

namespace convforge {

BlockQuantizedKernel quantize_kernel(const std::vector<float> &weight, const KernelBlocks &b, int bits) {
    const int lowest = -(1 << (bits - 1)), highest = (1 << (bits - 1)) - 1;
    BlockQuantizedKernel q{std::vector<int8_t>(weight.size()), std::vector<float>(size_t(b.out_channels) * b.count() * b.taps)};
    auto index = [&](int o, int j, int t) { return (size_t(o) * b.channels + j) * b.taps + t; };
    for (int o = 0; o < b.out_channels; ++o)
        for (int block = 0; block < b.count(); ++block) {
            const int first = block * b.block_size, end = std::min(first + b.block_size, b.channels);
            for (int t = 0; t < b.taps; ++t) {
                float largest = 0;
                for (int j = first; j < end; ++j)
                    if (std::fabs(weight[index(o, j, t)]) > std::fabs(largest)) largest = weight[index(o, j, t)];
                // float32, as the engine's tensors are: the scale, then each
                // product, then rounding half to even. A block so small that the
                // scale overflows float (|a| < 2^(b-1) / FLT_MAX) divides in double
                // instead, where the engine's inf would make NaN levels.
                const float scale = largest == 0 ? 0.0f : float(lowest) / largest;
                auto scaled = [&](float w) {
                    return std::isfinite(scale) ? double(w * scale) : double(w) * lowest / double(largest);
                };
                double wq = 0, qq = 0;
                for (int j = first; j < end; ++j) {
                    const float w = weight[index(o, j, t)];
                    const double level = std::clamp(std::nearbyint(scaled(w)), double(lowest), double(highest));
                    q.levels[index(o, j, t)] = int8_t(level);
                    wq += double(w) * level;
                    qq += double(level) * level;
                }
                q.alpha[b.at(o, block, t)] = qq == 0 ? 0.0f : float(wq / qq);
            }
        }
    return q;
}

}  // namespace convforge
