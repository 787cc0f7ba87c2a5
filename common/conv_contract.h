// What the runtime may assume about the conv generator's kernels: the packed
// weight layout and the path taken per layer. Shared by the conv generator, its
// schedules and the runtime's plain-conv packing so the three can never disagree.
#pragma once

#include <array>
#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace convforge {

// Packed weights carry their output channels zero-padded to a multiple of
// this, so a dense register tile never reads past them. Every schedule's channel
// tile must divide it.
constexpr int kPackedChannelAlignment = 64;

// ... and in tiles of this many channels, each tile contiguous over (c, kx, ky):
// one cache line per reduction step, read front to back.
constexpr int kPackedChannelTile = 16;

// How far a kernel's own buffers may reach past the tensors they hold, for the
// runtime's size checks (runtime/src/layer_limits.cpp), which must refuse a layer
// before a kernel fails on a buffer of 2^31 bytes: every schedule's direct
// register tiles span at most kMaxTileColumns output columns, Winograd tiles (at
// stride 1) kMaxWinogradTileColumns, both at most kMaxTileRows output rows, a
// grouped row run at most kMaxGroupedColumns, channels are stored in whole vectors
// of at most kMaxVectorFloats, and an accumulator band holds at most one channel
// tile of kPackedChannelAlignment channels. tests/test_knob_spaces.cpp checks
// every declared candidate against these.
constexpr int kMaxTileColumns = 8;
constexpr int kMaxWinogradTileColumns = 16;
constexpr int kMaxTileRows = 8;
constexpr int kMaxGroupedColumns = 128;
constexpr int kMaxVectorFloats = 16;

// The generator parameters that bake a layer's geometry into a kernel emitted for
// it (0, or -1 for padding: given at run time): the one spelling of their names,
// which the conv-like generators declare (conv_layer_generator.h) and the
// runtime's kernel plans set (runtime/src/plain_conv.cpp).
namespace fixed_param {
constexpr const char *kernel_size = "fixed_kernel_size";
constexpr const char *stride = "fixed_stride";
constexpr const char *padding = "fixed_padding";
constexpr const char *dilation = "fixed_dilation";
constexpr const char *groups = "fixed_groups";
constexpr const char *in_channels = "fixed_in_channels";
constexpr const char *out_channels = "fixed_out_channels";
// The dynamic convolutions' number of experts (CondConv, ODConv).
constexpr const char *experts = "fixed_experts";
}  // namespace fixed_param

inline int packed_channel_count(int out_channels) {
    return (out_channels + kPackedChannelAlignment - 1) / kPackedChannelAlignment * kPackedChannelAlignment;
}

// The packed weights of one kernel call: the one definition the fold (which writes
// them), the runtime (which wraps them as a Halide buffer) and the generator (which
// reads them) share. As Halide dimensions, innermost first: (o % T, c, kx, ky, o / T)
// with T = kPackedChannelTile, so a tile of T output channels is one contiguous
// vector load and successive input channels (the reduction's innermost loop)
// follow each other. Channels past the layer's are zero.
struct PackedWeightLayout {
    int packed_channels;  // output channels, padded to kPackedChannelAlignment
    int in_channels_per_group;
    int kernel_size;

    PackedWeightLayout(int out_channels, int in_channels_per_group, int kernel_size)
        : packed_channels(packed_channel_count(out_channels)), in_channels_per_group(in_channels_per_group),
          kernel_size(kernel_size) {}

    std::array<int, 5> extents() const {
        return {kPackedChannelTile, in_channels_per_group, kernel_size, kernel_size, packed_channels / kPackedChannelTile};
    }
    size_t floats() const { return size_t(packed_channels) * in_channels_per_group * kernel_size * kernel_size; }
    // Where logical weight (o, c, kx, ky) lies.
    size_t offset(int o, int c, int kx, int ky) const {
        const size_t tile = size_t(o) / kPackedChannelTile;
        return (((tile * kernel_size + ky) * kernel_size + kx) * in_channels_per_group + c) * kPackedChannelTile +
               size_t(o) % kPackedChannelTile;
    }
    // The same, as buffer coordinates (for Halide Exprs as well as ints).
    template <typename T>
    static std::vector<T> coordinates(T o, T c, T kx, T ky) {
        return {o % kPackedChannelTile, c, kx, ky, o / kPackedChannelTile};
    }
};

// `pointwise` (1x1, stride 1, no padding, groups == 1): a GEMM over NCHW rows,
//             width-vectorized, no re-layout of the input.
// `dense` (other groups == 1): channel-vectorized register tiles over NHWC input.
// `grouped` (groups > 1, depthwise included): width-vectorized rows.
enum class ConvPath {
#define CONVFORGE_PATH(kind, name) kind,
#include "conv_paths.def"
#undef CONVFORGE_PATH
};

inline const std::map<std::string, ConvPath> &conv_path_names() {
    static const std::map<std::string, ConvPath> names = {
#define CONVFORGE_PATH(kind, name) {#name, ConvPath::kind},
#include "conv_paths.def"
#undef CONVFORGE_PATH
    };
    return names;
}

inline ConvPath conv_path_for(int groups, int kernel_size, int stride, int padding) {
    if (groups != 1) return ConvPath::Grouped;
    return kernel_size == 1 && stride == 1 && padding == 0 ? ConvPath::Pointwise : ConvPath::Dense;
}

// How a layer maps onto kernel calls. A grouped layer whose groups are wide runs as
// one call of a one-group kernel per group, on channel slices: the one-group paths
// hold output channels in registers and are several times faster than the grouped
// path, which is left to narrow groups (depthwise and the like).
struct KernelSplit {
    int calls;                      // kernel calls per forward pass
    int groups;                     // the `groups` argument of each call
    int in_channels, out_channels;  // channels each call sees
    ConvPath path;
};

constexpr int kWideGroupMinOutChannels = 16;
constexpr int kWideGroupMinInChannels = 4;

inline KernelSplit kernel_split(int groups, int in_channels, int out_channels, int kernel_size, int stride, int padding) {
    const bool wide = groups > 1 && out_channels / groups >= kWideGroupMinOutChannels &&
                      in_channels / groups >= kWideGroupMinInChannels;
    const int calls = wide ? groups : 1, call_groups = wide ? 1 : groups;
    return {calls, call_groups, in_channels / calls, out_channels / calls,
            conv_path_for(call_groups, kernel_size, stride, padding)};
}

inline const char *conv_path_name(ConvPath p) {
    for (const auto &[name, value] : conv_path_names()) {
        if (value == p) return name.c_str();
    }
    return "?";
}

}  // namespace convforge
