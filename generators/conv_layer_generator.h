// What every generator of a conv-like layer shares: the ABI of its conv core's
// arguments (input, packed weights, bias, stride, padding, dilation, groups), the
// generator parameters that fix a layer's geometry when a kernel is emitted for
// one spec, the check that a call matches them, and the estimates of those
// arguments. The conv generator and each variant's generator derive from it and
// add their own arguments after these.
#pragma once

#include "Halide.h"
#include "building_blocks.h"
#include "conv_contract.h"
#include "../schedules/conv/stages.h"
#include "../schedules/knob_space.h"
#include "../schedules/schedule_database.h"
#include "../schedules/target_facts.h"
#include "../schedules/variant_schedule.h"

namespace convforge {

template <typename T>
class ConvLayerGenerator : public Halide::Generator<T> {
public:
    template <typename V>
    using GeneratorParam = Halide::GeneratorParam<V>;
    template <typename V>
    using Input = Halide::GeneratorInput<V>;
    template <typename V>
    using Buffer = Halide::Buffer<V>;

    GeneratorParam<ConvPath> path{"path", ConvPath::Dense, conv_path_names()};
    GeneratorParam<ActivationKind> activation{"activation", ActivationKind::Identity, activation_kinds()};
    GeneratorParam<std::string> knobs{"knobs", ""};
    GeneratorParam<int> fixed_kernel_size{fixed_param::kernel_size, 0};
    GeneratorParam<int> fixed_stride{fixed_param::stride, 0};
    GeneratorParam<int> fixed_padding{fixed_param::padding, -1};
    GeneratorParam<int> fixed_dilation{fixed_param::dilation, 0};
    GeneratorParam<int> fixed_groups{fixed_param::groups, 0};
    GeneratorParam<int> fixed_in_channels{fixed_param::in_channels, 0};
    GeneratorParam<int> fixed_out_channels{fixed_param::out_channels, 0};
    // The workload the estimates describe (0: a 56 x 56 single image), for an
    // autoscheduled baseline of one layer (auto_schedule=true, `convforge tune --baseline`).
    GeneratorParam<int> estimate_batch{"estimate_batch", 0};
    GeneratorParam<int> estimate_height{"estimate_height", 0};
    GeneratorParam<int> estimate_width{"estimate_width", 0};

    // input float32 NCHW, Halide dims (x, y, c, n); weights float32 packed
    // (o % T, c_in_group, kx, ky, o / T), T = kPackedChannelTile, o zero-padded to
    // packed_channel_count(O) (conv_contract.h); bias (o), O entries.
    Input<Buffer<float>> input{"input", 4};
    Input<Buffer<float>> weights{"weights", 5};
    Input<Buffer<float>> bias{"bias", 1};
    Input<int> stride{"stride"};
    Input<int> padding{"padding"};
    Input<int> dilation{"dilation"};
    Input<int> groups{"groups"};

protected:
    // The geometry of the conv core: constants where the generator parameters
    // (or the path) fix them, the runtime arguments elsewhere.
    ConvGeometry conv_geometry() const {
        using Halide::Expr;
        const bool pointwise = path == ConvPath::Pointwise;
        ConvGeometry g;
        g.kernel_size = pointwise ? Expr(1) : fixed_or(fixed_kernel_size, weights.dim(2).extent());
        g.stride = pointwise ? Expr(1) : fixed_or(fixed_stride, stride);
        g.padding = pointwise ? Expr(0) : fixed_padding >= 0 ? Expr((int)fixed_padding) : Expr(padding);
        g.dilation = pointwise ? Expr(1) : fixed_or(fixed_dilation, dilation);
        g.groups = path != ConvPath::Grouped ? Expr(1) : fixed_or(fixed_groups, groups);
        g.in_channels = fixed_or(fixed_in_channels, input.dim(2).extent());
        // The bias holds the true channel count; the packed weights are padded.
        g.out_channels = fixed_or(fixed_out_channels, bias.dim(0).extent());
        g.in_width = input.dim(0).extent();
        g.in_height = input.dim(1).extent();
        return g;
    }

