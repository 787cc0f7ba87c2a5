// DSConv's integer mode (activation_bits 8; VARIANTS.md, dsconv) in one pipeline.
// Says what is computed; schedules/dsconv/ and schedules/<target>/dsconv.cpp say how.
//
// Per image, pixel and block b of B input channels (the last maybe shorter):
//   e   = max over the block of floor(log2 |x|), exactly, from the floats' bits (0 if all zero)
//   q_x = clamp(round_half_even(x 2^(6 - e)), -128, 127);  x^ = q_x 2^(e - 6)
// and with the kernel's levels q_w and, per (o, b, tap t),
//   A = alpha CDSw s_bn,  K = (KDSb CDSw + CDSb) s_bn  (the runtime folds them)
//   out(o) = act(bias(o) + sum over (t, b) of 2^(e - 6) (A dot_b + K sum_b q_x))
//   dot_b  = sum over the block of q_x q_w, in int32
// which is sum over channels of W_eff x^ with W_eff = CDSw (alpha q_w + KDSb) + CDSb.
// The mantissas are int8 q_x. ARM's sdot and CUDA's dp4a multiply i8 x i8; x86's
// vpdpbusd multiplies u8 x i8, with the i8 operand the one it can broadcast from
// memory, so there the levels become u8 q_w + 128 (a small stage per call) and
// the mantissas stay the broadcast operand: the block sum is then
// dot + 128 sum_b q_x, and K - 128 A takes K's place (exact in the integers; the
// fold's float rounding stays relative to 128 |A sum_b q_x|, far inside 1e-4).
//
// Arguments: those of every conv-like layer (conv_layer_generator.h: `weights` is
// A, packed as a conv kernel [O, blocks, k, k]; groups 1: a grouped layer calls
// the kernel once per group), then
//   levels        int8 (c % 4, o, c / 4, kx, ky): q_w, the channels in blocks padded
//                 to a multiple of 4 (c = b Bp + j, Bp = 4 ceil(B / 4)), zeros in the
//                 padding, o up to packed_channel_count(O)
//   block_shift   K, packed as `weights`
//   block_size    B
//   output        float32 NCHW (x, y, o, n)
#include "dsconv_layer_generator.h"
#include "../schedules/dsconv/stages.h"
#include "../schedules/target_facts.h"

