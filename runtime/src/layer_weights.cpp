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

std::vector<WeightForm> expected_weight_forms(const LayerSpec &s) {
    std::vector<WeightForm> forms = find_variant(s.variant).weight_forms(s);
    if (s.epilogue.batchnorm) {
        for (WeightForm &form : forms)
            for (ExpectedTensor &e : batchnorm_weights("bn", s.out_channels)) form.tensors.push_back(std::move(e));
    }
    return forms;
}

std::vector<ExpectedTensor> expected_weights(const LayerSpec &s, const std::string &form) {
    std::vector<WeightForm> forms = expected_weight_forms(s);
    if (form.empty()) return forms.front().tensors;
    std::string known;
    for (WeightForm &f : forms) {
        if (f.name == form) return f.tensors;
        known += (known.empty() ? "'" : ", '") + f.name + "'";
    }
    throw Error("weights: a " + s.variant + " layer has no weight form " + excerpt(form) + " (its forms: " + known + ")");
}

namespace {

// The form `weights` is written in: the one whose first key has the file's dtype;
// `where` says which, for messages, when there are several.
std::vector<ExpectedTensor> form_of(const LayerSpec &spec, const WeightMap &weights, std::string &where) {
    std::vector<WeightForm> forms = expected_weight_forms(spec);
    if (forms.size() == 1) return forms.front().tensors;
    const std::string &key = forms.front().tensors.front().key;
    const auto it = weights.find(key);
    if (it == weights.end()) {  // reported as missing, in the default form
        where = " (the " + forms.front().name + " form's; its '" + key + "' is " + forms.front().tensors.front().dtype + ")";
        return forms.front().tensors;
    }
    std::string known;
    for (WeightForm &f : forms) {
        if (f.tensors.front().dtype == it->second.dtype) {
            where = " in the " + f.name + " form (its '" + key + "' is " + it->second.dtype + ")";
            return f.tensors;
        }
        known += std::string(known.empty() ? "" : " or ") + f.tensors.front().dtype + " (the " + f.name + " form)";
    }
    throw Error("weights: key '" + key + "' has dtype " + excerpt(it->second.dtype) + "; a " + spec.variant +
                " layer takes " + known);
}

// An integer level outside its range would index past a quantizer's table or
// silently change the layer.
void require_in_range(const ExpectedTensor &e, const WeightTensor &t) {
    const auto [lo, hi] = *e.value_range;
    for (size_t i = 0; i < t.bytes.size(); ++i) {
        const int64_t v = int8_t(t.bytes[i]);
        if (v < lo || v > hi)
            throw Error("weights: key '" + e.key + "' entry " + std::to_string(i) + " is " + std::to_string(v) +
                        ", outside [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    }
}

}  // namespace

void check_weights(const LayerSpec &spec, const WeightMap &weights) {
    std::string form;
    const auto expected = form_of(spec, weights, form);
    for (const auto &e : expected) {
        auto it = weights.find(e.key);
        if (it == weights.end()) {
            if (e.optional) continue;
            throw Error("weights: missing key '" + e.key + "' (expected shape " + shape_text(e.shape) + ")" + form);
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
        if (e.value_range) {
            if (e.dtype != "I8") throw Error("weights: key '" + e.key + "': value ranges are checked on I8 keys only");
            require_in_range(e, it->second);
        }
    }
    for (const auto &[key, tensor] : weights) {
        if (is_ignored_key(key)) continue;
        bool known = false;
        for (const auto &e : expected) known = known || e.key == key;
        if (!known) throw Error("weights: unexpected key " + excerpt(key) + " for a " + spec.variant + " layer" + form);
    }
}

}  // namespace convforge
