// What the runtime may assume about the emitted kernels: argument layout and the
// path taken per layer. Shared by generators, schedules and the runtime so the
// three can never disagree.
#pragma once

namespace convforge {

enum class Activation { Identity, Relu, Silu };

// Packed weights carry their output channels zero-padded to a multiple of
// this, so a dense register tile never reads past them. Every schedule's channel
// tile must divide it.
constexpr int kPackedChannelAlignment = 64;

// ... and in tiles of this many channels, each tile contiguous over (c, kx, ky):
// one cache line per reduction step, read front to back.
constexpr int kPackedChannelTile = 16;

inline int packed_channel_count(int out_channels) {
    return (out_channels + kPackedChannelAlignment - 1) / kPackedChannelAlignment * kPackedChannelAlignment;
}

// `pointwise` (1x1, stride 1, no padding, groups == 1): a GEMM over NCHW rows,
//             width-vectorized, no re-layout of the input.
// `dense` (other groups == 1): channel-vectorized register tiles over NHWC input.
// `grouped` (groups > 1, depthwise included): width-vectorized rows.
enum class ConvPath { Dense, Grouped, Pointwise };

inline ConvPath conv_path_for(int groups, int kernel_size, int stride, int padding) {
    if (groups != 1) return ConvPath::Grouped;
    return kernel_size == 1 && stride == 1 && padding == 0 ? ConvPath::Pointwise : ConvPath::Dense;
}

inline const char *conv_path_name(ConvPath p) {
    switch (p) {
    case ConvPath::Grouped:
        return "grouped";
    case ConvPath::Pointwise:
        return "pointwise";
    case ConvPath::Dense:
        break;
    }
    return "dense";
}

}  // namespace convforge
