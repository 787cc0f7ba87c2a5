// The CPU SPConv schedule x86 and ARM share. The conv pass is the conv's dense
// loop nest (schedules/conv/cpu.cpp): output channels vectorized in register
// tiles over NHWC inputs, each output tile one register tile that sums gwc over
// x3 padded and pwc over P(x), scales them, and adds conv1x1 over P(x). The
// softmax weights come before it from small vectorized passes.
#include "stages.h"
#include "../conv/cpu.h"

namespace convforge {

using namespace Halide;

namespace {

// The conv's dense nest, unchunked, over SPConv's output: the 3x3 branch's
// geometry decides where the channel-tile loop goes.
ConvStages conv_pass(const SpconvStages &s) {
    ConvStages c;
    c.padded = s.padded;
    c.acc = s.acc_representative;
    c.output = s.output;
    c.r = s.r_grouped;
    c.geometry = s.geometry;
    c.valid = s.valid;
    c.path = ConvPath::Dense;
    return c;
}

KnobValues unchunked(KnobValues k) {
    k["input_channel_chunk"] = 0;
    k["task_tile_rows"] = 0;
    return k;
}

// Vectorized over channels where they are contiguous, one image per task.
void schedule_softmax_stages(const SpconvStages &s, const TargetFacts &facts) {
    const int vec = facts.vector_floats;
    schedule_global_average_pool_cpu(s.gap_x, facts);
    {
        // Over the NHWC padded x3: one vector of channels per load, the nine taps'
        // sums in registers while a task walks the output positions.
        Func sums = s.tap_sums;
        Var c = sums.args()[0], kx = sums.args()[1], ky = sums.args()[2], n = sums.args()[3];
        sums.compute_root()
            .bound(kx, 0, 3)
            .bound(ky, 0, 3)
            .vectorize(c, vec, TailStrategy::GuardWithIf)
            .unroll(kx)
            .unroll(ky)
            .parallel(n);
        sums.update()
            .reorder(c, kx, ky, s.tap_sums_r.x, s.tap_sums_r.y, n)
            .vectorize(c, vec, TailStrategy::GuardWithIf)
            .unroll(kx)
            .unroll(ky)
            .parallel(n);
    }
    // O (9 C3 / groups + C) multiply-adds per image: one task per image.
    for (Func f : {s.branch_means, s.mix}) {
        Var o = f.args()[0], n = f.args()[1];
        f.compute_root().vectorize(o, vec, TailStrategy::GuardWithIf).parallel(n);
        for (int u = 0; u < f.num_update_definitions(); ++u)
            f.update(u).vectorize(o, vec, TailStrategy::GuardWithIf).parallel(n);
    }
}

}  // namespace

KnobSpace spconv_cpu_knob_space(const TargetFacts &facts, const KnobValues &fallback) {
    return cpu_conv_knob_space(facts, ConvPath::Dense, unchunked(fallback))
        .rule("input_channel_chunk is 0 (spconv's branches reduce in one pass)",
              [](const KnobValues &k) { return !dense_reduction_chunked(k); });
}

// The knobs come from spconv_cpu_knob_space, whose rule keeps them unchunked.
void schedule_spconv_cpu(const SpconvStages &s, const KnobValues &k, const TargetFacts &facts) {
    const ConvStages pass = conv_pass(s);
    const ConvTileLevels at = tile_conv_output_cpu(pass, k, facts);
    schedule_conv_accumulator_cpu(pass, s.acc_representative, s.r_grouped, at, k, facts);
    {
        // pwc, the scale and conv1x1 in the same register tile: output channels
        // vectorized, input channels innermost.
        Func acc = s.acc_representative;
        Var o = acc.args()[0], x = acc.args()[1], y = acc.args()[2];
        acc.update(1).reorder(o, x, y, s.r_representative.z);
        acc.update(3).reorder(o, x, y, s.r_uncertain.z);
        for (int u : {1, 2, 3}) acc.update(u).vectorize(o, facts.vector_floats).unroll(o).unroll(x).unroll(y);
    }
    schedule_conv_padded_cpu(pass, at, facts);
    // Where the stride is known to be 1, P(x) is the padded copy itself; at stride
    // 2, and in the shape-generic kernels (stride a runtime value), it is built once, NHWC.
    const int64_t *stride = Internal::as_const_int(s.geometry.stride);
    if (!stride || *stride != 1) {
        ConvStages pooled = pass;
        pooled.padded = s.pooled;
        schedule_conv_padded_cpu(pooled, at, facts);
    }
    schedule_softmax_stages(s, facts);
}

}  // namespace convforge