namespace convforge {
namespace {

using namespace Halide;

// floor(log2 |v|) of a float's bits, exact for normal and subnormal values;
// kNoExponent for zero (below any real one: it never wins a block's max).
constexpr int kNoExponent = -1000;
Expr exponent_of(Expr v) {
    Expr magnitude = reinterpret<uint32_t>(v) & 0x7fffffff;
    Expr biased = cast<int32_t>(magnitude >> 23), mantissa = magnitude & 0x7fffff;
    return select(biased > 0, biased - 127, mantissa > 0, 31 - cast<int32_t>(count_leading_zeros(mantissa)) - 149,
                  kNoExponent);
}

// v 2^k for |k| <= 252, exactly while the result is a normal float: v times two
// normal powers of two in turn (2^k itself overflows float for k > 127).
Expr times_power_of_two(Expr v, Expr k) {
    auto factor = [](Expr j) { return reinterpret<float>(cast<uint32_t>(j + 127) << 23); };
    Expr half = k / 2;
    return (v * factor(half)) * factor(k - half);
}

class DsconvGenerator : public DsconvLayerGenerator<DsconvGenerator> {
public:
    void generate() {
        const ConvGeometry g = conv_geometry();
        st.geometry = g;
        const Expr B = block_size_expr(), padded_block = (B + 3) / 4 * 4;
        const Expr C = g.in_channels, blocks = (C + B - 1) / B;
        const Expr W = g.in_width, H = g.in_height;
        // A CUDA target's arch is its host's (x86): the family says which instruction runs.
        const TargetFacts facts = target_facts(get_target());
        st.levels_biased = facts.family == ScheduleFamily::X86;
        const float level_offset = st.levels_biased ? 128.0f : 0.0f;
        Var x("x"), y("y"), q("q"), n("n"), b("b"), o("o"), kx("kx"), ky("ky"), lane("lane");

        // Each pixel's block exponent over the image, and the mantissas q_x of the
        // block's (padded) channel j, 0 in the padding channels.
        const RDom &in_block = st.in_block = RDom(0, B, "in_block");
        const Expr channel = b * B + in_block;
        st.block_max(x, y, b, n) = kNoExponent;
        st.block_max(x, y, b, n) =
            max(st.block_max(x, y, b, n),
                select(channel < C, exponent_of(input(x, y, min(channel, C - 1), n)), kNoExponent));
        auto exponent = [&](Expr px, Expr py, Expr pb) {
            return select(st.block_max(px, py, pb, n) == kNoExponent, 0, st.block_max(px, py, pb, n));
        };
        auto level_of = [&](Expr jj, Expr px, Expr py) {
            const Expr source = b * B + jj;
            const Expr v = times_power_of_two(input(px, py, clamp(source, 0, C - 1), n), 6 - exponent(px, py, b));
            return select(jj < B && source < C, cast<int32_t>(clamp(round(v), -128.0f, 127.0f)), 0);
        };

        // The stages the conv reads are defined over the zero-padded image: their
        // pure definitions fill it (q = 0, no scale), an update over the image
        // writes the inside, and the conv reads plain loads with no select.
        const RDom &image = st.image = RDom(0, W, 0, H, "image");
        st.mantissas(lane, x, y, q, b, n) = cast<int8_t>(0);
        st.mantissas(lane, image.x, image.y, q, b, n) = cast<int8_t>(level_of(4 * q + lane, image.x, image.y));
        st.scale(x, y, b, n) = 0.0f;
        st.scale(image.x, image.y, b, n) = times_power_of_two(1.0f, exponent(image.x, image.y, b) - 6);
        // 2^(e - 6) sum_b q_x, exact (an integer below 2^24, then a power of two),
        // summed from the mantissas: 0 in the padding, and a quarter of the input's bytes.
        const RDom &in_mantissas = st.in_mantissas = RDom(0, 4, 0, padded_block / 4, "in_mantissas");
        st.mantissa_sums(x, y, b, n) = 0;
        st.mantissa_sums(x, y, b, n) += cast<int32_t>(st.mantissas(in_mantissas.x, x, y, in_mantissas.y, b, n));
        st.scaled_sums(x, y, b, n) = st.scale(x, y, b, n) * cast<float>(st.mantissa_sums(x, y, b, n));

        // The integer dot product of one block at one tap, 4 channels per lane step.
        Var c4("c4");
        const Expr level = levels(lane, o, c4, kx, ky);
        // q + 128 as u8: the two's complement bits with the sign bit flipped.
        st.dot_levels(lane, o, c4, kx, ky) = st.levels_biased ? cast<uint8_t>(level) ^ cast<uint8_t>(0x80) : level;
        st.dot_r = RDom(0, 4, 0, padded_block / 4, "dot_r");
        const Expr px = x * g.stride - g.padding + kx * g.dilation, py = y * g.stride - g.padding + ky * g.dilation;
        st.dot(o, x, y, n, b, kx, ky) = 0;
        st.dot(o, x, y, n, b, kx, ky) +=
            cast<int32_t>(st.dot_levels(st.dot_r.x, o, b * padded_block / 4 + st.dot_r.y, kx, ky)) *
            cast<int32_t>(st.mantissas(st.dot_r.x, px, py, st.dot_r.y, b, n));

        // Each (tap, block) sum scaled into the float accumulator.
        st.taps_r = RDom(0, g.kernel_size, 0, g.kernel_size, 0, blocks, "taps_r");
        const RVar tx = st.taps_r.x, ty = st.taps_r.y, tb = st.taps_r.z;
        const Expr tpx = x * g.stride - g.padding + tx * g.dilation, tpy = y * g.stride - g.padding + ty * g.dilation;
        Func A = unpacked(weights), K = unpacked(block_shift);
        const Expr a = A(o, tb, tx, ty), shift = K(o, tb, tx, ty) - level_offset * a;
        st.acc(o, x, y, n) = bias(min(o, g.out_channels - 1));  // channels past O: padding tiles
        st.acc(o, x, y, n) += cast<float>(st.dot(o, x, y, n, tb, tx, ty)) * a * st.scale(tpx, tpy, tb, n) +
                              shift * st.scaled_sums(tpx, tpy, tb, n);

        output(x, y, o, n) = epilogue(st.acc, activation)(x, y, o, n);
        st.output = output;
        st.valid = call_matches_emitted_geometry() && block_size_matches() &&
                   levels.dim(2).extent() == blocks * padded_block / 4;
        knob_values = schedule_knobs(variant_schedule.knob_space(facts, path));
        constrain_conv_buffers(output);
        constrain_packed_weights(block_shift);
        // 4 channels of 16 (or 4) output channels are one dense vector load.
        for (int d = 0; d < 5; ++d) levels.dim(d).set_min(0);
        levels.dim(0).set_extent(4);
        levels.dim(1).set_stride(4);
    }

    void schedule() {
        if (get_auto_schedule()) {
            set_estimates();
            return;
        }
        variant_schedule.schedule(st, knob_values, target_facts(get_target()));
        refuse_other_calls(output, st.valid, "dsconv", "one group per call, the block size and levels' layout");
        set_estimates();
    }

private:
    const VariantSchedule<DsconvStages> &variant_schedule = VariantSchedule<DsconvStages>::of("dsconv");
    DsconvStages st = named_stages();
    KnobValues knob_values;

    static DsconvStages named_stages() {
        DsconvStages s;
        s.block_max = Func("block_max");
        s.mantissas = Func("mantissas");
        s.mantissa_sums = Func("mantissa_sums");
        s.scaled_sums = Func("scaled_sums");
        s.scale = Func("block_scale");
        s.dot_levels = Func("dot_levels");
        s.dot = Func("block_dot");
        s.acc = Func("acc");
        return s;
    }

    void set_estimates() {
        set_conv_estimates(output);
        set_block_scale_estimates();
        const EstimatedLayer l = estimated_layer();
        const int B = estimated_block_size(), blocks = (l.in_channels + B - 1) / B, padded_block = (B + 3) / 4 * 4;
        levels.set_estimates({{0, 4},
                              {0, packed_channel_count(l.out_channels)},
                              {0, blocks * padded_block / 4},
                              {0, l.kernel_size},
                              {0, l.kernel_size}});
    }
};

}  // namespace
}  // namespace convforge

HALIDE_REGISTER_GENERATOR(convforge::DsconvGenerator, convforge_dsconv)
