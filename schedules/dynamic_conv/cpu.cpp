// The CPU schedule of the dynamic convolutions, x86 and ARM alike: the conv's
// loop nest (schedules/conv/cpu.cpp) over the whole batch, each task mixing the
// kernel of its image and channel tile from the experts just before its register
// tiles read it; the attention before it, from the GAP, in small passes.
// Measured: AMD EPYC Zen 4 (family 25 model 17), 2 threads, batch 8, tuned records: CondConv 1.11-1.17x, ODConv 0.97-1.26x the time of convforge's conv (history: docs/notes/schedule_measurements.md).
#include "stages.h"

#include "../conv/cpu.h"

namespace convforge {

using namespace Halide;

namespace {

// Where the register tiles read their kernel. Chunked dense tasks are one
// image's band of one channel tile, grouped tasks one image's output channel: the
// mix runs in the task, so each builds only its own tile_o x C x k^2 weights (E
// multiply-adds each) and its register tiles read them from L2 while it is hot.
// With image_at_a_time (dense, unchunked), the images run one after another: each
// image's whole kernel is mixed before its row tasks start, its output-channel
// vectors in parallel.
void schedule_sample_weights(const DynamicConvStages &s, const ConvTileLevels &at, const KnobValues &k,
                             const TargetFacts &facts) {
    Func w = s.sample_weights;
    Var o = w.args()[0], c = w.args()[1], kx = w.args()[2], ky = w.args()[3];
    const RVar expert = s.experts_r.x;
    if (s.conv.path != ConvPath::Dense) {
        w.compute_at(at.task).update().reorder(expert, c, kx, ky, o);
        return;
    }
    const int vec = facts.vector_floats;
    if (!dense_reduction_chunked(k)) {
        Var vectors("vectors"), lanes("lanes");
        w.compute_at(at.copy).vectorize(o, vec);
        w.update().split(o, vectors, lanes, vec).reorder(lanes, expert, c, kx, ky, vectors).vectorize(lanes).parallel(vectors);
        return;
    }
    // Experts inside each weight vector's loop: its tile_o / vec accumulators stay
    // in registers while the experts are summed into them.
    const int tile_o = vec * k.at("channel_vectors");
    w.compute_at(at.task).bound_extent(o, tile_o).vectorize(o, vec).unroll(o);
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

// The register tiles are the conv's: its space with its fallbacks (x86 or ARM),
// chunked on the dense path.
KnobSpace dynamic_conv_knob_space_cpu(const TargetFacts &facts, ConvPath path) {
    KnobValues fallback = conv_knob_space(facts, path).defaults();
    if (path != ConvPath::Dense) return cpu_conv_knob_space(facts, path, fallback);
    // The batch-wide unchunked nest's row tasks and channel tiles span every
    // image: no level of it is one image's, where a mixed kernel belongs.
    auto one_image_level = [](const KnobValues &k) { return dense_reduction_chunked(k) || k.at("image_at_a_time"); };
    if (!one_image_level(fallback)) fallback["input_channel_chunk"] = 32;
    return cpu_conv_knob_space(facts, path, fallback)
        .rule("input_channel_chunk > 0 or image_at_a_time = 1 (a task, or the loop over images, is then one image's, "
              "where its kernel is mixed)",
              one_image_level);
}

void schedule_dynamic_conv_cpu(const DynamicConvStages &s, const KnobValues &k, const TargetFacts &facts) {
    const ConvTileLevels at = tile_conv_output_cpu(s.conv, k, facts);
    schedule_conv_accumulator_cpu(s.conv, s.conv.acc, s.conv.r, at, k, facts);
    schedule_conv_padded_cpu(s.conv, at, facts);
    schedule_sample_weights(s, at, k, facts);
    schedule_attention(s, facts);
}

}  // namespace convforge
