// ODConv (omni-dimensional dynamic convolution), the whole batch in one pipeline.
// Says what is computed; schedules/dynamic_conv/ and schedules/<target>/odconv.cpp
// say how.
//
//   h(a, n)   = relu(attention_bias(a) + sum_c attention_weight(a, c) GAP(x)(c, n))
//   logits(j, n) = head_bias(j) + sum_a head_weight(j, a) h(a, n)    (all four heads, stacked)
//   αc = σ(logits[0, C)),  αf = σ(logits[C, C + O)),  αs = σ(logits[C + O, + k^2)),
//   αw = softmax over the last E rows                   (an absent head: 1)
//   W_n(o, c, kx, ky) = sum_e αw(e, n) αs(kx + k ky, n) weight_e     (mix_experts)
//   out = act(αf(o, n) conv(αc ⊙ x, W_n) + bias(o))
// αc scales the input as it is copied into the padded buffer the conv reads, αf
// the conv's sum in the epilogue: neither is a pass of its own.
//
// Arguments: those of every conv-like layer (conv_layer_generator.h), with
//   weights          the E experts, BatchNorm's scale folded in, packed as one conv's
//                    weights of E * packed_channel_count(O) output channels
//   bias (o)         BatchNorm's shift (zeros without)
// then
//   attention_weight (a, c), attention_bias (a)   fc with the attention's BatchNorm folded in
//   head_weight (j, a), head_bias (j)             channel_fc, filter_fc, spatial_fc, kernel_fc
//                                                 over T, stacked; an absent head's rows zero
//   experts                                       E
//   filter_attention, spatial_attention, kernel_attention   1 where the head exists, else 0
//   output  float32 NCHW (x, y, o, n)
#include "conv_layer_generator.h"
#include "../schedules/dynamic_conv/stages.h"
#include "../schedules/target_facts.h"

namespace convforge {
namespace {

using namespace Halide;

class OdconvGenerator : public ConvLayerGenerator<OdconvGenerator> {
public:
    // The number of experts when a kernel is emitted for one layer (0: `experts`).
    GeneratorParam<int> fixed_experts{fixed_param::experts, 0};
    Input<Buffer<float>> attention_weight{"attention_weight", 2};
    Input<Buffer<float>> attention_bias{"attention_bias", 1};
    Input<Buffer<float>> head_weight{"head_weight", 2};
    Input<Buffer<float>> head_bias{"head_bias", 1};
    Input<int> experts{"experts"};
    Input<int> filter_attention{"filter_attention"};
    Input<int> spatial_attention{"spatial_attention"};
    Input<int> kernel_attention{"kernel_attention"};
    Output<Buffer<float>> output{"output", 4};

