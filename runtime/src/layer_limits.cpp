#include "layer_limits.h"

#include <algorithm>

#include "checked_size.h"
#include "conv_contract.h"
#include "layer_weights.h"
#include "size_limits.h"

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

namespace {

int64_t round_up(int64_t v, int64_t multiple) { return checked_mul((v + multiple - 1) / multiple, multiple, "buffer extent"); }

}  // namespace

int64_t conv_output_extent(int64_t in, const LayerSpec &s) {
    const int64_t reach = int64_t(s.dilation) * (int64_t(s.kernel_size) - 1) + 1;
    return (in + 2 * int64_t(s.padding) - reach) / s.stride + 1;
}

int64_t conv_core_working_floats(const LayerSpec &s, const std::vector<int64_t> &in, int64_t padding) {
    const KernelSplit split = kernel_split(s.groups, s.in_channels, s.out_channels, s.kernel_size, s.stride, s.padding);
    return conv_core_working_floats(s, in, padding, split.path);
}

int64_t conv_core_working_floats(const LayerSpec &s, const std::vector<int64_t> &in, int64_t padding, ConvPath path) {
    // The pointwise path reads the NCHW input as it is, into register tiles.
    if (path == ConvPath::Pointwise) return 0;
    // Each call of a wide-group layer sees its group's channels.
    const KernelSplit split = kernel_split(s.groups, s.in_channels, s.out_channels, s.kernel_size, s.stride, s.padding);
    const int64_t stride = s.stride, call_channels = std::min<int64_t>(in[1], split.in_channels);
    // Whole register tiles of output reach up to a tile's worth of strided input
    // rows and columns past the padded image (every operand is at most 2^30).
    const int64_t row_slack = (kMaxTileRows - 1) * stride;
    if (path == ConvPath::Grouped) {  // a (channel, image) task's padded planes: its group's input channels
        const int64_t padded_w = in[3] + 2 * padding + (kMaxGroupedColumns - 1) * stride;
        return kernel_tensor_floats({call_channels / split.groups, in[2] + 2 * padding + row_slack, padded_w},
                                    "padded input planes of one task");
    }
    // Dense: an NHWC copy of the whole batch. The shape-generic kernels (stride
    // and band height unknown when compiled) bound its rows loosely, at up to
    // twice the padded image's (HL_DEBUG_CODEGEN=2 shows the bound), so rows are
    // counted twice over; Winograd tiles (stride 1 only) are wider than direct ones.
    const int64_t column_slack = std::max<int64_t>((kMaxTileColumns - 1) * stride, kMaxWinogradTileColumns - 1);
    const int64_t padded_h = 2 * (in[2] + 2 * padding) + row_slack, padded_w = in[3] + 2 * padding + column_slack;
    const int64_t padded = kernel_tensor_floats({in[0], call_channels, padded_h, padded_w}, "padded input");
    // One task's accumulators: a channel tile over a whole image, rows as loosely.
    const int64_t band = kernel_tensor_floats({kPackedChannelAlignment, 2 * conv_output_extent(in[2], s) + row_slack,
                                               conv_output_extent(in[3], s) + column_slack},
                                              "accumulator band of one image");
    return checked_add(padded, band, "working buffers");
}

int64_t winograd_input_floats(const std::vector<int64_t> &in, int64_t padding) {
    const int64_t channels = round_up(in[1], kMaxVectorFloats);
    const int64_t tiles_y = (in[2] + 2 * padding + kMaxTileRows) / 2 + 1;
    const int64_t tiles_x = (in[3] + 2 * padding + kMaxWinogradTileColumns) / 2 + 1;
    return kernel_tensor_floats({in[0], channels, 16, checked_mul(tiles_x, tiles_y, "Winograd tiles")},
                                "Winograd-transformed input");
}

int64_t VariantDefinition::working_floats(const LayerSpec &s, const std::vector<int64_t> &in) const {
    return conv_core_working_floats(s, in, s.padding);
}

}  // namespace convforge
