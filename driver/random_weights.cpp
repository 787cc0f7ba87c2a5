#include <cstring>
#include <random>

#include "convforge/convforge.h"
#include "../runtime/src/checked_size.h"
#include "../runtime/src/layer_weights.h"

namespace convforge {

WeightMap random_weights(const LayerSpec &spec, std::mt19937 &rng) {
    std::uniform_real_distribution<float> dist(-0.5f, 0.5f), positive(0.5f, 1.5f);
    WeightMap w;
    for (const auto &e : expected_weights(spec)) {
        WeightTensor t;
        t.dtype = e.dtype;
        t.shape = e.shape;
        const size_t count = size_t(element_count(e.shape, "weight '" + e.key + "'"));
        std::vector<float> values(count);
        const bool variance = e.key.find("running_var") != std::string::npos;
        for (float &v : values) v = variance ? positive(rng) : dist(rng);
        t.bytes.resize(count * 4);
        std::memcpy(t.bytes.data(), values.data(), count * 4);
        w[e.key] = std::move(t);
    }
    return w;
}

}  // namespace convforge
