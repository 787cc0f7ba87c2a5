// SAConv (switchable atrous convolution, DetectoRS) in eval mode, one pipeline.
// Says what is computed; schedules/saconv/ and schedules/<target>/saconv.cpp say how.
//
//   x'  = x + pre(c, n),  pre = pre_context(GAP(x))      added while the padded input is built
//   S   = switch(avgpool5(reflect_pad2(x'))) at stride s  from one weighted channel sum of x:
//         the switch is linear, so S = avgpool5(reflect(sum_c w_c x_c)) + sum_c w_c pre_c + b
//   ys  = conv(x', W^;  s, p,  d)    yl = conv(x', W^l; s, 3p, 3d)    (the conv core, twice;
//         both read one copy of x' padded by 3p, the small branch at an offset of 2p)
//   z   = S ys + (1 - S) yl + bias
//   out = act(scale (z + post_context(GAP(z))) + shift)   (scale, shift: BatchNorm, or 1 and 0)
// GAP(z) is known before z is: the convolutions are linear, so the sum of S ys over
// the output pixels is sum over (c, tap) of W^(o, c, tap) times the sum of S x'(tap),
// and likewise for (1 - S) yl. Those tap sums cost 2 C k^2 multiply-adds per output
// pixel (the conv costs O C k^2 per branch), so z is never a tensor: the conv pass
// writes the output once (a schedule may stage S ys for one channel tile).
//
// Arguments: those of every conv-like layer (conv_layer_generator.h; `weights` is
// W^ packed, `bias` the conv bias or zeros), then
//   weights_large         W^ + weight_diff, packed as `weights`
//   switch_weight (c), switch_bias (1)
//   pre_context_weight (c_out, c_in), pre_context_bias (c)     (state_dict [C, C, 1, 1] transposed:
//   post_context_weight (o_out, o_in), post_context_bias (o)   c_out innermost, so each matvec is vectorized)
//   bn_scale (o), bn_shift (o)   the epilogue's BatchNorm as an affine map (1 and 0 without)
//   output  float32 NCHW (x, y, o, n)
// The runtime checks k odd, padding = d (k - 1) / 2 and H, W >= 3; the kernel
// refuses calls that break them too.
#include "conv_layer_generator.h"
#include "../schedules/saconv/stages.h"
#include "../schedules/target_facts.h"

namespace convforge {
namespace {

using namespace Halide;

class SaconvGenerator : public ConvLayerGenerator<SaconvGenerator> {
public:
    Input<Buffer<float>> weights_large{"weights_large", 5};
    Input<Buffer<float>> switch_weight{"switch_weight", 1};
    Input<Buffer<float>> switch_bias{"switch_bias", 1};
    Input<Buffer<float>> pre_context_weight{"pre_context_weight", 2};
    Input<Buffer<float>> pre_context_bias{"pre_context_bias", 1};
    Input<Buffer<float>> post_context_weight{"post_context_weight", 2};
    Input<Buffer<float>> post_context_bias{"post_context_bias", 1};
    Input<Buffer<float>> bn_scale{"bn_scale", 1};
    Input<Buffer<float>> bn_shift{"bn_shift", 1};
    Output<Buffer<float>> output{"output", 4};

