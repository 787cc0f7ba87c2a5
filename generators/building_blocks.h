// Building blocks shared by every convforge variant: zero and reflect padding, the
// direct convolution core, the activation epilogue, average and global average
// pooling.
// Halide dimension order is innermost first, so an NCHW tensor is (x, y, c, n).
#pragma once

#include "Halide.h"
#include "convforge/convforge.h"

namespace convforge {

// Layer geometry as Halide expressions: constants when the layer is emitted for
// one spec, runtime parameters in the shape-generic kernels.
struct ConvGeometry {
    Halide::Expr kernel_size, stride, dilation, padding, groups;
    Halide::Expr in_channels, out_channels;
    Halide::Expr in_width, in_height;
    Halide::Expr in_channels_per_group() const { return in_channels / groups; }
    Halide::Expr out_channels_per_group() const { return out_channels / groups; }
};

// padded(x, y, c, n) is input shifted by `padding` with zeros outside. Materialized
// once so the convolution's inner loop reads it without bounds checks.
Halide::Func zero_padded(Halide::Func input, const ConvGeometry &g);

// acc(o, x, y, n) = bias(o) + sum over (kx, ky, c) of
//   weights(o, c, kx, ky) * padded(x*s + kx*d, y*s + ky*d, group(o)*C/g + c, n)
// `weights` is the packed layout (o innermost) the runtime produces when folding.
// Per-sample kernels (dynamic convolutions): `weights` may take a fifth argument,
// the image n, as weights(o, c, kx, ky, n), and `bias` a second, as bias(o, n).
// `r` must be the RDom returned by conv_reduction_domain, used by no other
// definition: conv_core adds to it the predicates that skip taps on zero padding.
// Rows are skipped per output row. Columns are skipped per aligned group of
// `skip_column_group` output columns (0: never), when the tap reads padding at
// every column of the group: exact for any group, and a schedule whose register
// tiles are such groups gets one condition per tile.
Halide::RDom conv_reduction_domain(const ConvGeometry &g);
Halide::Func conv_core(Halide::Func padded, Halide::Func weights, Halide::Func bias,
                       const ConvGeometry &g, const Halide::RDom &r, int skip_column_group);

// The same convolution as conv_core, by Winograd's F(2x2, 3x3) algorithm: the
// output in 2 x 2 tiles, each from a 4 x 4 input tile d as A^T [(G g G^T) . (B^T d B)] A,
// so a tile costs 16 multiply-adds per (o, c) where the direct form costs 36 (2.25x
// fewer). For 3 x 3 kernels, stride 1, one group, the geometry constant:
// winograd_applies() says whether a layer is one. At dilation 1 tile (t, u) holds
// outputs x = 2t + i, y = 2u + j; at dilation d its outputs and inputs are d apart
// (x = 2d (t / d) + t % d + d i), so d consecutive tiles fill 2d columns; element
// e = ex + 4 ey of a 4 x 4 transform.
struct WinogradConv {
    Halide::Func weights;        // U (o, c, e) = G g G^T, from the packed weights, per call
    Halide::Func input_columns;  // (c, ex, b, t, u, n): B^T along x of row b of tile (t, u)'s input
    Halide::Func input;          // V (c, e, t, u, n) = B^T d B
    Halide::Func products;       // M (o, e, t, u, n) = sum over c of U V
    Halide::RDom r;              // that sum's reduction over input channels
    Halide::Func stored_products;  // M as the output transform reads it (a schedule may sum
                                   // M in a register tile and store it here once)
    Halide::Func tiles;          // (o, i, j, t, u, n) = A^T M A, the 2 x 2 outputs of tile (t, u)
    Halide::Func acc;            // (o, x, y, n) = bias + tiles: conv_core's acc, by another route
};
bool winograd_applies(const ConvGeometry &g);
WinogradConv winograd_conv_core(Halide::Func padded, Halide::Func weights, Halide::Func bias, const ConvGeometry &g);

// Each image's kernel for a dynamic convolution (CondConv, ODConv), from E experts
// stacked in one packed buffer: `stacked` is its unpacked view (o, c, kx, ky) over
// E * expert_channels output channels, expert e's from e * expert_channels on.
//   kernel(o, c, kx, ky, n) = sum_e coefficient(e, kx, ky, n) * stacked(o + e * expert_channels, c, kx, ky)
// `kernel` is conv_core's per-sample weights; `experts_r` its reduction over e.
struct ExpertMix {
    Halide::Func kernel;
    Halide::RDom experts_r;
};
ExpertMix mix_experts(Halide::Func stacked, Halide::Expr experts, Halide::Expr expert_channels,
                      Halide::Func coefficient);

// e^v for v <= 0, exact to float32 for every such v. Halide's exp builds 2^k from
// an int32 k = floor(v / ln 2), which wraps below -2^31 ln 2 (about -1.49e9) and
// gives a number near 1 instead of 0; below -104, e^v is under float32's smallest
// denormal, so clamping there changes no result.
Halide::Expr exp_of_nonpositive(Halide::Expr v);
// 1 / (1 + e^-v), from exp_of_nonpositive(-|v|) alone: right for every finite v
// (and +-inf), where the textbook form overflows exp for v below about -88.
Halide::Expr sigmoid(Halide::Expr v);

// identity, relu or silu (v * sigmoid(v)).
Halide::Expr activate(Halide::Expr v, ActivationKind act);

// out(x, y, o, n) = act(acc(o, x, y, n)): the NCHW epilogue every variant ends with.
Halide::Func epilogue(Halide::Func acc, ActivationKind act);

// t mirrored across its edges by `pad` pixels, as PyTorch's "reflect" padding
// (the edge itself is not repeated; needs width and height > pad), shifted so
// that out(0, 0, ...) is t(pad, pad, ...). Any dimensions after x and y pass
// through.
Halide::Func reflect_padded(Halide::Func t, int pad, Halide::Expr width, Halide::Expr height);

// out(x, y, ...) = mean of t over the size x size window at (x * stride,
// y * stride): average pooling without padding (pad t first).
Halide::Func average_pool(Halide::Func t, int size, Halide::Expr stride);

// mean(c, n) = mean over (x, y) of t(x, y, c, n), in two reductions a schedule can
// vectorize over NCHW rows: column_sums(x, c, n) sums each column down its rows
// (contiguous along x), mean sums those W values.
struct GlobalAveragePool {
    Halide::Func column_sums, mean;
};
GlobalAveragePool global_average_pool(Halide::Func t, Halide::Expr width, Halide::Expr height);

}  // namespace convforge
