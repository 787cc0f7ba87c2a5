// The CPU conv loop nest x86 and ARM share (cpu.h says what each piece places),
// and its knob space over the fallbacks each target's file chooses.
// Measured: per target, with the fallbacks x86.cpp and arm.cpp choose.
#include "cpu.h"

#include <algorithm>
#include <stdexcept>

namespace convforge {

using namespace Halide;

namespace {

// Dense (groups == 1): output channels innermost in registers, as in Halide's
// apps/conv_layer. A tile of channel_vectors x tile_x x tile_y accumulators stays in
// registers across the reduction, input channels innermost (ky, kx outside); each
// step loads channel_vectors weight vectors (one packed-tile cache line) and
// broadcasts one input value per pixel of the tile from the NHWC padded input.
//
// Unchunked (input_channel_chunk = 0), a register tile runs the whole reduction,
// so it streams all of its channel tile's weights (tile_o C k^2 floats: 295 KB at
// 256 -> 256, 3 x 3, 32 channels) through L1 once per tile of pixels. Whichever of
// weights and image is larger streams past the other: with large weights the
// channel-tile loop is outermost (its weights stay in L2 while every pixel streams
// past), with small weights it is inside each row task.
//
// Chunked (input_channel_chunk > 0), a task is one band of task_tile_rows register-
// tile rows (0: the whole image) of one image and channel tile; its accumulators
// live in a buffer the size of that band, and the reduction runs a chunk of input
// channels at a time over every register tile of the band (the register tile is
// the chunk's partial sum, an rfactor of the reduction). The chunk's weights
// (tile_o x chunk x k^2 floats: 36 KB at 32 x 32 x 9) are then reused by every
// register tile of the band while they are hot, instead of streaming from L2
// once per register tile (measured faster, docs/tuning.md; no cache counters
// were available to show where they stay).

ConvTileLevels tile_dense_output(const ConvStages &s, const KnobValues &k, const TargetFacts &facts) {
    Func out = s.output;
    Var x = out.args()[0], y = out.args()[1], o = out.args()[2], n = out.args()[3];
    Var xo("xo"), xi("xi"), yo("yo"), yi("yi"), oo("oo"), oi("oi"), task("task");
    const int vec = facts.vector_floats, tile_o = vec * k.at("channel_vectors");
    const int tile_x = k.at("tile_x"), tile_y = k.at("tile_y");

    // Edge tiles store behind a guard.
    out.split(o, oo, oi, tile_o, TailStrategy::GuardWithIf)
        .split(x, xo, xi, tile_x, TailStrategy::GuardWithIf)
        .split(y, yo, yi, tile_y, TailStrategy::GuardWithIf)
        .reorder(oi, xi, yi, xo, yo, n, oo)
        .vectorize(oi, vec)
        .unroll(oi)
        .unroll(xi)
        .unroll(yi);
    if (dense_reduction_chunked(k)) {
        if (const int band_tiles = k.at("task_tile_rows")) {
            Var band("band"), yb("yb"), band_n("band_n");
            out.split(yo, band, yb, band_tiles, TailStrategy::GuardWithIf).reorder(oi, xi, yi, xo, yb, band, n, oo);
            out.fuse(band, n, band_n).fuse(band_n, oo, task).parallel(task);
        } else {
            out.fuse(n, oo, task).parallel(task);
        }
        const LoopLevel at_task(out, task);
        return {at_task, at_task, at_task, Expr(true)};
    }
    // When the weights are smaller than one image, keep a row band's input hot and
    // stream the weights past it instead (all channel tiles inside each row task).
    const ConvGeometry &g = s.geometry;
    Expr weight_floats = g.out_channels * g.in_channels_per_group() * g.kernel_size * g.kernel_size;
    Expr image_floats = g.in_channels * g.in_width * g.in_height;
    const Expr weights_smaller = weight_floats < image_floats;
    if (k.at("image_at_a_time")) {
        // Images one after another, each one's row tasks in parallel: its NHWC copy
        // (built at the image loop) is still in cache when its rows are read.
        out.reorder(oi, xi, yi, xo, yo, oo, n).parallel(yo);
        s.specialize_output(weights_smaller).reorder(oi, xi, yi, xo, oo, yo, n);
        ConvTileLevels at{LoopLevel(out, xo), LoopLevel(out, yo), LoopLevel(out, oo), weights_smaller};
        at.copy = LoopLevel(out, n);
        at.copy_per_image = true;
        return at;
    }
    out.fuse(yo, n, task).parallel(task);
    s.specialize_output(weights_smaller).reorder(oi, xi, yi, xo, oo, task);
    return {LoopLevel(out, xo), LoopLevel(out, task), LoopLevel(out, oo), weights_smaller};
}

// One register tile of `f` (o, x, y, ...) computed at `at`: bounding it to
// constant extents lets LLVM keep it in registers (edge tiles read zero-padded
// weights and padding); its update reduces `channels` innermost, then r.x, r.y.
void schedule_register_tile(Func f, const RVar &channels, const RDom &r, const LoopLevel &at, const KnobValues &k,
                            const TargetFacts &facts) {
    Var fo = f.args()[0], fx = f.args()[1], fy = f.args()[2];
    const int vec = facts.vector_floats, tile_o = vec * k.at("channel_vectors");
    place_in_register_tile(f, at, tile_o, k.at("tile_x"), k.at("tile_y"), vec);
    // One row per tile: the row loop goes outside the taps, so conv_core's padding-row
    // predicate trims the ky loop instead of guarding every multiply-add.
    if (k.at("tile_y") == 1)
        f.update().reorder(fo, fx, channels, r.x, r.y, fy);
    else
        f.update().reorder(fo, fx, fy, channels, r.x, r.y);
    f.update().vectorize(fo, vec).unroll(fo).unroll(fx).unroll(fy);
}

// The kernel's chunks: chunked, a chunk of a channel tile's input channels
// (tile_o x chunk x k^2) per pass over a band of register tiles. Unchunked, none:
// the channel-tile loop is inside row tasks when the weights are smaller than an
// image (a channel tile's kernel would be made again every few rows), and which it
// is depends on the image size, a run-time argument.
KernelChunkLevel schedule_dense_accumulator(Func acc, const RDom &r, const LoopLevel &tile, const KnobValues &k,
                                            const TargetFacts &facts) {
    if (!dense_reduction_chunked(k)) {
        schedule_register_tile(acc, r.z, r, tile, k, facts);
        return {};
    }
    // The band's accumulators (whole register tiles: aligned bounds), then per chunk
    // of input channels one pass of register tiles adding their partial sums.
    Var ao = acc.args()[0], ax = acc.args()[1], ay = acc.args()[2];
    Var axo("axo"), axi("axi"), ayo("ayo"), ayi("ayi"), chunk_index("chunk_index");
    RVar rzo("rzo"), rzi("rzi");
    const int vec = facts.vector_floats, tile_o = vec * k.at("channel_vectors");
    const int tile_x = k.at("tile_x"), tile_y = k.at("tile_y");
    acc.compute_at(tile)
        .bound_extent(ao, tile_o)
        .align_bounds(ax, tile_x)
        .align_bounds(ay, tile_y)
        .vectorize(ao, vec)
        .unroll(ao);
    acc.update().split(r.z, rzo, rzi, k.at("input_channel_chunk"), TailStrategy::GuardWithIf);
    Func partial = acc.update().rfactor(rzo, chunk_index);
    acc.update()
        .split(ax, axo, axi, tile_x)
        .split(ay, ayo, ayi, tile_y)
        .reorder(ao, axi, ayi, axo, ayo, rzo)
        .vectorize(ao, vec)
        .unroll(ao)
        .unroll(axi)
        .unroll(ayi);
    schedule_register_tile(partial, rzi, r, LoopLevel(acc, axo), k, facts);
    return {LoopLevel(acc, rzo), false};
}

// Channels innermost (NHWC) so the reduction's innermost loop over input
// channels broadcasts from one cache line for many steps; built in channel x
// column tiles so both the gather and the store stay local, rows in parallel.
void schedule_nhwc_padded(Func padded, const ConvTileLevels &at, const TargetFacts &facts) {
    const int vec = facts.vector_floats;
    Var px = padded.args()[0], py = padded.args()[1], pc = padded.args()[2], pn = padded.args()[3];
    Var pco("pco"), pci("pci"), pxo("pxo"), pxi("pxi"), pyn("pyn");
    padded.compute_at(at.copy)
        .reorder_storage(pc, px, py, pn)
        .split(pc, pco, pci, vec, TailStrategy::GuardWithIf)
        .split(px, pxo, pxi, vec, TailStrategy::GuardWithIf)
        .reorder(pci, pxi, pco, pxo, py, pn)
        .vectorize(pci)
        .unroll(pxi);
    if (at.copy_per_image)
        padded.parallel(py);
    else
        padded.fuse(py, pn, pyn).parallel(pyn);
}

// Grouped and depthwise: the input channel is uniform along a row, so vectorize
// across output columns. A run of grouped_vectors vectors of one row accumulates in
// registers over the whole (c, ky, kx) reduction. The padded input planes of one
// output channel's group are built per (channel, image) task, so they are still in
// cache when read (the reduction reads each of them k*k times).
ConvTileLevels tile_grouped_output(const ConvStages &s, const KnobValues &k, const TargetFacts &facts) {
    Func out = s.output;
    Var x = out.args()[0], y = out.args()[1], o = out.args()[2], n = out.args()[3];
    Var on("on"), xo("xo"), xi("xi");
    const int vec = facts.vector_floats, width = vec * k.at("grouped_vectors");
    out.reorder(x, y, o, n)
        .fuse(o, n, on)
        .parallel(on)
        .split(x, xo, xi, width, TailStrategy::GuardWithIf)
        .vectorize(xi, vec);
    return {LoopLevel(out, xo), LoopLevel(out, on), LoopLevel(out, on), Expr(true)};
}

void schedule_grouped_accumulator(const ConvStages &s, Func acc, const RDom &r, const LoopLevel &tile,
                                  const KnobValues &k, const TargetFacts &facts) {
    Var ao = acc.args()[0], ax = acc.args()[1], ay = acc.args()[2], an = acc.args()[3];
    const int vec = facts.vector_floats, width = vec * k.at("grouped_vectors");
    acc.compute_at(tile).bound_extent(ax, width).vectorize(ax, vec).unroll(ax);
    acc.update().reorder(ax, r.x, r.y, r.z, ay, ao, an).vectorize(ax, vec).unroll(ax);
    // A runtime stride makes the row load a gather; common strides get dense
    // (stride 1) or deinterleaving (stride 2) vector loads.
    acc.update().specialize(s.geometry.stride == 1);
    acc.update().specialize(s.geometry.stride == 2);
}

// Pointwise (1x1, stride 1, no padding, groups == 1): out = W x in per image, a
// GEMM over NCHW rows. A tile of pointwise_channels x pointwise_vectors
// accumulators stays in registers over the input channels; each step loads
// pointwise_vectors input vectors (contiguous along the row: no re-layout needed)
// and broadcasts one weight per channel. One task is an image row; that row of
// every input channel is staged first, so it stays in cache while all channel
// tiles pass over it.
ConvTileLevels tile_pointwise_output(const ConvStages &s, const KnobValues &k, const TargetFacts &facts) {
    Func out = s.output;
    Var x = out.args()[0], y = out.args()[1], o = out.args()[2], n = out.args()[3];
    Var xo("xo"), xi("xi"), oo("oo"), oi("oi"), task("task");
    const int vec = facts.vector_floats, tile_x = vec * k.at("pointwise_vectors"), tile_o = k.at("pointwise_channels");
    out.split(x, xo, xi, tile_x, TailStrategy::GuardWithIf)
        .split(o, oo, oi, tile_o, TailStrategy::GuardWithIf)
        .reorder(xi, oi, xo, oo, y, n)
        .vectorize(xi, vec)
        .unroll(xi)
        .unroll(oi)
        .fuse(y, n, task)
        .parallel(task);
    return {LoopLevel(out, xo), LoopLevel(out, task), LoopLevel(out, oo), Expr(true)};
}

void schedule_pointwise_accumulator(Func acc, const RDom &r, const LoopLevel &tile, const KnobValues &k,
                                    const TargetFacts &facts) {
    Var ao = acc.args()[0], ax = acc.args()[1], ay = acc.args()[2], an = acc.args()[3];
    const int vec = facts.vector_floats, tile_x = vec * k.at("pointwise_vectors"), tile_o = k.at("pointwise_channels");
    acc.compute_at(tile)
        .bound_extent(ao, tile_o)
        .bound_extent(ax, tile_x)
        .reorder_storage(ax, ao, ay, an)
        .reorder(ax, ao)
        .vectorize(ax, vec)
        .unroll(ax)
        .unroll(ao);
    acc.update().reorder(ax, ao, r.z, r.x, r.y, ay, an).vectorize(ax, vec).unroll(ax).unroll(ao);
}

int fallback_of(const KnobValues &fallback, const std::string &name) {
    const auto it = fallback.find(name);
    if (it == fallback.end()) throw std::logic_error("no fallback value for conv knob '" + name + "'");
    return it->second;
}

}  // namespace

int register_tile_columns(const TargetFacts &facts, const KnobValues &k) {
    const auto it = k.find("tile_x");
    return facts.family == ScheduleFamily::Gpu || it == k.end() ? 0 : it->second;
}

// Each path's knobs, read by its function above. Candidates span what the loop
// nest can take; the rules keep a register tile in registers (its accumulators,
// the vectors loaded per step and one broadcast within the target's vector
// registers) and a channel tile inside one packed weight block.
KnobSpace cpu_conv_knob_space(const TargetFacts &facts, ConvPath path, const KnobValues &fallback) {
    const int vec = facts.vector_floats, registers = facts.vector_registers;
    KnobSpace space;
    auto declare = [&](const char *name, const char *meaning, std::vector<int> candidates,
                       std::optional<int> in_older_records = std::nullopt) {
        space.knob(name, meaning, fallback_of(fallback, name), std::move(candidates), in_older_records);
    };
    switch (path) {
    case ConvPath::Dense:
        declare("channel_vectors", "output-channel vectors per register tile", {1, 2, 3, 4});
        declare("tile_x", "output columns per register tile", {1, 2, 3, 4, 5, 6, 7, 8});
        declare("tile_y", "output rows per register tile", {1, 2, 3, 4, 5, 6});
        // Records tuned before these two knobs ran the unchunked nest.
        declare("input_channel_chunk", "input channels per pass over a task's register tiles (0: all in one pass)",
                {0, 8, 16, 32, 64}, 0);
        declare("task_tile_rows", "register-tile rows per task when the reduction is chunked (0: the whole image)",
                {0, 2, 4, 8}, 0);
        // Records tuned before this knob ran every image's row tasks at once.
        declare("image_at_a_time",
                "1: the images one after another, row tasks in parallel within each, the NHWC input copy built per "
                "image (still in cache when read); 0: the whole batch's copy first, then every image's row tasks",
                {0, 1}, 0);
        space.rule("channel_vectors * tile_x * tile_y accumulators + channel_vectors weight vectors + 1 broadcast <= " +
                       std::to_string(registers) + " vector registers",
                   [registers](const KnobValues &k) {
                       const int cv = k.at("channel_vectors");
                       return cv * k.at("tile_x") * k.at("tile_y") + cv + 1 <= registers;
                   });
        space.rule("channel_vectors * " + std::to_string(vec) + " lanes divides the packed alignment (" +
                       std::to_string(kPackedChannelAlignment) + " channels)",
                   [vec](const KnobValues &k) { return kPackedChannelAlignment % (vec * k.at("channel_vectors")) == 0; });
        space.rule("task_tile_rows is 0 unless input_channel_chunk > 0 (only chunked tasks are banded)",
                   [](const KnobValues &k) { return dense_reduction_chunked(k) || k.at("task_tile_rows") == 0; });
        space.rule("image_at_a_time is 0 when input_channel_chunk > 0 (chunked tasks are whole images or bands)",
                   [](const KnobValues &k) { return !dense_reduction_chunked(k) || k.at("image_at_a_time") == 0; });
        break;
    case ConvPath::Grouped:
        declare("grouped_vectors", "width vectors per register run", {1, 2, 3, 4, 5, 6, 7, 8});
        space.rule("grouped_vectors accumulators + 2 <= " + std::to_string(registers) + " vector registers",
                   [registers](const KnobValues &k) { return k.at("grouped_vectors") + 2 <= registers; });
        break;
    case ConvPath::Pointwise:
        declare("pointwise_channels", "output channels per register tile", {1, 2, 4, 8, 16});
        declare("pointwise_vectors", "width vectors per register tile", {1, 2, 3, 4, 5, 6});
        space.rule("pointwise_channels * pointwise_vectors accumulators + pointwise_vectors input vectors + 1 "
                   "broadcast <= " + std::to_string(registers) + " vector registers",
                   [registers](const KnobValues &k) {
                       const int pv = k.at("pointwise_vectors");
                       return k.at("pointwise_channels") * pv + pv + 1 <= registers;
                   });
        space.rule("pointwise_channels divides the packed alignment (" + std::to_string(kPackedChannelAlignment) +
                       " channels)",
                   [](const KnobValues &k) { return kPackedChannelAlignment % k.at("pointwise_channels") == 0; });
        break;
    }
    return space;
}

ConvTileLevels tile_conv_output_cpu(const ConvStages &s, const KnobValues &k, const TargetFacts &facts) {
    switch (s.path) {
    case ConvPath::Pointwise:
        return tile_pointwise_output(s, k, facts);
    case ConvPath::Dense:
        return tile_dense_output(s, k, facts);
    case ConvPath::Grouped:
        break;
    }
    return tile_grouped_output(s, k, facts);
}

KernelChunkLevel schedule_conv_accumulator_cpu(const ConvStages &s, Func acc, const RDom &r, const ConvTileLevels &at,
                                               const KnobValues &k, const TargetFacts &facts) {
    switch (s.path) {
    case ConvPath::Pointwise:
        schedule_pointwise_accumulator(acc, r, at.tile, k, facts);
        break;
    case ConvPath::Dense:
        return schedule_dense_accumulator(acc, r, at.tile, k, facts);
    case ConvPath::Grouped:
        schedule_grouped_accumulator(s, acc, r, at.tile, k, facts);
        break;
    }
    return {};
}

void schedule_conv_padded_cpu(const ConvStages &s, const ConvTileLevels &at, const TargetFacts &facts) {
    Func padded = s.padded;
    if (s.path == ConvPath::Dense) return schedule_nhwc_padded(padded, at, facts);
    // Grouped: the planes of one output channel's group, built per (channel,
    // image) task, are still in cache when the reduction reads them k*k times.
    // Pointwise: the row of every input channel, staged per row task, stays in
    // cache while all channel tiles pass over it.
    padded.compute_at(at.task).vectorize(padded.args()[0], facts.vector_floats);
}

void place_in_register_tile(Func f, const LoopLevel &at, int tile_o, int tile_x, int tile_y, int vec) {
    Var o = f.args()[0], x = f.args()[1], y = f.args()[2];
    f.compute_at(at)
        .bound_extent(o, tile_o)
        .bound_extent(x, tile_x)
        .bound_extent(y, tile_y)
        .vectorize(o, vec)
        .unroll(o)
        .unroll(x)
        .unroll(y);
}

void parallel_unless_in_task(Stage stage, const VarOrRVar &v, const Expr &in_task) {
    const Expr inside = Internal::simplify(in_task);
    if (Internal::is_const_one(inside)) return;
    if (!Internal::is_const_zero(inside)) stage.specialize(inside);  // serial there
    stage.parallel(v);
}

void schedule_winograd_cpu(const WinogradConv &w, const LoopLevel &region, const Expr &region_in_task, int tile_o,
                           int tiles_x, int tiles_y, const TargetFacts &facts) {
    const int vec = facts.vector_floats;
    {
        // Per transform element, every register tile of the region: that element's
        // weights of the channel tile (tile_o x C floats) stay in L1 meanwhile. A
        // register tile sums over the input channels in a buffer of constant size
        // (registers), stored once: summed in the region's buffer itself, LLVM kept
        // the accumulators in registers only for single-row tiles.
        Func stored = w.stored_products, m = w.products;
        Var o = stored.args()[0], e = stored.args()[1], t = stored.args()[2], u = stored.args()[3],
            n = stored.args()[4];
        Var to("to"), ti("ti"), uo("uo"), ui("ui"), un("un");
        stored.compute_at(region)
            .bound_extent(o, tile_o)
            .bound_extent(e, 16)
            .align_bounds(t, tiles_x)
            .align_bounds(u, tiles_y)
            .split(t, to, ti, tiles_x, TailStrategy::RoundUp)
            .split(u, uo, ui, tiles_y, TailStrategy::RoundUp)
            .reorder(o, ti, ui, to, uo, n, e)
            .vectorize(o, vec)
            .unroll(o)
            .unroll(ti)
            .unroll(ui)
            .fuse(uo, n, un);
        parallel_unless_in_task(stored, un, region_in_task);
        Var mo = m.args()[0], mt = m.args()[2], mu = m.args()[3];
        m.compute_at(stored, to)
            .bound_extent(mo, tile_o)
            .bound_extent(mt, tiles_x)
            .bound_extent(mu, tiles_y)
            .vectorize(mo, vec)
            .unroll(mo)
            .unroll(mt)
            .unroll(mu);
        m.update().reorder(mo, mt, mu, w.r).vectorize(mo, vec).unroll(mo).unroll(mt).unroll(mu);
    }
    {
        Func tiles = w.tiles;
        Var o = tiles.args()[0], i = tiles.args()[1], j = tiles.args()[2], t = tiles.args()[3], u = tiles.args()[4],
            n = tiles.args()[5], un("un");
        tiles.compute_at(region)
            .bound_extent(o, tile_o)
            .bound_extent(i, 2)
            .bound_extent(j, 2)
            .reorder(o, i, j, t, u, n)
            .vectorize(o, vec)
            .unroll(o)
            .unroll(i)
            .unroll(j)
            .fuse(u, n, un);
        parallel_unless_in_task(tiles, un, region_in_task);
    }
    {
        // Input channels innermost, as the products read it; a tile's 4 x 4 x C
        // input columns stay in L1 between the two passes of the transform.
        Func v = w.input, columns = w.input_columns;
        Var c = v.args()[0], e = v.args()[1], t = v.args()[2], u = v.args()[3], n = v.args()[4], un("un");
        v.compute_root()
            .bound_extent(e, 16)
            .reorder_storage(c, e, t, u, n)
            .reorder(c, e, t, u, n)
            .vectorize(c, vec, TailStrategy::GuardWithIf)
            .unroll(e)
            .fuse(u, n, un)
            .parallel(un);
        Var cc = columns.args()[0], ce = columns.args()[1], cb = columns.args()[2];
        columns.compute_at(v, t)
            .bound_extent(ce, 4)
            .bound_extent(cb, 4)
            .reorder(cc, ce, cb)
            .vectorize(cc, vec, TailStrategy::GuardWithIf)
            .unroll(ce)
            .unroll(cb);
    }
    {
        // Whole packed tiles of output channels, so that each vector reads one
        // packed line (o % tile, o / tile then simplify) rather than a gather.
        Func weights = w.weights;
        Var o = weights.args()[0], c = weights.args()[1], e = weights.args()[2], oo("oo"), oi("oi");
        weights.compute_root()
            .bound_extent(e, 16)
            .align_bounds(o, kPackedChannelTile)
            .split(o, oo, oi, kPackedChannelTile)
            .reorder(oi, e, oo, c)
            .vectorize(oi, std::min(vec, kPackedChannelTile))
            .unroll(e)
            .parallel(c);
    }
}

void schedule_global_average_pool_cpu(const GlobalAveragePool &gap, const TargetFacts &facts) {
    const int vec = facts.vector_floats;
    Func columns = gap.column_sums, mean = gap.mean;
    Var x = columns.args()[0], c = columns.args()[1], n = columns.args()[2], cn("cn"), task("task"), row("row");
    mean.compute_root();
    columns.compute_root();
    // A task sums kCacheLineFloats planes: a 14-wide row is less than one cache
    // line, and tasks of one row each had two cores adding into the same lines.
    for (Stage stage : {Stage(columns), columns.update()})
        stage.fuse(c, n, cn)
            .split(cn, task, row, kCacheLineFloats, TailStrategy::GuardWithIf)
            .parallel(task)
            .vectorize(x, vec, TailStrategy::Predicate);
}

KernelChunkLevel schedule_conv_cpu(const ConvStages &s, const KnobValues &k, const TargetFacts &facts) {
    const ConvTileLevels at = tile_conv_output_cpu(s, k, facts);
    const KernelChunkLevel kernel_chunks = schedule_conv_accumulator_cpu(s, s.acc, s.r, at, k, facts);
    schedule_conv_padded_cpu(s, at, facts);
    return kernel_chunks;
}

}  // namespace convforge
