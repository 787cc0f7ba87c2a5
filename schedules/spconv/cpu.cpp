// The CPU SPConv schedule x86 and ARM share. The conv pass is the conv's dense
// loop nest (schedules/conv/cpu.cpp): output channels vectorized in register
// tiles over NHWC inputs, each output tile one register tile that sums gwc over
// x3 padded and pwc over P(x), scales them, and adds conv1x1 over P(x). The
// softmax weights come before it from small vectorized passes.
// Measured: AMD EPYC Zen 4 (family 25 model 17), 2 threads, batch 8, tuned records: 0.44-0.55x the time of convforge's conv, 1.42-3.88x faster than the PyTorch module (history: docs/notes/schedule_measurements.md).
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
    {
        // Down the NCHW planes, vectorized along their rows (predicated tails: a
        // 14-wide row is shorter than one AVX-512 vector); a task sums
        // kCacheLineFloats planes, each row loaded once for the three tap rows.
        Func sums = s.column_sums;
        Var x = sums.args()[0], ky = sums.args()[1], c = sums.args()[2], n = sums.args()[3], cn("cn"), task("task"),
            plane("plane");
        sums.compute_root().bound(ky, 0, 3);
        for (Stage stage : {Stage(sums), sums.update()})
            stage.reorder(x, ky, c, n)
                .fuse(c, n, cn)
                .split(cn, task, plane, kCacheLineFloats, TailStrategy::GuardWithIf)
                .parallel(task)
                .vectorize(x, vec, TailStrategy::Predicate)
                .unroll(ky);
        sums.update().reorder(x, ky, s.column_sums_r.x, plane, task);
    }
    // W values per tap and channel: small, one task per image.
    for (Func f : {s.tap_sums, s.mean}) {
        Var n = f.args().back();
        f.compute_root().parallel(n);
        for (int u = 0; u < f.num_update_definitions(); ++u) f.update(u).parallel(n);
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

// Both branches sum into one register tile, which keeps the register budget of
// one conv tile: the conv's dense knobs and fallbacks (x86 or ARM) apply.
KnobSpace spconv_knob_space_cpu(const TargetFacts &facts, ConvPath) {
    return cpu_conv_knob_space(facts, ConvPath::Dense, unchunked(conv_knob_space(facts, ConvPath::Dense).defaults()))
        .rule("input_channel_chunk is 0 (spconv's branches reduce in one pass)",
              [](const KnobValues &k) { return !dense_reduction_chunked(k); });
}

// The knobs come from spconv_knob_space_cpu, whose rule keeps them unchunked.
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
