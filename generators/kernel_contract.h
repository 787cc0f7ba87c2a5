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

// `dense` (groups == 1): channel-vectorized register tiles.
// `grouped` (groups > 1, depthwise included): width-vectorized rows.
enum class ConvPath { Dense, Grouped };

inline ConvPath conv_path_for_groups(int groups) { return groups == 1 ? ConvPath::Dense : ConvPath::Grouped; }

inline const char *conv_path_name(ConvPath p) { return p == ConvPath::Dense ? "dense" : "grouped"; }

}  // namespace convforge
