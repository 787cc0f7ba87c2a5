// SPConv_3x3 (split to be slim) in eval mode, one pipeline. Says what is computed;
// schedules/spconv/ and schedules/<target>/spconv.cpp say how.
//
//   x3 = x[:C3], x1 = x[C3:]           read in place (channel ranges of `input`)
//   P  = 2 x 2 average pool at stride 2, identity at stride 1
//   Y3 = gwc(x3; s, groups) + pwc P(x3) + c3    (bn1 folded into gwc, pwc and the bias c3)
//   Y1 = conv1x1 P(x1) + c1                     (bn2 folded into conv1x1 and the bias c1)
//   [beta3, beta1] = softmax(GAP(Y3), GAP(Y1)) per (o, n)
//   out = act(scale (beta3 Y3 + beta1 Y1) + shift)   (scale, shift: the epilogue's BatchNorm)
//       = act(s3 (gwc + pwc) + conv1x1 with weights times s1 + offset),  s3 = scale beta3, s1 = scale beta1
// GAP(Y3) and GAP(Y1) are known before either branch is: both are linear in x, so
// GAP(Y1) = conv1x1 GAP(x1) + c1 (P keeps the mean: stride 2 needs even sizes),
// and GAP(Y3) adds gwc applied to the sums of x3 under each 3 x 3 tap over the
// output positions (9 C3 sums per image, from sums of x over the rows and then
// the columns each tap reads). So the softmax weights come from one cheap pass over x, and the branches are computed once, straight into the output:
// no Y3 or Y1 tensor, no second pass.
//
// Arguments: those of every conv-like layer (conv_layer_generator.h: `weights` is
// gwc packed, [O, C3 / groups, 3, 3]; `bias` is c3), then
//   pointwise_weights  [O, C, 1, 1] packed as `weights`: pwc over channels [0, C3),
//                      conv1x1 over [C3, C)
//   uncertain_bias (o) c1;  bn_scale (o), bn_shift (o): the epilogue's BatchNorm (1 and 0 without)
//   split              C3
//   output             float32 NCHW (x, y, o, n)
// The runtime checks k = 3, padding 1, dilation 1, stride 1 or 2 (with even sizes),
// C3 and O divisible by groups; the kernel refuses calls that break them too.
#include "conv_layer_generator.h"
#include "spconv_contract.h"
#include "../schedules/spconv/stages.h"
#include "../schedules/target_facts.h"

namespace convforge {
namespace {

using namespace Halide;

class SpconvGenerator : public ConvLayerGenerator<SpconvGenerator> {
public:
    GeneratorParam<int> fixed_split{fixed_param::split, 0};
    Input<Buffer<float>> pointwise_weights{"pointwise_weights", 5};
    Input<Buffer<float>> uncertain_bias{"uncertain_bias", 1};
    Input<Buffer<float>> bn_scale{"bn_scale", 1};
    Input<Buffer<float>> bn_shift{"bn_shift", 1};
    Input<int> split{"split"};
    Output<Buffer<float>> output{"output", 4};

