#include "layer_limits.h"

#include <algorithm>

#include "checked_size.h"
#include "layer_weights.h"
#include "limits.h"

namespace convforge {

namespace {

int64_t bytes_of_floats(int64_t floats, const std::string &what) { return checked_mul(floats, 4, what + " bytes"); }

}  // namespace

void check_spec_sizes(const LayerSpec &s, const std::string &origin) {
    const int64_t reach = checked_add(checked_mul(s.dilation, int64_t(s.kernel_size) - 1, "kernel reach"), 1, "kernel reach");
    require_at_most(reach, limits::kMaxDimension, origin + ": kernel reach dilation * (kernel_size - 1) + 1", "pixels",
                    "an image dimension may have (2^30)");
    // The largest of the forms the weights may come in (counted as 4-byte elements).
    int64_t weight_floats = 0;
    for (const WeightForm &form : expected_weight_forms(s)) {
        int64_t form_floats = 0;
        for (const ExpectedTensor &e : form.tensors)
            form_floats = checked_add(form_floats, kernel_tensor_floats(e.shape, origin + ": weight '" + e.key + "'"),
                                      "weights");
        weight_floats = std::max(weight_floats, form_floats);
    }
    const int64_t total = checked_add(weight_floats, find_variant(s.variant).prepared_floats(s), "weights");
    require_at_most(bytes_of_floats(total, "weights"), limits::kMaxLayerBytes,
                    origin + ": the layer's weights, as read and as prepared,", "bytes", "a layer may hold (8 GiB)");
}

void check_activation_sizes(const LayerSpec &s, const std::vector<int64_t> &in, const std::vector<int64_t> &out) {
    const int64_t input = kernel_tensor_floats(in, "input");
    const int64_t output = kernel_tensor_floats(out, "output");
    const VariantDefinition &variant = find_variant(s.variant);
    int64_t total = 0;
    for (int64_t floats : {input, output, variant.working_floats(s, in), variant.prepared_floats(s)})
        total = checked_add(total, bytes_of_floats(floats, "buffers"), "buffers of one forward pass");
    require_at_most(total, limits::kMaxLayerBytes,
                    "one forward pass (input, output, working buffers such as the padded input, prepared weights)",
                    "bytes", "a layer may hold (8 GiB)");
}

int64_t padded_input_floats(const std::vector<int64_t> &in, int64_t padding) {
    const int64_t padded_h = checked_add(in[2], checked_mul(padding, 2, "padding"), "padded height");
    const int64_t padded_w = checked_add(in[3], checked_mul(padding, 2, "padding"), "padded width");
    return kernel_tensor_floats({in[0], in[1], padded_h, padded_w}, "padded input");
}

int64_t VariantDefinition::working_floats(const LayerSpec &s, const std::vector<int64_t> &in) const {
    return padded_input_floats(in, s.padding);
}

}  // namespace convforge
