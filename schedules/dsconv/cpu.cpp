// The CPU schedule of DSConv's integer mode, x86 and ARM alike. The pixel stages
// (block exponents, mantissas, their sums, scales) run as (block, image) tasks in
// parallel, once for the batch or per image (image_at_a_time). The conv is the
// conv's dense register tile (channel_vectors vectors of output channels x tile_x
// x tile_y pixels, rows of tiles in parallel), with two
// accumulators per output: a float tile over all (tap, block) pairs, and inside
// it, per pair, an int32 tile summing the block's mantissa x level products four
// channels per lane step (one vpdpbusd on x86 with VNNI, one sdot on ARM with
// dot products; widening multiplies elsewhere).
// Measured: per target, with the fallbacks x86.cpp and arm.cpp choose.
#include <algorithm>

#include "stages.h"
#include "../conv/cpu.h"

namespace convforge {

using namespace Halide;

KnobSpace dsconv_cpu_knob_space(const TargetFacts &facts, const KnobValues &fallback) {
    const int registers = facts.vector_registers, vec = facts.vector_floats;
    KnobSpace space;
    space.knob("channel_vectors", "output-channel vectors per register tile (each broadcast of 4 mantissas serves all)",
               fallback.at("channel_vectors"), {1, 2, 4})
        .knob("tile_x", "output columns per register tile", fallback.at("tile_x"), {1, 2, 3, 4, 5, 6, 7, 8})
        .knob("tile_y", "output rows per register tile", fallback.at("tile_y"), {1, 2, 3, 4})
        // Records tuned before this knob ran the pixel passes for the whole batch first.
        // Zen 4 (1 MiB L2) chose 0 at all four benchmark shapes; it is for smaller
        // caches, where the conv's own per-image nest was 1.29x faster at stride 2
        // (Zen 2). With fewer blocks than threads the pixel passes of an image are
        // fewer tasks than cores: the tuner weighs that.
        .knob("image_at_a_time",
              "1: the images one after another, each one's pixel passes (mantissas, scales, sums) then its row "
              "tasks, so what the conv reads is still in cache; 0: the whole batch's pixel passes first",
              fallback.at("image_at_a_time"), {0, 1}, 0)
        .rule("2 channel_vectors tile_x tile_y accumulators (int32 and float) + channel_vectors level vectors + a "
              "broadcast <= " + std::to_string(registers) + " vector registers",
              [registers](const KnobValues &k) {
                  const int cv = k.at("channel_vectors");
                  return 2 * cv * k.at("tile_x") * k.at("tile_y") + cv + 1 <= registers;
              })
        .rule("channel_vectors * " + std::to_string(vec) + " lanes divides the packed alignment (" +
                  std::to_string(kPackedChannelAlignment) + " channels: tiles never reach past the padded scales)",
              [vec](const KnobValues &k) { return kPackedChannelAlignment % (vec * k.at("channel_vectors")) == 0; });
    return space;
}

namespace {

// The pixel stages run at `at` (the root, or the loop over images) as (block,
// image) tasks in parallel, reading the NCHW input a channel plane at a time
// along rows (x vectorized with predicated tails: a 14-wide row is shorter than
// one AVX-512 vector). Each stage is given as its pure definition's loops and
// each update's, innermost first, the block and image last; with
// `lanes_innermost` the first loop is the four channel lanes of a word (unrolled)
// and the second the row.
void schedule_pixel_stage(Func f, const LoopLevel &at, const std::vector<std::vector<VarOrRVar>> &stage_loops,
                          const TargetFacts &facts, bool lanes_innermost = false) {
    f.compute_at(at);
    Var b("b"), n("n"), task("task");
    for (int u = -1; u < f.num_update_definitions(); ++u) {
        Stage stage = u < 0 ? Stage(f) : f.update(u);
        std::vector<VarOrRVar> loops = stage_loops.at(size_t(u + 1));
        loops.push_back(b);
        loops.push_back(n);
        stage.reorder(loops).fuse(b, n, task).parallel(task);
        const size_t row = lanes_innermost ? 1 : 0;
        if (lanes_innermost) stage.unroll(loops[0]);
        stage.vectorize(loops[row], facts.vector_floats, TailStrategy::Predicate);
    }
}

}  // namespace

void schedule_dsconv_cpu(const DsconvStages &s, const KnobValues &k, const TargetFacts &facts) {
    const int vec = facts.vector_floats, tile_o = vec * k.at("channel_vectors"), tile_x = k.at("tile_x"),
              tile_y = k.at("tile_y");
    const bool image_at_a_time = k.at("image_at_a_time");
    Func out = s.output;
    Var x = out.args()[0], y = out.args()[1], o = out.args()[2], n = out.args()[3];
    const LoopLevel pixels_at = image_at_a_time ? LoopLevel(out, n) : LoopLevel::root();
    {
        // The stages' own pure variables, by name.
        Var px("x"), py("y"), lane("lane"), q("q");
        const RDom &image = s.image;
        schedule_pixel_stage(s.block_max, pixels_at, {{px, py}, {px, py, s.in_block}}, facts);
        schedule_pixel_stage(s.scale, pixels_at, {{px, py}, {image.x, image.y}}, facts);
        schedule_pixel_stage(s.scaled_sums, pixels_at, {{px, py}}, facts);
        // Per (block, image) task of the scaled sums: each word's four lanes summed
        // as one vector reduction (splitting them into four vectors first took 3.5x
        // the time, perf at stride 2 on Zen 4).
        Func sums = s.mantissa_sums;
        Var task("task");
        sums.compute_at(s.scaled_sums, task).vectorize(px, vec, TailStrategy::Predicate);
        sums.update()
            .reorder(s.in_mantissas.x, px, s.in_mantissas.y, py)
            .atomic()
            .vectorize(s.in_mantissas.x)
            .vectorize(px, vec, TailStrategy::Predicate);
        // Four channels innermost, as the dot product reads them: the four rows'
        // stores interleave into one.
        Func(s.mantissas).bound(lane, 0, 4);
        schedule_pixel_stage(s.mantissas, pixels_at, {{lane, px, py, q}, {lane, image.x, image.y, q}}, facts, true);
    }
    if (s.levels_biased) {
        // One pass over the levels per call (x86), not a bias per load.
        Func levels = s.dot_levels;
        Var lane = levels.args()[0], o = levels.args()[1];
        levels.compute_root().bound(lane, 0, 4).vectorize(lane).vectorize(o, vec, TailStrategy::GuardWithIf).parallel(levels.args()[4]);
    }

    Var xo("xo"), xi("xi"), yo("yo"), yi("yi"), oo("oo"), oi("oi"), task("task");
    out.split(o, oo, oi, tile_o, TailStrategy::GuardWithIf)
        .split(x, xo, xi, tile_x, TailStrategy::GuardWithIf)
        .split(y, yo, yi, tile_y, TailStrategy::GuardWithIf)
        .reorder(oi, xi, yi, xo, oo, yo, n)
        .vectorize(oi, vec)
        .unroll(oi)
        .unroll(xi)
        .unroll(yi);
    if (image_at_a_time)
        out.parallel(yo);
    else
        out.fuse(yo, n, task).parallel(task);

    Func acc = s.acc;
    Var ao = acc.args()[0], ax = acc.args()[1], ay = acc.args()[2];
    place_in_register_tile(acc, LoopLevel(out, xo), tile_o, tile_x, tile_y, vec);
    acc.update()
        .reorder(ao, ax, ay, s.taps_r.x, s.taps_r.y, s.taps_r.z)
        .vectorize(ao, vec)
        .unroll(ao)
        .unroll(ax)
        .unroll(ay);

    Func dot = s.dot;
    Var d_o = dot.args()[0], dx = dot.args()[1], dy = dot.args()[2];
    Var d_oo("d_oo"), d_oi("d_oi");
    place_in_register_tile(dot, LoopLevel(acc, s.taps_r.x), tile_o, tile_x, tile_y, vec);
    // Four channels per lane step innermost, then the output channels: the pattern
    // Halide turns into one vpdpbusd (or sdot) per 16 (or 4) output channels.
    dot.update()
        .split(d_o, d_oo, d_oi, vec)
        .reorder(s.dot_r.x, d_oi, d_oo, dx, dy, s.dot_r.y)
        .atomic()
        .vectorize(s.dot_r.x)
        .vectorize(d_oi)
        .unroll(d_oo)
        .unroll(dx)
        .unroll(dy);
}

// A chunk made where the conv reads it is in cache when read (tile_o x chunk x
// k^2 floats: 36 KB at the AVX-512 fallback's 32 x 32 x 9), and the float kernel
// (4 bytes a weight: 9.4 MB at 512 -> 512, 3 x 3) is never written whole and read
// back: the conv streams the levels' bytes instead. Unchunked schedules get it
// whole, once per call, its tiles in parallel.
KernelChunkLevel schedule_dsconv_exact_cpu(const DsconvExactStages &s, const KnobValues &k, const TargetFacts &facts) {
    const KernelChunkLevel chunks = schedule_conv_cpu(s.conv, k, facts);
    Func kernel = s.kernel;
    Var lane = kernel.args()[0], tile = kernel.args()[4];
    kernel.compute_at(chunks.loop).vectorize(lane, std::min(facts.vector_floats, kPackedChannelTile));
    if (chunks.whole_kernel) kernel.parallel(tile);
    return chunks;
}

}  // namespace convforge
