#include "random_weights.h"

#include <cstring>
#include <random>

#include "checked_size.h"
#include "variant.h"

namespace convforge {

WeightMap random_weights(const LayerSpec &spec, uint32_t seed, bool with_optional, const std::string &form) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> centred(-0.5f, 0.5f), positive(0.5f, 1.5f);
    WeightMap w;
    for (const ExpectedTensor &e : expected_weights(spec, form)) {
        if (e.optional && !with_optional) continue;
        WeightTensor t;
        t.dtype = e.dtype;
        t.shape = e.shape;
        const size_t count = size_t(element_count(e.shape, "weight '" + e.key + "'"));
        if (e.dtype == "I8") {  // quantized levels: in [-127, 127], as symmetric int8 quantizers make, or its range
            const auto [lo, hi] = e.value_range.value_or(std::pair<int64_t, int64_t>{-127, 127});
            std::uniform_int_distribution<int> level{int(lo), int(hi)};
            t.bytes.resize(count);
            for (uint8_t &b : t.bytes) b = uint8_t(int8_t(level(rng)));
        } else if (e.dtype == "F32") {
            std::vector<float> values(count);
            const bool variance = e.key.find("running_var") != std::string::npos;
            const bool scale = e.key == "bn.weight";
            for (float &v : values) v = variance ? positive(rng) : scale ? 1.0f + centred(rng) : centred(rng);
            t.bytes.resize(count * 4);
            std::memcpy(t.bytes.data(), values.data(), count * 4);
        } else {
            throw Error("random weights: key '" + e.key + "' is " + e.dtype + "; only F32 and I8 are made");
        }
        w[e.key] = std::move(t);
    }
    return w;
}

}  // namespace convforge
