// The CPU SAConv schedule x86 and ARM share, its knobs the conv's (x86 or ARM
// fallbacks) and its own. The conv pass is the conv's own loop nest
// (schedules/conv/cpu.cpp): per channel tile the small branch's register tiles
// first (into small_blend), then the output's tiles, each computing the large
// branch's register tile and the blend; the small stages before it are each one
// vectorized pass.
// Measured: AMD EPYC Zen 4 (family 25 model 17), 2 threads, batch 8: 1.72-2.05x the time of convforge's conv, 1.46-4.05x faster than the PyTorch module (history: docs/notes/schedule_measurements.md).
#include "stages.h"

#include <algorithm>
#include <utility>

#include "../conv/cpu.h"

namespace convforge {

using namespace Halide;

namespace {

// The tap sums in register tiles, as the conv's accumulators: a task owns one
// channel vector of one image, keeps its 2 k^2 sums (both branches, every tap) in
// registers while it walks every output pixel, and loads one vector of x' per
// multiply-add (contiguous on the dense path's NHWC copy, a gather across the
// grouped path's planes). Unrolled where the kernel size is a constant and the
// sums fit the registers; otherwise the sums live in L1. Computed at `level`:
// the root, or the loop over images where the padded copy is built per image.
void schedule_tap_sums(const SaconvStages &s, const LoopLevel &level, const TargetFacts &facts) {
    const int vec = facts.vector_floats;
    Func sums = s.tap_sums;
    Func total = sums.in();
    Var c = sums.args()[0], kx = sums.args()[1], ky = sums.args()[2], n = sums.args()[3];
    Var tc = total.args()[0], tkx = total.args()[1], tky = total.args()[2], tn = total.args()[3];
    Var co("co"), ci("ci"), task("task");
    total.compute_at(level)
        .split(tc, co, ci, vec, TailStrategy::GuardWithIf)
        .reorder(ci, tkx, tky, co, tn)
        .vectorize(ci)
        .fuse(co, tn, task)
        .parallel(task);
    const ConvGeometry &g = s.conv.geometry;
    const int64_t *k = Internal::as_const_int(g.kernel_size);
    const bool in_registers = k && 2 * *k * *k + 2 <= facts.vector_registers;
    // No bound on c: a channel vector past the last channel would read past the
    // padded input (it holds exactly C channels); the last, partial vector runs
    // guarded instead.
    sums.compute_at(total, task).vectorize(c, vec, TailStrategy::GuardWithIf);
    sums.update().reorder(c, kx, ky, s.tap_sums_r.x, s.tap_sums_r.y, n).vectorize(c, vec, TailStrategy::GuardWithIf);
    if (in_registers) {
        sums.bound_extent(kx, int(*k)).bound_extent(ky, int(*k)).unroll(kx).unroll(ky);
        sums.update().unroll(kx).unroll(ky);
    }
}

// The pre-passes over the input: GAP(x) (a read of x), the switch's channel sum
// (another read of x), the 5 x 5 average of that one-channel map, and the tap
// sums over the padded x' (2 C k^2 multiply-adds per output pixel). Rows are
// vectorized with predicated tails: a 14-wide map is shorter than one AVX-512
// vector, and a guarded tail would run it scalar. What reads the padded copy (the
// tap sums, and the post-context and shift they feed) is computed where the copy
// is: per image when the conv runs one image at a time (`at.copy`), else the root.
void schedule_context_stages(const SaconvStages &s, const ConvTileLevels &at, const TargetFacts &facts) {
    const int vec = facts.vector_floats;
    const LoopLevel per_copy = at.copy_per_image ? at.copy : LoopLevel::root();
    schedule_global_average_pool_cpu(s.gap_x, facts);
    // The matvecs of the two contexts (C^2 and O^2 per image, weights transposed
    // so output channels are contiguous) and the switch's offset, per image.
    const std::pair<Func, LoopLevel> contexts[] = {{s.pre_context, LoopLevel::root()}, {s.post_context, per_copy}};
    for (auto [f, level] : contexts) {
        Var c = f.args()[0], n = f.args()[1];
        f.compute_at(level).vectorize(c, vec, TailStrategy::GuardWithIf).parallel(n);
        f.update().vectorize(c, vec, TailStrategy::GuardWithIf).parallel(n);
    }
    Func offset = s.switch_offset;
    offset.compute_root();
    {
        Func u = s.switch_input;
        Var x = u.args()[0], y = u.args()[1], n = u.args()[2];
        // One image per task, its channel planes read one after the other (front
        // to back: row-wise, 256 planes of a 14-wide map are 256 streams the
        // prefetchers lose), into one map that stays in L1.
        u.compute_root().parallel(n).vectorize(x, vec, TailStrategy::Predicate);
        u.update().reorder(x, y, s.channel_r.x, n).parallel(n).vectorize(x, vec, TailStrategy::Predicate);
    }
    {
        // Reflected once (the edges gather), so the 5 x 5 average reads dense rows.
        Func padded = s.switch_padded;
        Var x = padded.args()[0], y = padded.args()[1], n = padded.args()[2], yn("yn");
        padded.compute_root().fuse(y, n, yn).parallel(yn).vectorize(x, vec, TailStrategy::Predicate);
    }
    {
        Func m = s.switch_map;
        Var x = m.args()[0], y = m.args()[1], n = m.args()[2], yn("yn");
        m.compute_root().fuse(y, n, yn).parallel(yn).vectorize(x, vec, TailStrategy::Predicate);
    }
    schedule_tap_sums(s, per_copy, facts);
    {
        // Every image inside each weight vector's loop: the weights (2 O C k^2
        // floats) are read once per call, not once per image. Channels start at 0
        // so each vector is one packed weight tile's line (a dense load, not a
        // gather); input channels innermost, as both the weights and the tap sums
        // are contiguous along them. A task owns whole cache lines of the sums:
        // the accumulators live in memory, and two cores updating halves of one
        // line (8-float AVX2 vectors) made this stage 15x slower on 2 threads than
        // on 1 (AMD EPYC Zen 2, 256 channels, batch 8).
        Func b = s.blended_sum;
        Var o = b.args()[0], n = b.args()[1], oo("oo"), oi("oi");
        const RDom &r = s.blended_sum_r;
        const int task_channels = std::max(vec, kCacheLineFloats);
        b.compute_at(per_copy).bound(o, 0, s.conv.geometry.out_channels).vectorize(o, vec, TailStrategy::GuardWithIf);
        b.update()
            .split(o, oo, oi, task_channels, TailStrategy::GuardWithIf)
            .reorder(oi, n, r.z, r.x, r.y, oo)
            .vectorize(oi, vec)
            .parallel(oo);
    }
    Func shift = s.output_shift;
    shift.compute_at(per_copy);
}

// small_blend (S ys) over the pixels of one channel tile, in blocks of one
// register tile; returns the level of one block.
LoopLevel schedule_small_blend_tiles(const SaconvStages &s, const ConvTileLevels &at, const KnobValues &k,
                                     const TargetFacts &facts) {
    const int vec = facts.vector_floats, tile_o = vec * k.at("channel_vectors");
    const int tile_x = k.at("tile_x"), tile_y = k.at("tile_y");
    Func small = s.small_blend;
    Var o = small.args()[0], x = small.args()[1], y = small.args()[2], n = small.args()[3];
    Var ov("ov"), oc("oc"), xo("xo"), xi("xi"), yo("yo"), yi("yi"), task("task");
    // Whole channel tiles: the last reads zero-padded weights past the channels.
    small.compute_at(at.channels)
        .bound_extent(o, tile_o)
        .split(o, oc, ov, vec)
        .split(x, xo, xi, tile_x, TailStrategy::GuardWithIf)
        .split(y, yo, yi, tile_y, TailStrategy::GuardWithIf)
        .reorder(ov, oc, xi, yi, xo, yo, n)
        .vectorize(ov)
        .unroll(oc)
        .unroll(xi)
        .unroll(yi)
        .fuse(yo, n, task);
    // Parallel only where the channel tile is outside the output's tasks (over
    // the whole batch); inside one it covers that task's row band, serially.
    parallel_unless_in_task(small, task, at.channels_in_task);
    return LoopLevel(small, xo);
}

// The small branch by Winograd: its products and output tiles over the pixels of
// a channel tile (schedule_winograd_cpu), then small_blend (S ys) over them,
// vectorized over the channel tile.
void schedule_small_winograd(const SaconvStages &s, const ConvTileLevels &at, const KnobValues &k,
                             const TargetFacts &facts) {
    const int vec = facts.vector_floats, tile_o = vec * k.at("channel_vectors");
    schedule_winograd_cpu(*s.small_winograd, at.channels, at.channels_in_task, tile_o, k.at("winograd_tile_x"),
                          k.at("winograd_tile_y"), facts);
    Func small = s.small_blend;
    Var o = small.args()[0], x = small.args()[1], y = small.args()[2], n = small.args()[3], ov("ov"), oc("oc"), yn("yn");
    small.compute_at(at.channels)
        .bound_extent(o, tile_o)
        .split(o, oc, ov, vec)
        .reorder(ov, oc, x, y, n)
        .vectorize(ov)
        .unroll(oc)
        .fuse(y, n, yn);
    parallel_unless_in_task(small, yn, at.channels_in_task);
}

}  // namespace

// The dense path. In two passes (branch_passes = 2): one channel tile at a time
// over every pixel the tile's loop covers, first the small branch's register
// tiles over all of them into small_blend (its weights alone in cache), then the
// output's own tiles, each computing the large branch's register tile and
// blending it with small_blend. With the weights larger than an image the
// channel tile covers the whole batch; otherwise it covers one task's row band.
// In one pass (1): each output tile computes both branches' register tiles in turn
// and blends them; no buffer between the branches, but both branches' weights of
// a channel tile share the L2 (1.2 MB at 256 channels, 64-channel tiles).
// Chunked (the conv's input_channel_chunk > 0), each branch's accumulators cover a
// whole task, so the branches already run one after the other over it: two
// passes, with no small_blend buffer between them. The large branch may take its
// own chunk (large_branch_chunk): its register tile reads a window of input
// pixels 3x as wide and tall, so a chunk's inputs and weights that fit L1 at
// dilation d may not at 3d.
void schedule_dense_blend(const SaconvStages &s, const ConvTileLevels &at, const KnobValues &k, const TargetFacts &facts) {
    // A Winograd branch runs over the channel tile's pixels (branch_passes 2, by
    // rule), before the output's tiles read it.
    if (s.small_winograd) schedule_small_winograd(s, at, k, facts);
    if (s.large_winograd)
        schedule_winograd_cpu(*s.large_winograd, at.channels, at.channels_in_task,
                              facts.vector_floats * k.at("channel_vectors"), k.at("winograd_tile_x"),
                              k.at("winograd_tile_y"), facts);
    if (dense_reduction_chunked(k)) {
        if (!s.small_winograd) schedule_conv_accumulator_cpu(s.conv, s.conv.acc, s.conv.r, at, k, facts);
        if (!s.large_winograd) {
            KnobValues large = k;
            if (const int chunk = k.at("large_branch_chunk")) large["input_channel_chunk"] = chunk;
            schedule_conv_accumulator_cpu(s.conv, s.acc_large, s.r_large, at, large, facts);
        }
        return;
    }
    if (k.at("branch_passes") == 1) {
        for (const SaconvBranch &branch : s.branches())
            schedule_conv_accumulator_cpu(s.conv, branch.acc, branch.r, at, k, facts);
        return;
    }
    if (!s.small_winograd) {
        ConvTileLevels small_tile = at;
        small_tile.tile = schedule_small_blend_tiles(s, at, k, facts);
        schedule_conv_accumulator_cpu(s.conv, s.conv.acc, s.conv.r, small_tile, k, facts);
    }
    if (!s.large_winograd) schedule_conv_accumulator_cpu(s.conv, s.acc_large, s.r_large, at, k, facts);
}

// The grouped path's blend: one run of a row per output tile, each branch's
// register run in turn.
void schedule_grouped_blend(const SaconvStages &s, const ConvTileLevels &at, const KnobValues &k, const TargetFacts &facts) {
    const int vec = facts.vector_floats;
    const std::array<SaconvBranch, 2> branches = s.branches();
    const Func steps[2] = {s.small_blend, s.blend};
    for (int step = 0; step < 2; ++step) {
        Func blend = steps[step];
        blend.compute_at(at.tile).vectorize(blend.args()[1], vec, TailStrategy::GuardWithIf);
        ConvTileLevels tile = at;
        tile.tile = LoopLevel(blend, Var::outermost());
        schedule_conv_accumulator_cpu(s.conv, branches[step].acc, branches[step].r, tile, k, facts);
    }
}

// Each branch's register tile is computed on its own (never both at once), so it
// keeps the register budget of one conv tile: the conv's space and fallbacks
// apply, with the knobs of SAConv's own loops.
KnobSpace saconv_knob_space_cpu(const TargetFacts &facts, ConvPath path) {
    KnobSpace conv_space = conv_knob_space(facts, path);
    if (path != ConvPath::Dense) return conv_space;
    const int registers = facts.vector_registers;
    conv_space.knob("branch_passes",
                    "passes over a channel tile's pixels: 2, the small branch's then the large branch's; 1, both "
                    "branches in every register tile",
                    2, {1, 2});
    // Records tuned before this knob chunked the large branch as the small one.
    conv_space.knob("large_branch_chunk",
                    "input channels per pass of the large branch's register tiles when the reduction is chunked (0: "
                    "input_channel_chunk, as the small branch)",
                    0, {0, 8, 16, 32, 64}, 0);
    conv_space.rule("large_branch_chunk is 0 unless input_channel_chunk > 0 (only a chunked reduction has passes)",
                    [](const KnobValues &k) { return dense_reduction_chunked(k) || k.at("large_branch_chunk") == 0; });
    // Records tuned before these knobs ran both branches direct.
    conv_space.knob("small_branch_winograd",
                    "1: the small branch by Winograd F(2x2, 3x3) (2.25x fewer multiply-adds; 3x3 stride-1 layers, else "
                    "ignored); 0: direct",
                    0, {0, 1}, 0);
    conv_space.knob("large_branch_winograd",
                    "1: the large branch by Winograd F(2x2, 3x3) at dilation 3d (its tiles cover whole blocks of 6d "
                    "columns and rows, so small maps compute more than they keep); 0: direct, skipping padding taps",
                    0, {0, 1}, 0);
    conv_space.knob("winograd_tile_x", "Winograd tiles (2 outputs wide each) per register tile of a Winograd branch",
                    7, {1, 2, 3, 4, 5, 6, 7, 8}, 7);
    conv_space.knob("winograd_tile_y", "Winograd tiles (2 outputs high each) per register tile of a Winograd branch",
                    1, {1, 2, 3, 4}, 1);
    auto any_winograd = [](const KnobValues &k) { return k.at("small_branch_winograd") || k.at("large_branch_winograd"); };
    conv_space.rule("winograd_tile_x and winograd_tile_y at 7 and 1 unless a branch runs by Winograd (they tile nothing "
                    "else)",
                    [any_winograd](const KnobValues &k) {
                        return any_winograd(k) || (k.at("winograd_tile_x") == 7 && k.at("winograd_tile_y") == 1);
                    });
    conv_space.rule("with a Winograd branch, channel_vectors * winograd_tile_x * winograd_tile_y accumulators + "
                    "channel_vectors weight vectors + 1 broadcast <= " + std::to_string(registers) + " vector registers",
                    [registers, any_winograd](const KnobValues &k) {
                        const int cv = k.at("channel_vectors");
                        return !any_winograd(k) || cv * k.at("winograd_tile_x") * k.at("winograd_tile_y") + cv + 1 <= registers;
                    });
    conv_space.rule("branch_passes is 2 with a Winograd branch (it runs over a channel tile's pixels, not in the output's "
                    "register tiles)",
                    [any_winograd](const KnobValues &k) { return k.at("branch_passes") == 2 || !any_winograd(k); });
    conv_space.rule("image_at_a_time is 0 with a Winograd branch (its transformed input is built for the whole "
                    "batch, from a padded copy built per image)",
                    [any_winograd](const KnobValues &k) { return k.at("image_at_a_time") == 0 || !any_winograd(k); });
    return conv_space.rule("branch_passes is 2 when input_channel_chunk > 0 (chunked, the branches run one after the "
                           "other over each task)",
                           [](const KnobValues &k) { return k.at("branch_passes") == 2 || !dense_reduction_chunked(k); });
}

void schedule_saconv_cpu(const SaconvStages &s, const KnobValues &k, const TargetFacts &facts) {
    const ConvTileLevels at = tile_conv_output_cpu(s.conv, k, facts);
    if (s.conv.path == ConvPath::Dense) {
        schedule_dense_blend(s, at, k, facts);
        schedule_conv_padded_cpu(s.conv, at, facts);
    } else {
        schedule_grouped_blend(s, at, k, facts);
        // The tap sums read the padded input outside the output's loops, so it is
        // built once, whole, rather than per task as the conv's grouped path does.
        Func padded = s.conv.padded;
        Var x = padded.args()[0], y = padded.args()[1], c = padded.args()[2], n = padded.args()[3];
        Var yc("yc"), task("task");
        padded.compute_root().fuse(y, c, yc).fuse(yc, n, task).parallel(task).vectorize(
            x, facts.vector_floats, TailStrategy::GuardWithIf);
    }
    schedule_context_stages(s, at, facts);
}

}  // namespace convforge