    void generate() {
        if (path != ConvPath::Grouped)
            throw std::invalid_argument("spconv has one path, grouped (its 3x3 branch): got another");
        Var x("x"), y("y"), c("c"), n("n"), o("o"), kx("kx"), ky("ky");
        const ConvGeometry whole = conv_geometry();
        const Expr C = whole.in_channels, O = whole.out_channels, s = whole.stride;
        const Expr C3 = fixed_split > 0 ? Expr(int(fixed_split)) : Expr(split);
        const Expr W = whole.in_width, H = whole.in_height;
        const Expr out_w = (W - 1) / s + 1, out_h = (H - 1) / s + 1;

        // x padded by 1: the 3x3 branch reads channels [0, C3), and at stride 1
        // the pointwise convs read every channel of it (P is the identity there).
        ConvGeometry grouped = whole;
        grouped.in_channels = C3;
        grouped.kernel_size = 3;
        grouped.padding = 1;
        grouped.dilation = 1;
        st.padded = zero_padded(input, grouped);
        // P(x), every channel. The stride-2 window is clamped so that bounds
        // inference of a shape-generic kernel (stride a runtime value) stays inside x.
        Expr x0 = clamp(2 * x, 0, W - 1), x1 = clamp(2 * x + 1, 0, W - 1);
        Expr y0 = clamp(2 * y, 0, H - 1), y1 = clamp(2 * y + 1, 0, H - 1);
        Expr window = (input(x0, y0, c, n) + input(x1, y0, c, n) + input(x0, y1, c, n) + input(x1, y1, c, n)) * 0.25f;
        st.pooled(x, y, c, n) = select(s == 2, window, st.padded(clamp(x, 0, W - 1) + 1, clamp(y, 0, H - 1) + 1, c, n));

        // The softmax weights, from the mean of x and the tap sums of x3, both out
        // of one pass over x. Tap row ky reads input rows s oy + ky - 1 (0 <= oy <
        // out_h) that lie in the image; column_sums adds up each column over those
        // rows, and the tap sums add those up over the columns tap column kx reads.
        // The mean is over every row: rows of tap row 1 at stride 1; at stride 2
        // (even H) the even rows of tap row 1 and the odd rows of tap row 2.
        auto tap_reads = [&](Expr i, Expr k, Expr out_extent) {
            Expr t = i - k + 1;
            return t >= 0 && t % s == 0 && t / s < out_extent;
        };
        RDom ry(0, H, "row_r"), rx(0, W, "column_r");
        st.column_sums_r = ry;
        st.column_sums(x, ky, c, n) = 0.0f;
        st.column_sums(x, ky, c, n) += select(tap_reads(ry, ky, out_h), input(x, ry, c, n), 0.0f);
        st.tap_sums(c, kx, ky, n) = 0.0f;
        st.tap_sums(c, kx, ky, n) += select(tap_reads(rx, kx, out_w), st.column_sums(rx, ky, c, n), 0.0f);
        st.mean(c, n) = 0.0f;
        st.mean(c, n) += st.column_sums(rx, 1, c, n) + select(s == 2, st.column_sums(rx, 2, c, n), 0.0f);
        st.mean(c, n) = st.mean(c, n) / cast<float>(W * H);
        const Func mean = st.mean;
        Func w_grouped = unpacked(weights), w_point = unpacked(pointwise_weights);
        const Expr cg = C3 / whole.groups, og = O / whole.groups;
        RDom rw(0, 3, 0, 3, 0, cg, "rw");
        RDom r3(0, C3, "r3"), r1(0, C - C3, "r1");
        // A register tile past the last channel reads these there: clamped, as
        // conv_core's bias is, so they never read past O channels.
        const Expr oc = clamp(o, 0, O - 1);
        st.branch_means(o, n) = Tuple(bias(oc), uncertain_bias(oc));
        st.branch_means(o, n) = Tuple(st.branch_means(o, n)[0] + w_grouped(oc, rw.z, rw.x, rw.y) *
                                                                     st.tap_sums(oc / og * cg + rw.z, rw.x, rw.y, n) /
                                                                     cast<float>(out_w * out_h),
                                      st.branch_means(o, n)[1]);
        st.branch_means(o, n) =
            Tuple(st.branch_means(o, n)[0] + w_point(oc, r3, 0, 0) * mean(r3, n), st.branch_means(o, n)[1]);
        st.branch_means(o, n) = Tuple(st.branch_means(o, n)[0],
                                      st.branch_means(o, n)[1] + w_point(oc, C3 + r1, 0, 0) * mean(C3 + r1, n));
        // out = scale3 (gwc + pwc) + conv1x1 with weights times scale1 + offset (no biases in the sums).
        Expr g3 = st.branch_means(o, n)[0], g1 = st.branch_means(o, n)[1];
        // The two-way softmax is a sigmoid of the difference: no exp of a large argument.
        Expr beta3 = sigmoid(g3 - g1), beta1 = sigmoid(g1 - g3);
        st.mix(o, n) = Tuple(bn_scale(oc) * beta3, bn_scale(oc) * beta1,
                             bn_scale(oc) * (beta3 * bias(oc) + beta1 * uncertain_bias(oc)) + bn_shift(oc));

        // Both branches in one accumulator, so an output tile needs one register
        // tile: gwc, then pwc (both read x3), then the sum scaled by its softmax
        // weight, then conv1x1's terms, each weight scaled by the other's. (Two
        // accumulators, one per branch, held 24 vectors at once at the blend on
        // AVX2's 16 registers: LLVM kept the first in registers and spilled the
        // second's whole reduction.)
        Func no_bias("no_bias");
        no_bias(o) = 0.0f;
        st.r_grouped = conv_reduction_domain(grouped);
        const TargetFacts facts = target_facts(get_target());
        knob_values = schedule_knobs(variant_schedule.knob_space(facts, path));
        st.acc_representative =
            conv_core(st.padded, w_grouped, no_bias, grouped, st.r_grouped, register_tile_columns(facts, knob_values));
        st.r_representative = RDom(0, 1, 0, 1, 0, C3, "r_pwc");
        st.acc_representative(o, x, y, n) +=
            w_point(o, st.r_representative.z, 0, 0) * st.pooled(x, y, st.r_representative.z, n);
        st.acc_representative(o, x, y, n) = st.acc_representative(o, x, y, n) * st.mix(o, n)[0];
        st.r_uncertain = RDom(0, 1, 0, 1, 0, C - C3, "r_uncertain");
        st.acc_representative(o, x, y, n) += (st.mix(o, n)[1] * w_point(o, C3 + st.r_uncertain.z, 0, 0)) *
                                             st.pooled(x, y, C3 + st.r_uncertain.z, n);

        Func mixed("mixed");
        mixed(o, x, y, n) = st.acc_representative(o, x, y, n) + st.mix(o, n)[2];
        Func result = epilogue(mixed, activation);
        output(x, y, o, n) = result(x, y, o, n);

        st.geometry = grouped;
        st.valid = call_is_valid(C3);
        st.output = output;
        constrain_conv_buffers(output);
        constrain_packed_weights(pointwise_weights);
    }