    // The schedule's knob values: the record's (emit passes them, per sub-target)
    // over the declared defaults, checked against the declared space; none when
    // the autoscheduler schedules the pipeline. Known before the algorithm is
    // written, because conv_core's padding skip takes the register tile's width.
    KnobValues schedule_knobs(const KnobSpace &space) const {
        if (this->get_auto_schedule()) return {};
        return space.resolve(parse_knob_text(knob_section_for(knobs, target_facts(this->get_target()).database_key)));
    }

    // A kernel emitted for one layer still takes the runtime arguments; a caller
    // passing values other than the baked-in ones gets an error, never wrong output.
    // The check runs on the host before any loop (a failing specialization).
    Halide::Expr call_matches_emitted_geometry() const {
        Halide::Expr ok = Halide::Internal::const_true();
        if (fixed_stride > 0) ok = ok && stride == fixed_stride;
        if (fixed_padding >= 0) ok = ok && padding == fixed_padding;
        if (fixed_dilation > 0) ok = ok && dilation == fixed_dilation;
        if (fixed_groups > 0) ok = ok && groups == fixed_groups;
        if (path != ConvPath::Grouped) ok = ok && groups == 1;
        if (path == ConvPath::Pointwise) ok = ok && stride == 1 && padding == 0 && weights.dim(2).extent() == 1;
        if (fixed_in_channels > 0) ok = ok && input.dim(2).extent() == fixed_in_channels;
        if (fixed_out_channels > 0) ok = ok && bias.dim(0).extent() == fixed_out_channels;
        if (fixed_kernel_size > 0) ok = ok && weights.dim(2).extent() == fixed_kernel_size;
        return ok;
    }

    // The layer the estimates describe: the emitted one (any size the generator
    // parameters leave open: 64 channels, 3 x 3, stride 1) at estimate_batch x
    // estimate_height x estimate_width, else one 56 x 56 image.
    struct EstimatedLayer {
        int batch, height, width, in_channels, out_channels, kernel_size, stride, padding, dilation, groups;
        int out_height() const { return (height + 2 * padding - dilation * (kernel_size - 1) - 1) / stride + 1; }
        int out_width() const { return (width + 2 * padding - dilation * (kernel_size - 1) - 1) / stride + 1; }
    };
    EstimatedLayer estimated_layer() const {
        EstimatedLayer e;
        const bool sized = estimate_batch > 0;
        e.batch = sized ? int(estimate_batch) : 1;
        e.height = sized ? int(estimate_height) : 56;
        e.width = sized ? int(estimate_width) : 56;
        e.in_channels = fixed_in_channels > 0 ? int(fixed_in_channels) : 64;
        e.out_channels = fixed_out_channels > 0 ? int(fixed_out_channels) : 64;
        e.kernel_size = fixed_kernel_size > 0 ? int(fixed_kernel_size) : 3;
        e.stride = fixed_stride > 0 ? int(fixed_stride) : 1;
        e.dilation = fixed_dilation > 0 ? int(fixed_dilation) : 1;
        e.padding = fixed_padding >= 0 ? int(fixed_padding) : e.dilation * (e.kernel_size - 1) / 2;
        e.groups = fixed_groups > 0 ? int(fixed_groups) : 1;
        return e;
    }

    // The conv core of this path over `image` (x, y, c, n: the input, or a stage
    // of it), `kernel` (o, c, kx, ky) and `bias_of` (o), its call valid where `valid`
    // holds: the padded image, the reduction and the accumulator, with the knobs
    // of `space` for this target in `knob_values` (conv_core's padding skip takes
    // the register tile's width). The output is write_conv_output's.
    ConvStages define_conv_core(Halide::Func image, Halide::Func kernel, Halide::Func bias_of, const Halide::Expr &valid,
                                const KnobSpace &space, KnobValues &knob_values) {
        ConvStages stages;
        const ConvGeometry g = conv_geometry();
        stages.path = path;
        stages.geometry = g;
        stages.valid = valid;
        stages.padded = zero_padded(image, g);
        stages.r = conv_reduction_domain(g);
        knob_values = schedule_knobs(space);
        stages.acc = conv_core(stages.padded, kernel, bias_of, g, stages.r,
                               register_tile_columns(target_facts(this->get_target()), knob_values));
        return stages;
    }

