#include "layer_weights.h"

#include <cmath>
#include <cstring>

#include "checked_size.h"
#include "message_text.h"
#include "plain_conv.h"

namespace convforge {

namespace {

// BatchNorm's step counter: exported with every state_dict, meaningless at inference.
bool is_ignored_key(const std::string &key) {
    const std::string name = "num_batches_tracked", suffix = "." + name;
    return key == name ||
           (key.size() > suffix.size() && key.compare(key.size() - suffix.size(), suffix.size(), suffix) == 0);
}

// A NaN or infinite weight would silently turn whole output channels into NaN.
void require_finite(const std::string &key, const WeightTensor &t) {
    for (size_t i = 0; i < t.bytes.size() / 4; ++i) {
        float v;
        std::memcpy(&v, t.bytes.data() + 4 * i, 4);
        if (!std::isfinite(v))
            throw Error("weights: key '" + key + "' entry " + std::to_string(i) + " is " + (std::isnan(v) ? "NaN" : "infinite"));
    }
}

}  // namespace

std::vector<ExpectedTensor> expected_weights(const LayerSpec &s) {
    std::vector<ExpectedTensor> keys = find_variant(s.variant).weights(s);
    if (s.epilogue.batchnorm) {
        for (ExpectedTensor &e : batchnorm_weights("bn", s.out_channels)) keys.push_back(std::move(e));
    }
    return keys;
}

void check_weights(const LayerSpec &spec, const WeightMap &weights) {
    const auto expected = expected_weights(spec);
    for (const auto &e : expected) {
        auto it = weights.find(e.key);
        if (it == weights.end()) {
            if (e.optional) continue;
            throw Error("weights: missing key '" + e.key + "' (expected shape " + shape_text(e.shape) + ")");
        }
        if (it->second.dtype != e.dtype)
            throw Error("weights: key '" + e.key + "' has dtype " + excerpt(it->second.dtype) + ", expected " + e.dtype);
        if (it->second.shape != e.shape)
            throw Error("weights: key '" + e.key + "' has shape " + shape_text(it->second.shape) + ", expected " +
                        shape_text(e.shape));
        // A map built in code may disagree with itself; the spec checks bounded this product.
        const int64_t bytes = element_count(e.shape, "weights: key '" + e.key + "'") * int64_t(dtype_size(e.dtype));
        if (int64_t(it->second.bytes.size()) != bytes)
            throw Error("weights: key '" + e.key + "' holds " + std::to_string(it->second.bytes.size()) +
                        " bytes, but its shape needs " + std::to_string(bytes));
        if (e.dtype == "F32") require_finite(e.key, it->second);
    }
    for (const auto &[key, tensor] : weights) {
        if (is_ignored_key(key)) continue;
        bool known = false;
        for (const auto &e : expected) known = known || e.key == key;
        if (!known) throw Error("weights: unexpected key " + excerpt(key) + " for a " + spec.variant + " layer");
    }
}

}  // namespace convforge