    void generate() {
        if (path == ConvPath::Pointwise)
            throw std::invalid_argument("saconv has no pointwise path: its 1x1 layers take the dense one");
        Var x("x"), y("y"), c("c"), n("n"), o("o");
        const ConvGeometry small = conv_geometry();
        ConvGeometry large = small;
        large.padding = 3 * small.padding;
        large.dilation = 3 * small.dilation;
        const Expr C = small.in_channels, O = small.out_channels, s = small.stride, p = small.padding;
        const Expr out_w = (small.in_width - 1) / s + 1, out_h = (small.in_height - 1) / s + 1;

        // The pre-context, and x' padded once for both branches.
        st.gap_x = global_average_pool(input, small.in_width, small.in_height);
        const Func gap_x = st.gap_x.mean;
        RDom rc(0, C, "rc");
        st.channel_r = rc;
        st.pre_context(c, n) = pre_context_bias(c);
        st.pre_context(c, n) += pre_context_weight(c, rc) * gap_x(rc, n);
        Func x_prime("x_prime");
        x_prime(x, y, c, n) = input(x, y, c, n) + st.pre_context(c, n);
        Func padded = zero_padded(x_prime, large);
        Func padded_small("padded_small");
        padded_small(x, y, c, n) = padded(x + 2 * p, y + 2 * p, c, n);

        // The switch map at output resolution.
        st.switch_input(x, y, n) = 0.0f;
        st.switch_input(x, y, n) += switch_weight(rc) * input(x, y, rc, n);
        st.switch_offset(n) = switch_bias(0);
        st.switch_offset(n) += switch_weight(rc) * st.pre_context(rc, n);
        st.switch_padded = reflect_padded(st.switch_input, 2, small.in_width, small.in_height);
        Func pooled = average_pool(st.switch_padded, 5, s);
        st.switch_map(x, y, n) = pooled(x, y, n) + st.switch_offset(n);

        // The two branches and their blend.
        Func no_bias("no_bias");
        no_bias(o) = 0.0f;
        st.conv.r = conv_reduction_domain(small);
        st.r_large = conv_reduction_domain(large);
        const TargetFacts facts = target_facts(get_target());
        knob_values = schedule_knobs(variant_schedule.knob_space(facts, path));
        const int tile_columns = register_tile_columns(facts, knob_values);
        // The Winograd knobs exist in the CPU dense spaces only.
        auto knob_set = [this](const char *name) {
            const auto it = knob_values.find(name);
            return it != knob_values.end() && it->second != 0;
        };
        if (knob_set("small_branch_winograd") && winograd_applies(small)) {
            st.small_winograd = winograd_conv_core(padded_small, unpacked(weights), no_bias, small);
            st.conv.acc = st.small_winograd->acc;
        } else {
            st.conv.acc = conv_core(padded_small, unpacked(weights), no_bias, small, st.conv.r, tile_columns);
        }
        if (knob_set("large_branch_winograd") && winograd_applies(large)) {
            st.large_winograd = winograd_conv_core(padded, unpacked(weights_large), no_bias, large);
            st.acc_large = st.large_winograd->acc;
        } else {
            st.acc_large = conv_core(padded, unpacked(weights_large), no_bias, large, st.r_large, tile_columns);
        }
        // The blend in two steps, one per branch, so a schedule may run each
        // branch over a whole channel tile before the other (one branch's weights
        // in cache at a time) or both within one register tile.
        st.small_blend(o, x, y, n) = st.switch_map(x, y, n) * st.conv.acc(o, x, y, n);
        st.blend(o, x, y, n) = st.small_blend(o, x, y, n) + (1.0f - st.switch_map(x, y, n)) * st.acc_large(o, x, y, n);

        // GAP(z) through the tap sums; then the post-context and the epilogue's shift.
        st.tap_sums_r = RDom(0, out_w, 0, out_h, "tap_r");
        const RVar px = st.tap_sums_r.x, py = st.tap_sums_r.y;
        Var kx("kx"), ky("ky");
        Expr S = st.switch_map(px, py, n);
        st.tap_sums(c, kx, ky, n) = Tuple(0.0f, 0.0f);
        st.tap_sums(c, kx, ky, n) =
            Tuple(st.tap_sums(c, kx, ky, n)[0] + S * padded_small(px * s + kx * small.dilation, py * s + ky * small.dilation, c, n),
                  st.tap_sums(c, kx, ky, n)[1] +
                      (1.0f - S) * padded(px * s + kx * large.dilation, py * s + ky * large.dilation, c, n));
        RDom rw(0, small.kernel_size, 0, small.kernel_size, 0, small.in_channels_per_group(), "rw");
        st.blended_sum_r = rw;
        Func w_small = unpacked(weights), w_large = unpacked(weights_large);
        Expr in_c = select(small.groups == 1, rw.z, o / small.out_channels_per_group() * small.in_channels_per_group() + rw.z);
        st.blended_sum(o, n) = 0.0f;
        st.blended_sum(o, n) += w_small(o, rw.z, rw.x, rw.y) * st.tap_sums(in_c, rw.x, rw.y, n)[0] +
                                w_large(o, rw.z, rw.x, rw.y) * st.tap_sums(in_c, rw.x, rw.y, n)[1];
        Func gap_z("gap_z");
        gap_z(o, n) = st.blended_sum(o, n) / cast<float>(out_w * out_h) + bias(o);
        RDom ro(0, O, "ro");
        st.post_context(o, n) = post_context_bias(o);
        st.post_context(o, n) += post_context_weight(o, ro) * gap_z(ro, n);
        st.output_shift(o, n) = bn_scale(o) * (bias(o) + st.post_context(o, n)) + bn_shift(o);

        Func shifted("shifted");
        shifted(o, x, y, n) = bn_scale(o) * st.blend(o, x, y, n) + st.output_shift(o, n);
        Func result = epilogue(shifted, activation);
        output(x, y, o, n) = result(x, y, o, n);

        st.conv.path = path;
        st.conv.geometry = small;
        st.conv.valid = call_is_valid();  // after the geometry, which it reads
        st.conv.padded = padded;
        st.padded_small = padded_small;
        st.conv.output = output;
        constrain_conv_buffers(output);
        constrain_packed_weights(weights_large);
    }

