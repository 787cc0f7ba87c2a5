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
#include "conv_layer_generator.h"
#include "../schedules/conv/stages.h"
#include "../schedules/target_facts.h"

namespace convforge {
namespace {

using namespace Halide;

class ConvGenerator : public ConvLayerGenerator<ConvGenerator> {
public:
    Output<Buffer<float>> output{"output", 4};

    void generate() {
        // Each path serves a class of layers; what the class fixes is a constant
        // here (a `groups == 1` constant, say, makes the input channel one
        // broadcast per register tile instead of a gather).
        stages = define_conv(unpacked(weights), output, call_matches_emitted_geometry(), knob_values);
    }

    void schedule() {
        if (get_auto_schedule()) {  // the autoscheduler schedules the whole pipeline: a tuning baseline
            set_conv_estimates(output);
            return;
        }
        VariantSchedule<ConvStages, KernelChunkLevel>::of("conv").schedule(stages, knob_values,
                                                                           target_facts(get_target()));
        if (!Internal::is_const_one(stages.valid)) {
            output.specialize(stages.valid);
            output.specialize_fail("convforge: arguments differ from the layer this kernel was emitted for "
                                   "(stride, padding, dilation, groups, channels or kernel size)");
        }
        set_conv_estimates(output);
    }

private:
    ConvStages stages;
    KnobValues knob_values;
};

}  // namespace
}  // namespace convforge

HALIDE_REGISTER_GENERATOR(convforge::ConvGenerator, convforge_conv)