    void generate() {
        if (path == ConvPath::Pointwise)
            throw std::invalid_argument("odconv has no pointwise path: its 1x1 layers take the dense one");
        Var x("x"), y("y"), c("c"), n("n"), o("o"), e("e"), a("a"), j("j"), m("m"), kx("kx"), ky("ky");
        const ConvGeometry g = conv_geometry();
        const Expr E = expert_count(), C = g.in_channels, O = g.out_channels, k = g.kernel_size;

        st.gap = global_average_pool(input, g.in_width, g.in_height);
        RDom rc(0, C, "attention_r");
        Func hidden_sum("hidden_sum"), hidden("hidden"), logits("head_logits");
        hidden_sum(a, n) = attention_bias(a);
        hidden_sum(a, n) += attention_weight(a, rc) * st.gap.mean(rc, n);
        hidden(a, n) = max(hidden_sum(a, n), 0.0f);
        RDom ra(0, attention_weight.dim(0).extent(), "head_r");
        logits(j, n) = head_bias(j);
        logits(j, n) += head_weight(j, ra) * hidden(ra, n);
        Func channel("alpha_channel"), filter("alpha_filter"), spatial("alpha_spatial");
        channel(c, n) = sigmoid(logits(c, n));
        filter(o, n) = select(filter_attention != 0, sigmoid(logits(C + o, n)), 1.0f);
        spatial(m, n) = select(spatial_attention != 0, sigmoid(logits(C + O + m, n)), 1.0f);
        // The softmax over the experts, from its largest logit.
        const Expr first_expert_row = C + O + k * k;
        RDom re(0, E, "softmax_r");
        Func largest("largest_kernel_logit"), total("kernel_logit_total"), expert("alpha_kernel");
        largest(n) = logits(first_expert_row, n);
        largest(n) = max(largest(n), logits(first_expert_row + re, n));
        total(n) = 0.0f;
        total(n) += exp_of_nonpositive(logits(first_expert_row + re, n) - largest(n));
        expert(e, n) = select(kernel_attention != 0, exp_of_nonpositive(logits(first_expert_row + e, n) - largest(n)) / total(n), 1.0f);
        Func coefficient("coefficient");
        coefficient(e, kx, ky, n) = expert(e, n) * spatial(kx + k * ky, n);

        const ExpertMix mix =
            mix_experts(unpacked(weights), E, weights.dim(4).extent() / E * kPackedChannelTile, coefficient);
        st.sample_weights = mix.kernel;
        st.experts_r = mix.experts_r;
        st.attention = {hidden_sum, hidden, logits, channel, filter, spatial, largest, total, expert};

        Func scaled_input("scaled_input"), no_bias("no_bias"), filtered("filtered");
        scaled_input(x, y, c, n) = input(x, y, c, n) * channel(c, n);
        no_bias(o) = 0.0f;
        st.conv = define_conv_core(scaled_input, st.sample_weights, no_bias, call_is_valid(),
                                   variant_schedule.knob_space(target_facts(get_target()), path), knob_values);
        filtered(o, x, y, n) = filter(o, n) * st.conv.acc(o, x, y, n) + bias(o);
        write_conv_output(st.conv, filtered, output);
    }

    void schedule() {
        if (get_auto_schedule()) {
            set_estimates();
            return;
        }
        variant_schedule.schedule(st, knob_values, target_facts(get_target()));
        refuse_other_calls(output, st.conv.valid, "odconv",
                           "weights hold `experts` experts; the heads C + O + k^2 + experts rows over the attention's "
                           "channels");
        set_estimates();
    }

private:
    const VariantSchedule<DynamicConvStages> &variant_schedule = VariantSchedule<DynamicConvStages>::of("odconv");
    DynamicConvStages st;
    KnobValues knob_values;

    Expr expert_count() const { return fixed_experts > 0 ? Expr(int(fixed_experts)) : Expr(experts); }

    Expr call_is_valid() const {
        const Expr E = expert_count(), k = conv_geometry().kernel_size;
        const Expr rows = input.dim(2).extent() + bias.dim(0).extent() + k * k + E;
        return call_matches_emitted_geometry() && experts == E && E >= 1 && weights.dim(4).extent() % E == 0 &&
               attention_weight.dim(1).extent() == input.dim(2).extent() &&
               attention_bias.dim(0).extent() == attention_weight.dim(0).extent() &&
               head_weight.dim(1).extent() == attention_weight.dim(0).extent() && head_weight.dim(0).extent() == rows &&
               head_bias.dim(0).extent() == rows;
    }

    void set_estimates() {
        set_conv_estimates(output);
        const EstimatedLayer l = estimated_layer();
        const int E = fixed_experts > 0 ? int(fixed_experts) : 4, A = std::max(l.in_channels / 16, 16);
        const int rows = l.in_channels + l.out_channels + l.kernel_size * l.kernel_size + E;
        set_packed_weight_estimates(weights, E);
        attention_weight.set_estimates({{0, A}, {0, l.in_channels}});
        attention_bias.set_estimates({{0, A}});
        head_weight.set_estimates({{0, rows}, {0, A}});
        head_bias.set_estimates({{0, rows}});
        experts.set_estimate(E);
        for (auto *flag : {&filter_attention, &spatial_attention, &kernel_attention}) flag->set_estimate(1);
    }
};

}  // namespace
}  // namespace convforge

HALIDE_REGISTER_GENERATOR(convforge::OdconvGenerator, convforge_odconv)