    void schedule() {
        if (get_auto_schedule()) {
            set_estimates();
            return;
        }
        variant_schedule.schedule(st, knob_values, target_facts(get_target()));
        refuse_other_calls(output, st.conv.valid, "saconv",
                           "odd kernel_size, padding = dilation * (kernel_size - 1) / 2, input height and width >= 3");
        set_estimates();
    }

private:
    const VariantSchedule<SaconvStages> &variant_schedule = VariantSchedule<SaconvStages>::of("saconv");
    SaconvStages st = named_stages();
    KnobValues knob_values;

    static SaconvStages named_stages() {
        SaconvStages s;
        s.pre_context = Func("pre_context");
        s.switch_offset = Func("switch_offset");
        s.switch_input = Func("switch_input");
        s.switch_map = Func("switch_map");
        s.tap_sums = Func("tap_sums");
        s.blended_sum = Func("blended_sum");
        s.small_blend = Func("small_blend");
        s.blend = Func("blend");
        s.post_context = Func("post_context");
        s.output_shift = Func("output_shift");
        return s;
    }

    Expr call_is_valid() const {
        const ConvGeometry &g = st.conv.geometry;
        const Expr k = g.kernel_size;
        return call_matches_emitted_geometry() && k % 2 == 1 && 2 * g.padding == g.dilation * (k - 1) &&
               input.dim(0).extent() >= 3 && input.dim(1).extent() >= 3 &&
               weights_large.dim(2).extent() == k && weights_large.dim(4).extent() == weights.dim(4).extent() &&
               switch_weight.dim(0).extent() == input.dim(2).extent();
    }

    void set_estimates() {
        set_conv_estimates(output);
        const EstimatedLayer e = estimated_layer();
        set_packed_weight_estimates(weights_large);
        switch_weight.set_estimates({{0, e.in_channels}});
        switch_bias.set_estimates({{0, 1}});
        pre_context_weight.set_estimates({{0, e.in_channels}, {0, e.in_channels}});
        pre_context_bias.set_estimates({{0, e.in_channels}});
        post_context_weight.set_estimates({{0, e.out_channels}, {0, e.out_channels}});
        for (auto *v : {&post_context_bias, &bn_scale, &bn_shift}) v->set_estimates({{0, e.out_channels}});
    }
};

}  // namespace
}  // namespace convforge

HALIDE_REGISTER_GENERATOR(convforge::SaconvGenerator, convforge_saconv)