    // `output` (x, y, o, n) as the epilogue of `pre_activation` (o, x, y, n).
    void write_conv_output(ConvStages &stages, Halide::Func pre_activation, Halide::GeneratorOutput<Buffer<float>> &output) {
        Halide::Func result = epilogue(pre_activation, activation);
        Halide::Var x("x"), y("y"), o("o"), n("n");
        output(x, y, o, n) = result(x, y, o, n);
        stages.output = output;
        constrain_conv_buffers(output);
    }

    // The plain conv of this path over `kernel` into `output`, with the conv's knobs.
    ConvStages define_conv(Halide::Func kernel, Halide::GeneratorOutput<Buffer<float>> &output, const Halide::Expr &valid,
                           KnobValues &knob_values) {
        const KnobSpace space = conv_knob_space(target_facts(this->get_target()), path);
        ConvStages stages = define_conv_core(input, kernel, bias, valid, space, knob_values);
        write_conv_output(stages, stages.acc, output);
        return stages;
    }

    // Estimates of the shared arguments and of an NCHW `output` for that layer.
    void set_conv_estimates(Halide::GeneratorOutput<Buffer<float>> &output) {
        const EstimatedLayer e = estimated_layer();
        input.set_estimates({{0, e.width}, {0, e.height}, {0, e.in_channels}, {0, e.batch}});
        set_packed_weight_estimates(weights);
        bias.set_estimates({{0, e.out_channels}});
        stride.set_estimate(e.stride);
        padding.set_estimate(e.padding);
        dilation.set_estimate(e.dilation);
        groups.set_estimate(e.groups);
        output.set_estimates({{0, e.out_width()}, {0, e.out_height()}, {0, e.out_channels}, {0, e.batch}});
    }

    // Estimates of packed weights of the estimated layer (`weights` or another set of the same shape),
    // `stacked` such sets one after another along the channel tiles (dynamic convolutions' experts).
    template <typename Param>
    void set_packed_weight_estimates(Param &packed, int stacked = 1) const {
        const EstimatedLayer e = estimated_layer();
        packed.set_estimates({{0, kPackedChannelTile},
                              {0, e.in_channels / e.groups},
                              {0, e.kernel_size},
                              {0, e.kernel_size},
                              {0, stacked * packed_channel_count(e.out_channels) / kPackedChannelTile}});
    }

    // Buffers start at zero, as the runtime makes them: channel tiles are then
    // provably aligned to the packed weight tiles (dense vector loads).
    void constrain_conv_buffers(Halide::GeneratorOutput<Buffer<float>> &output) {
        for (int d = 0; d < 4; ++d) {
            input.dim(d).set_min(0);
            output.dim(d).set_min(0);
        }
        constrain_packed_weights(weights);
    }

    template <typename Param>
    static void constrain_packed_weights(Param &packed) {
        packed.dim(0).set_bounds(0, kPackedChannelTile);
        packed.dim(1).set_stride(kPackedChannelTile);
    }

    // The logical kernel w(o, c, kx, ky) over the tile-major packed buffer.
    static Halide::Func unpacked(Halide::Func packed) {
        Halide::Var o("o"), c("c"), kx("kx"), ky("ky");
        Halide::Func w("kernel");
        w(o, c, kx, ky) = packed(PackedWeightLayout::coordinates<Halide::Expr>(o, c, kx, ky));
        return w;
    }

    // How a variant's schedule ends: a call that breaks the emitted layer's
    // geometry or the variant's `rules` fails with a message naming them, and
    // never runs (Halide tries specializations in order; this one is last).
    static void refuse_other_calls(Halide::GeneratorOutput<Buffer<float>> &output, const Halide::Expr &valid,
                                   const std::string &variant, const std::string &rules) {
        output.specialize(valid);
        output.specialize_fail("convforge: arguments differ from the layer this " + variant +
                               " kernel was emitted for, or break " + variant + "'s rules (" + rules + ")");
    }

    static Halide::Expr fixed_or(int fixed, Halide::Expr runtime) { return fixed > 0 ? Halide::Expr(fixed) : runtime; }
};

}  // namespace convforge