    void schedule() {
        if (get_auto_schedule()) {
            set_estimates();
            return;
        }
        variant_schedule.schedule(st, knob_values, target_facts(get_target()));
        refuse_other_calls(output, st.valid, "spconv",
                           "3x3, stride 1 or 2 with even sizes at 2, padding 1, dilation 1, split and output channels "
                           "divisible by groups");
        set_estimates();
    }

private:
    const VariantSchedule<SpconvStages> &variant_schedule = VariantSchedule<SpconvStages>::of("spconv");
    SpconvStages st = named_stages();
    KnobValues knob_values;

    static SpconvStages named_stages() {
        SpconvStages s;
        s.pooled = Func("pooled");
        s.column_sums = Func("column_sums");
        s.tap_sums = Func("tap_sums");
        s.mean = Func("mean");
        s.branch_means = Func("branch_means");
        s.mix = Func("mix");
        return s;
    }

    // The emitted layer's fixed fields (conv_layer_generator.h), the split, and
    // SPConv's own rules.
    Expr call_is_valid(Expr C3) const {
        Expr ok = call_matches_emitted_geometry();
        if (fixed_split > 0) ok = ok && split == fixed_split;
        const Expr C = input.dim(2).extent(), O = bias.dim(0).extent();
        const Expr W = input.dim(0).extent(), H = input.dim(1).extent();
        return ok && (stride == 1 || (stride == 2 && W % 2 == 0 && H % 2 == 0)) && padding == 1 && dilation == 1 &&
               groups >= 1 && C3 >= 1 && C3 < C && C3 % groups == 0 && O % groups == 0 &&
               weights.dim(1).extent() * groups == C3 && weights.dim(2).extent() == 3 &&
               pointwise_weights.dim(1).extent() == C && pointwise_weights.dim(2).extent() == 1 &&
               uncertain_bias.dim(0).extent() == O;
    }

    void set_estimates() {
        set_conv_estimates(output);
        const EstimatedLayer e = estimated_layer();
        const int c3 = fixed_split > 0 ? int(fixed_split) : e.in_channels / 2;
        weights.set_estimates({{0, kPackedChannelTile},
                               {0, c3 / e.groups},
                               {0, 3},
                               {0, 3},
                               {0, packed_channel_count(e.out_channels) / kPackedChannelTile}});
        pointwise_weights.set_estimates({{0, kPackedChannelTile},
                                         {0, e.in_channels},
                                         {0, 1},
                                         {0, 1},
                                         {0, packed_channel_count(e.out_channels) / kPackedChannelTile}});
        split.set_estimate(c3);
        for (auto *v : {&uncertain_bias, &bn_scale, &bn_shift}) v->set_estimates({{0, e.out_channels}});
    }
};

}  // namespace
}  // namespace convforge

HALIDE_REGISTER_GENERATOR(convforge::SpconvGenerator, convforge_spconv)
