#include "building_blocks.h"

#include <optional>
#include <stdexcept>

namespace convforge {

using namespace Halide;

Func zero_padded(Func input, const ConvGeometry &g) {
    Var x("x"), y("y"), c("c"), n("n");
    Func padded("padded");
    Expr sx = x - g.padding, sy = y - g.padding;
    Expr inside = sx >= 0 && sx < g.in_width && sy >= 0 && sy < g.in_height;
    Expr value = input(clamp(sx, 0, g.in_width - 1), clamp(sy, 0, g.in_height - 1), c, n);
    padded(x, y, c, n) = select(inside, value, 0.0f);
    return padded;
}

RDom conv_reduction_domain(const ConvGeometry &g) {
    return RDom(0, g.kernel_size, 0, g.kernel_size, 0, g.in_channels_per_group(), "r");
}

Func conv_core(Func padded, Func weights, Func bias, const ConvGeometry &g, const RDom &r, int skip_column_group) {
    Var o("o"), x("x"), y("y"), n("n");
    Func acc("acc");
    Expr kx = r.x, ky = r.y, c = r.z;
    // With one group the input channel is uniform across an output-channel vector;
    // spelling that case out lets a `groups == 1` specialization broadcast the input.
    Expr group = o / g.out_channels_per_group();
    Expr in_c = select(g.groups == 1, c, group * g.in_channels_per_group() + c);
    // Taps on the zero-padding rows add nothing. Saying so lets a loop nest with
    // the output row outside the tap loops trim them (Halide places the predicate
    // just inside the ky loop and drops the iterations where it is false): at
    // 14 x 14, 3 x 3 with padding 1 that is 5% of the multiply-adds, with
    // SAConv's padding and dilation 3 it is 14%.
    // Columns are trimmed a whole register tile at a time: a guard per column
    // inside the tile made the conv 1.37x slower. Halide trims the kx loop of a
    // tile to the taps some column of it reads: with SAConv's dilation 3 at
    // 14 x 14 and 3-wide tiles, 2 of 5 tiles drop a third of their taps.
    // RDom copies share one domain: this adds the predicates to the caller's `r`.
    Expr input_row = y * g.stride + ky * g.dilation - g.padding;
    Expr taps_input = input_row >= 0 && input_row < g.in_height;
    if (skip_column_group > 0) {
        Expr group_first = (x / skip_column_group) * skip_column_group;
        Expr group_last = group_first + (skip_column_group - 1);
        taps_input = taps_input && group_last * g.stride + kx * g.dilation - g.padding >= 0 &&
                     group_first * g.stride + kx * g.dilation - g.padding < g.in_width;
    }
    RDom shared_domain = r;
    shared_domain.where(taps_input);
    // Register tiles may run past the last channel into the zero-padded weights.
    Expr last_channel = min(o, g.out_channels - 1);
    acc(o, x, y, n) = bias.dimensions() == 2 ? bias(last_channel, n) : bias(last_channel);
    Expr weight = weights.dimensions() == 5 ? weights(o, c, kx, ky, n) : weights(o, c, kx, ky);
    acc(o, x, y, n) += weight * padded(x * g.stride + kx * g.dilation, y * g.stride + ky * g.dilation, in_c, n);
    return acc;
}

ExpertMix mix_experts(Func stacked, Expr experts, Expr expert_channels, Func coefficient) {
    Var o("o"), c("c"), kx("kx"), ky("ky"), n("n");
    ExpertMix mix{Func("sample_weights"), RDom(0, experts, "experts_r")};
    const RVar e = mix.experts_r.x;
    mix.kernel(o, c, kx, ky, n) = 0.0f;
    mix.kernel(o, c, kx, ky, n) += coefficient(e, kx, ky, n) * stacked(o + e * expert_channels, c, kx, ky);
    return mix;
}

namespace {

// F(2x2, 3x3) (Lavin and Gray): input, kernel and output transforms.
constexpr float kWinogradBT[4][4] = {{1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, 1, 0, -1}};
constexpr float kWinogradG[4][3] = {{1, 0, 0}, {0.5f, 0.5f, 0.5f}, {0.5f, -0.5f, 0.5f}, {0, 0, 1}};
constexpr float kWinogradAT[2][4] = {{1, 1, 1, 0}, {0, 1, -1, -1}};

// The value of e if it simplifies to an integer constant. (as_const_int points
// into its argument: the simplified Expr must outlive the read.)
std::optional<int64_t> constant_value(const Expr &e) {
    const Expr simplified = Internal::simplify(e);
    const int64_t *v = Internal::as_const_int(simplified);
    return v ? std::optional<int64_t>(*v) : std::nullopt;
}

}  // namespace

bool winograd_applies(const ConvGeometry &g) {
    const std::optional<int64_t> dilation = constant_value(g.dilation);
    return constant_value(g.kernel_size) == 3 && constant_value(g.stride) == 1 && dilation && *dilation >= 1 &&
           constant_value(g.groups) == 1 && constant_value(g.in_channels) && constant_value(g.out_channels);
}

WinogradConv winograd_conv_core(Func padded, Func weights, Func bias, const ConvGeometry &g) {
    if (!winograd_applies(g))
        throw std::invalid_argument("Winograd F(2x2, 3x3) needs a constant 3x3 geometry with stride 1 and one group");
    const int d = int(*constant_value(g.dilation));
    // At dilation d a tile's two outputs are d apart: tile t holds x = base(t) and
    // base(t) + d, and d consecutive tiles fill 2d consecutive columns.
    auto base = [d](Expr tile) { return d == 1 ? 2 * tile : 2 * d * (tile / d) + tile % d; };
    auto tile_of = [d](Expr v) { return d == 1 ? v / 2 : d * (v / (2 * d)) + v % d; };
    auto element_of = [d](Expr v) { return d == 1 ? v % 2 : (v / d) % 2; };
    Var o("o"), c("c"), e("e"), b("b"), t("t"), u("u"), n("n"), i("i"), j("j"), x("x"), y("y");
    WinogradConv w{Func("winograd_weights"), Func("winograd_input_columns"), Func("winograd_input"),
                   Func("winograd_products"), RDom(0, g.in_channels, "winograd_r"), Func("winograd_stored_products"),
                   Func("winograd_tiles"), Func("acc")};
    // Each element a sum of its nonzero terms only: the transforms are mostly 0 and +-1.
    std::vector<Expr> kernel_elements, column_elements, input_elements, output_elements;
    for (int ey = 0; ey < 4; ++ey)
        for (int ex = 0; ex < 4; ++ex) {
            Expr sum = 0.0f;
            for (int ky = 0; ky < 3; ++ky)
                for (int kx = 0; kx < 3; ++kx)
                    if (const float f = kWinogradG[ex][kx] * kWinogradG[ey][ky]) sum += f * weights(o, c, kx, ky);
            kernel_elements.push_back(sum);
        }
    w.weights(o, c, e) = mux(e, kernel_elements);
    // Separable: B^T along x (4 columns of each input row), then along y.
    for (int ex = 0; ex < 4; ++ex) {
        Expr sum = 0.0f;
        for (int a = 0; a < 4; ++a)
            if (const float f = kWinogradBT[ex][a]) sum += f * padded(base(t) + d * a, base(u) + d * b, c, n);
        column_elements.push_back(sum);
    }
    w.input_columns(c, e, b, t, u, n) = mux(e, column_elements);
    for (int ey = 0; ey < 4; ++ey)
        for (int ex = 0; ex < 4; ++ex) {
            Expr sum = 0.0f;
            for (int row = 0; row < 4; ++row)
                if (const float f = kWinogradBT[ey][row]) sum += f * w.input_columns(c, ex, row, t, u, n);
            input_elements.push_back(sum);
        }
    w.input(c, e, t, u, n) = mux(e, input_elements);
    w.products(o, e, t, u, n) = 0.0f;
    w.products(o, e, t, u, n) += w.weights(o, w.r, e) * w.input(w.r, e, t, u, n);
    w.stored_products(o, e, t, u, n) = w.products(o, e, t, u, n);
    for (int jj = 0; jj < 2; ++jj)
        for (int ii = 0; ii < 2; ++ii) {
            Expr sum = 0.0f;
            for (int ey = 0; ey < 4; ++ey)
                for (int ex = 0; ex < 4; ++ex)
                    if (const float f = kWinogradAT[ii][ex] * kWinogradAT[jj][ey])
                        sum += f * w.stored_products(o, ex + 4 * ey, t, u, n);
            output_elements.push_back(sum);
        }
    w.tiles(o, i, j, t, u, n) = mux(i + 2 * j, output_elements);
    // As conv_core: register tiles may run past the last channel into zero-padded weights.
    w.acc(o, x, y, n) =
        bias(min(o, g.out_channels - 1)) + w.tiles(o, element_of(x), element_of(y), tile_of(x), tile_of(y), n);
    return w;
}

Expr exp_of_nonpositive(Expr v) { return exp(max(v, -104.0f)); }

Expr sigmoid(Expr v) {
    const Expr e = exp_of_nonpositive(-abs(v));  // e^-|v|, in (0, 1]
    return select(v >= 0.0f, 1.0f / (1.0f + e), e / (1.0f + e));
}

Expr activate(Expr v, ActivationKind act) {
    switch (act) {
    case ActivationKind::Relu:
        return max(v, 0.0f);
    case ActivationKind::Silu:
        return v * sigmoid(v);
    case ActivationKind::Identity:
        break;
    }
    return v;
}

Func epilogue(Func acc, ActivationKind act) {
    Var x("x"), y("y"), o("o"), n("n");
    Func out("epilogue");
    out(x, y, o, n) = activate(acc(o, x, y, n), act);
    return out;
}

namespace {

// PyTorch's reflect index of i in [-extent + 1, 2 extent - 2]; clamped so bounds
// inference sees it stay inside [0, extent).
Expr reflect_index(Expr i, Expr extent) {
    return clamp(select(i < 0, -i, i >= extent, 2 * (extent - 1) - i, i), 0, extent - 1);
}

}  // namespace

Func reflect_padded(Func t, int pad, Expr width, Expr height) {
    Var x("x"), y("y");
    Func out("reflect_padded");
    out(x, y, _) = t(reflect_index(x - pad, width), reflect_index(y - pad, height), _);
    return out;
}

Func average_pool(Func t, int size, Expr stride) {
    Var x("x"), y("y");
    Func out("average_pool");
    // A sum of size^2 loads, unrolled: no reduction loop for a small window.
    Expr sum = 0.0f;
    for (int dy = 0; dy < size; ++dy)
        for (int dx = 0; dx < size; ++dx) sum += t(x * stride + dx, y * stride + dy, _);
    out(x, y, _) = sum / float(size * size);
    return out;
}

GlobalAveragePool global_average_pool(Func t, Expr width, Expr height) {
    Var x("x"), c("c"), n("n");
    RDom ry(0, height, "gap_ry"), rx(0, width, "gap_rx");
    GlobalAveragePool pool{Func("gap_column_sums"), Func("gap")};
    pool.column_sums(x, c, n) = 0.0f;
    pool.column_sums(x, c, n) += t(x, ry, c, n);
    pool.mean(c, n) = 0.0f;
    pool.mean(c, n) += pool.column_sums(rx, c, n);
    pool.mean(c, n) = pool.mean(c, n) / cast<float>(width * height);
    return pool;
}

}  // namespace convforge
