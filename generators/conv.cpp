// The plain convolution (also the deploy-time form of DO-Conv and of every BN-folded
// layer): y = act(conv(x, K, b)). Says what is computed; schedules/ says how.
//
// Arguments (the ABI the runtime and user applications call):
//   input   float32 NCHW, Halide dims (x, y, c, n)
//   weights float32 packed (o % T, c_in_group, kx, ky, o / T), T = kPackedChannelTile:
//           the runtime's folded kernel, o zero-padded to packed_channel_count(O)
//           (conv_contract.h)
//   bias    float32 (o): conv bias with any BatchNorm folded in (zeros if none), O entries
//   stride, padding, dilation, groups
//   output  float32 NCHW, Halide dims (x, y, o, n)
// Generator parameters fix what the spec fixes: the path, the activation, and (when
// emitting for one layer) the geometry; 0 means "given at run time".
#include "building_blocks.h"
#include "conv_contract.h"
#include "../schedules/conv/stages.h"
#include "../schedules/schedule_database.h"
#include "../schedules/target_facts.h"

namespace convforge {
namespace {

using namespace Halide;

class ConvGenerator : public Generator<ConvGenerator> {
public:
    GeneratorParam<ConvPath> path{"path", ConvPath::Dense, conv_path_names()};
    GeneratorParam<ActivationKind> activation{"activation", ActivationKind::Identity, activation_kinds()};
    GeneratorParam<std::string> knobs{"knobs", ""};
    GeneratorParam<int> fixed_kernel_size{"fixed_kernel_size", 0};
    GeneratorParam<int> fixed_stride{"fixed_stride", 0};
    GeneratorParam<int> fixed_padding{"fixed_padding", -1};
    GeneratorParam<int> fixed_dilation{"fixed_dilation", 0};
    GeneratorParam<int> fixed_groups{"fixed_groups", 0};
    GeneratorParam<int> fixed_in_channels{"fixed_in_channels", 0};
    GeneratorParam<int> fixed_out_channels{"fixed_out_channels", 0};
    // The workload the estimates describe (0: a 56 x 56 single image), for an
    // autoscheduled baseline of one layer (auto_schedule=true, `convforge tune --baseline`).
    GeneratorParam<int> estimate_batch{"estimate_batch", 0};
    GeneratorParam<int> estimate_height{"estimate_height", 0};
    GeneratorParam<int> estimate_width{"estimate_width", 0};

    Input<Buffer<float>> input{"input", 4};
    Input<Buffer<float>> weights{"weights", 5};
    Input<Buffer<float>> bias{"bias", 1};
    Input<int> stride{"stride"};
    Input<int> padding{"padding"};
    Input<int> dilation{"dilation"};
    Input<int> groups{"groups"};
    Output<Buffer<float>> output{"output", 4};

    void generate() {
        // Each path serves a class of layers; what the class fixes is a constant
        // here (a `groups == 1` constant, say, makes the input channel one
        // broadcast per register tile instead of a gather).
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

        stages.path = path;
        stages.geometry = g;
        stages.valid = call_matches_emitted_geometry();
        stages.padded = zero_padded(input, g);
        stages.r = conv_reduction_domain(g);
        stages.acc = conv_core(stages.padded, unpacked(weights), bias, g, stages.r);
        Func result = epilogue(stages.acc, activation);
        Var x("x"), y("y"), o("o"), n("n");
        output(x, y, o, n) = result(x, y, o, n);
        stages.output = output;

        // Buffers start at zero, as the runtime makes them: channel tiles are then
        // provably aligned to the packed weight tiles (dense vector loads).
        for (int d = 0; d < 4; ++d) {
            input.dim(d).set_min(0);
            output.dim(d).set_min(0);
        }
        weights.dim(0).set_bounds(0, kPackedChannelTile);
        weights.dim(1).set_stride(kPackedChannelTile);
    }

    void schedule() {
        if (get_auto_schedule()) {  // the autoscheduler schedules the whole pipeline: a tuning baseline
            set_estimates();
            return;
        }
        // The record's knobs (emit passes them, per sub-target) over the declared
        // defaults, checked against the declared space.
        const TargetFacts facts = target_facts(get_target());
        const KnobSpace space = conv_knob_space(facts, path);
        schedule_conv(stages, space.resolve(parse_knob_text(knob_section_for(knobs, facts.database_key))), facts);
        if (!Internal::is_const_one(stages.valid)) {
            output.specialize(stages.valid);
            output.specialize_fail("convforge: arguments differ from the layer this kernel was emitted for "
                                   "(stride, padding, dilation, groups, channels or kernel size)");
        }
        set_estimates();
    }

private:
    ConvStages stages;

    // The logical kernel w(o, c, kx, ky) over the tile-major packed buffer.
    static Func unpacked(Func packed) {
        Var o("o"), c("c"), kx("kx"), ky("ky");
        Func w("kernel");
        w(o, c, kx, ky) = packed(PackedWeightLayout::coordinates<Expr>(o, c, kx, ky));
        return w;
    }

    static Expr fixed_or(int fixed, Expr runtime) { return fixed > 0 ? Expr(fixed) : runtime; }

    // A kernel emitted for one layer still takes the runtime arguments; a caller
    // passing values other than the baked-in ones gets an error, never wrong output.
    // The check runs on the host before any loop (a failing specialization).
    Expr call_matches_emitted_geometry() {
        Expr ok = Internal::const_true();
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

    void set_estimates() {
        if (estimate_batch > 0) return set_layer_estimates();
        input.set_estimates({{0, 58}, {0, 58}, {0, 64}, {0, 1}});
        weights.set_estimates({{0, kPackedChannelTile}, {0, 64}, {0, 3}, {0, 3}, {0, 64 / kPackedChannelTile}});
        bias.set_estimates({{0, 64}});
        stride.set_estimate(1);
        padding.set_estimate(1);
        dilation.set_estimate(1);
        groups.set_estimate(1);
        output.set_estimates({{0, 56}, {0, 56}, {0, 64}, {0, 1}});
    }

    // Estimates of exactly the emitted layer at the given batch and input size.
    void set_layer_estimates() {
        const int n = estimate_batch, h = estimate_height, w = estimate_width;
        const int c = fixed_in_channels > 0 ? int(fixed_in_channels) : 64;
        const int o = fixed_out_channels > 0 ? int(fixed_out_channels) : 64;
        const int k = fixed_kernel_size > 0 ? int(fixed_kernel_size) : 3, st = fixed_stride > 0 ? int(fixed_stride) : 1;
        const int d = fixed_dilation > 0 ? int(fixed_dilation) : 1, p = fixed_padding >= 0 ? int(fixed_padding) : 1;
        const int g = fixed_groups > 0 ? int(fixed_groups) : 1;
        const int out_h = (h + 2 * p - d * (k - 1) - 1) / st + 1, out_w = (w + 2 * p - d * (k - 1) - 1) / st + 1;
        input.set_estimates({{0, w}, {0, h}, {0, c}, {0, n}});
        weights.set_estimates(
            {{0, kPackedChannelTile}, {0, c / g}, {0, k}, {0, k}, {0, packed_channel_count(o) / kPackedChannelTile}});
        bias.set_estimates({{0, o}});
        stride.set_estimate(st);
        padding.set_estimate(p);
        dilation.set_estimate(d);
        groups.set_estimate(g);
        output.set_estimates({{0, out_w}, {0, out_h}, {0, o}, {0, n}});
    }
};

}  // namespace
}  // namespace convforge

HALIDE_REGISTER_GENERATOR(convforge::ConvGenerator, convforge_conv)
