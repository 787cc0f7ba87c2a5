// CondConv (conditionally parameterized convolution), the whole batch in one
// pipeline. Says what is computed; schedules/condconv/ and
// schedules/<target>/condconv.cpp say how.
//
//   r(e, n)   = sigmoid(routing_bias(e) + sum_c routing_weight(e, c) GAP(x)(c, n))
//   W_n       = sum_e r(e, n) weight_e      (sample_weights: each image's own kernel)
//   b_n       = bias + sum_e r(e, n) expert_bias_e
//   out       = act(conv(x, W_n, b_n))      (the conv core, its weights per image)
// Mixing a kernel costs E multiply-adds per weight, per image: E / (output pixels)
// of the conv's own work, a few percent at 14 x 14.
//
// Arguments: those of every conv-like layer (conv_layer_generator.h), with
//   weights          the E experts, BatchNorm's scale folded in, packed as one conv's
//                    weights of E * packed_channel_count(O) output channels: expert
//                    e's channel tiles after expert e - 1's
//   bias (o)         BatchNorm's shift (zeros without)
// then
//   expert_bias (o, e)       each expert's bias, BatchNorm's scale folded in (zeros without)
//   routing_weight (e, c)    routing_fn.weight, transposed
//   routing_bias (e)
//   output  float32 NCHW (x, y, o, n)
#include "conv_layer_generator.h"
#include "../schedules/dynamic_conv/stages.h"
#include "../schedules/target_facts.h"

namespace convforge {
namespace {

using namespace Halide;

class CondconvGenerator : public ConvLayerGenerator<CondconvGenerator> {
public:
    // The number of experts when a kernel is emitted for one layer (0: given by
    // routing_bias at run time).
    GeneratorParam<int> fixed_experts{fixed_param::experts, 0};
    Input<Buffer<float>> expert_bias{"expert_bias", 2};
    Input<Buffer<float>> routing_weight{"routing_weight", 2};
    Input<Buffer<float>> routing_bias{"routing_bias", 1};
    Output<Buffer<float>> output{"output", 4};

    void generate() {
        if (path == ConvPath::Pointwise)
            throw std::invalid_argument("condconv has no pointwise path: its 1x1 layers take the dense one");
        Var x("x"), y("y"), n("n"), o("o"), e("e"), kx("kx"), ky("ky");
        const ConvGeometry g = conv_geometry();
        const Expr E = experts();

        st.gap = global_average_pool(input, g.in_width, g.in_height);
        RDom rc(0, g.in_channels, "routing_r");
        Func logits("routing_logits"), routing("routing"), coefficient("coefficient"), sample_bias("sample_bias");
        logits(e, n) = routing_bias(e);
        logits(e, n) += routing_weight(e, rc) * st.gap.mean(rc, n);
        routing(e, n) = sigmoid(logits(e, n));
        coefficient(e, kx, ky, n) = routing(e, n);

        const ExpertMix mix =
            mix_experts(unpacked(weights), E, weights.dim(4).extent() / E * kPackedChannelTile, coefficient);
        st.sample_weights = mix.kernel;
        st.experts_r = mix.experts_r;
        sample_bias(o, n) = bias(o);
        sample_bias(o, n) += routing(mix.experts_r, n) * expert_bias(o, mix.experts_r);
        st.attention = {logits, routing, sample_bias};

        st.conv = define_conv_core(input, st.sample_weights, sample_bias, call_is_valid(),
                                   variant_schedule.knob_space(target_facts(get_target()), path), knob_values);
        write_conv_output(st.conv, st.conv.acc, output);
    }

    void schedule() {
        if (get_auto_schedule()) {
            set_estimates();
            return;
        }
        variant_schedule.schedule(st, knob_values, target_facts(get_target()));
        refuse_other_calls(output, st.conv.valid, "condconv",
                           "weights hold num_experts experts, routing and expert_bias num_experts of them");
        set_estimates();
    }

private:
    const VariantSchedule<DynamicConvStages> &variant_schedule = VariantSchedule<DynamicConvStages>::of("condconv");

    DynamicConvStages st;
    KnobValues knob_values;

    Expr experts() const { return fixed_experts > 0 ? Expr(int(fixed_experts)) : routing_bias.dim(0).extent(); }

    Expr call_is_valid() const {
        const Expr E = experts();
        return call_matches_emitted_geometry() && routing_bias.dim(0).extent() == E &&
               weights.dim(4).extent() % E == 0 && routing_weight.dim(0).extent() == E &&
               routing_weight.dim(1).extent() == input.dim(2).extent() && expert_bias.dim(1).extent() == E &&
               expert_bias.dim(0).extent() == bias.dim(0).extent();
    }

    void set_estimates() {
        set_conv_estimates(output);
        const EstimatedLayer l = estimated_layer();
        const int E = fixed_experts > 0 ? int(fixed_experts) : 4;
        set_packed_weight_estimates(weights, E);
        expert_bias.set_estimates({{0, l.out_channels}, {0, E}});
        routing_weight.set_estimates({{0, E}, {0, l.in_channels}});
        routing_bias.set_estimates({{0, E}});
    }
};

}  // namespace
}  // namespace convforge

HALIDE_REGISTER_GENERATOR(convforge::CondconvGenerator, convforge_condconv)
