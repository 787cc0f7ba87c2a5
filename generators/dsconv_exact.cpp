// DSConv's exact mode (activation_bits 0; VARIANTS.md, dsconv): float activations
// and the conv of the effective kernel, which the kernel builds from what the
// layer keeps in memory (a byte per weight and two floats per block and tap):
//   W_eff(o, c, t) = A(o, b, t) q_w(o, c, t) + K(o, b, t),  b = c / B
//   A = alpha CDSw s_bn,  K = (KDSb CDSw + CDSb) s_bn     (the runtime folds them)
// It is the conv's pipeline (conv_core, the conv's schedules and knobs; records
// of its own) with `weights` replaced: W_eff is expanded in the conv's packed
// layout a chunk at a time where the conv's loops read it so (a chunk of input
// channels of one channel tile), else whole, once per call (the "dsconv_exact"
// schedule, schedules/dsconv/dispatch.cpp).
//
// Arguments: those of every conv-like layer (conv_layer_generator.h: `weights` is
// A, packed as a conv kernel [O, blocks, k, k] with blocks counted per group),
// then
//   levels       int8 q_w, packed as a conv kernel [O, C / groups, k, k]
//   block_shift  K, packed as `weights`
//   block_size   B
//   output       float32 NCHW (x, y, o, n)
#include "dsconv_layer_generator.h"
#include "../schedules/dsconv/stages.h"
#include "../schedules/target_facts.h"

namespace convforge {
namespace {

using namespace Halide;

class DsconvExactGenerator : public DsconvLayerGenerator<DsconvExactGenerator> {
public:
    void generate() {
        const Expr B = block_size_expr();
        Var tile_lane("tile_lane"), c("c"), kx("kx"), ky("ky"), tile("tile");
        Func A = unpacked(weights), K = unpacked(block_shift);
        const Expr o = tile * kPackedChannelTile + tile_lane, b = c / B;
        kernel(tile_lane, c, kx, ky, tile) =
            A(o, b, kx, ky) * cast<float>(levels(tile_lane, c, kx, ky, tile)) + K(o, b, kx, ky);

        stages.conv = define_conv(unpacked(kernel), output,
                                  call_matches_emitted_geometry() && block_size_matches(), knob_values);
        stages.kernel = kernel;
        constrain_packed_weights(levels);
        constrain_packed_weights(block_shift);
    }

    void schedule() {
        if (get_auto_schedule()) {
            set_estimates();
            return;
        }
        VariantSchedule<DsconvExactStages, KernelChunkLevel>::of("dsconv_exact")
            .schedule(stages, knob_values, target_facts(get_target()));
        refuse_other_calls(output, stages.conv.valid, "dsconv", "the block size it was emitted for");
        set_estimates();
    }

private:
    DsconvExactStages stages;
    Func kernel{"effective_kernel"};
    KnobValues knob_values;

    void set_estimates() {
        set_conv_estimates(output);
        set_packed_weight_estimates(levels);
        set_block_scale_estimates();
    }
};

}  // namespace
}  // namespace convforge

HALIDE_REGISTER_GENERATOR(convforge::DsconvExactGenerator, convforge_dsconv_exact)
