// The CPU schedule of the dynamic convolutions, x86 and ARM alike: the conv's loop
// nest (schedules/conv/cpu.cpp) over the whole batch, each task mixing the kernel
// of its image and channel tile from the experts just before its register tiles
// read it; the attention before it, from the GAP, in small passes.
#include "stages.h"

#include "../conv/cpu.h"

namespace convforge {

using namespace Halide;

namespace {

// Where a task's register tiles read their kernel: the dense path's tasks are one
// image's band of one channel tile (chunked, by rule), the grouped path's one
// image's output channel. The mix runs there, so each task builds only its own
// tile_o x C x k^2 weights (E multiply-adds each, vectorized over output channels
// on the dense path) and its register tiles read them from L2 while it is hot.
void schedule_sample_weights(const DynamicConvStages &s, const ConvTileLevels &at, const KnobValues &k,
                             const TargetFacts &facts) {
    Func w = s.sample_weights;
    Var o = w.args()[0], c = w.args()[1], kx = w.args()[2], ky = w.args()[3];
    const RVar expert = s.experts_r.x;
    w.compute_at(at.task);
    if (s.conv.path != ConvPath::Dense) {
        w.update().reorder(expert, c, kx, ky, o);
        return;
    }
    const int vec = facts.vector_floats, tile_o = vec * k.at("channel_vectors");
    // Experts inside each weight vector's loop: its tile_o / vec accumulators stay
    // in registers while the experts are summed into them.
    w.bound_extent(o, tile_o).vectorize(o, vec).unroll(o);
    w.update().reorder(o, expert, c, kx, ky).vectorize(o, vec).unroll(o);
}

// The GAP, then the attention stages: a few matrix-vector products per image.
void schedule_attention(const DynamicConvStages &s, const TargetFacts &facts) {
    schedule_global_average_pool_cpu(s.gap, facts);
    for (Func f : s.attention) {
        f.compute_root();
        Var n = f.args().back();
        for (int u = -1; u < f.num_update_definitions(); ++u) {
            Stage stage = u < 0 ? Stage(f) : f.update(u);
            // A vector per image where the stage has one; a value per image otherwise.
            if (f.dimensions() > 1) stage.vectorize(f.args()[0], facts.vector_floats, TailStrategy::GuardWithIf);
            stage.parallel(n);
        }
    }
}

}  // namespace

KnobSpace dynamic_conv_cpu_knob_space(const TargetFacts &facts, ConvPath path, KnobValues fallback) {
    if (path != ConvPath::Dense) return cpu_conv_knob_space(facts, path, fallback);
    // The unchunked nest's channel tile covers the whole batch (or one row task):
    // no level of it is one image's tile, where a mixed kernel belongs.
    if (!dense_reduction_chunked(fallback)) fallback["input_channel_chunk"] = 32;
    fallback["image_at_a_time"] = 0;
    return cpu_conv_knob_space(facts, path, fallback)
        .rule("input_channel_chunk > 0 (a task is then one image's band of one channel tile, where its kernel is mixed)",
              [](const KnobValues &k) { return dense_reduction_chunked(k); });
}

void schedule_dynamic_conv_cpu(const DynamicConvStages &s, const KnobValues &k, const TargetFacts &facts) {
    const ConvTileLevels at = tile_conv_output_cpu(s.conv, k, facts);
    schedule_conv_accumulator_cpu(s.conv, s.conv.acc, s.conv.r, at, k, facts);
    schedule_conv_padded_cpu(s.conv, at, facts);
    schedule_sample_weights(s, at, k, facts);
    schedule_attention(s, facts);
}

}  // namespace convforge
