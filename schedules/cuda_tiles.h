// What the hand-written CUDA schedules share: small stages as one GPU pass each,
// and a register tile of output channels across a warp's lanes with its input
// window staged in shared memory (in the style of Halide's apps/conv_layer).
#pragma once

#include "../generators/building_blocks.h"
#include "knob_space.h"
#include "Halide.h"

namespace convforge {

constexpr int kWarpLanes = 32;

// A compute_root stage over (x, y, rest...) as 2-D thread blocks, or one thread
// per element of a small vector stage; its update definitions alike (each
// thread runs its point's reduction).
inline void gpu_image_stage(Halide::Func f, int threads_x, int threads_y) {
    Halide::Var x = f.args()[0], y = f.args()[1], xo("xo"), yo("yo"), xi("xi"), yi("yi");
    f.compute_root().gpu_tile(x, y, xo, yo, xi, yi, threads_x, threads_y, Halide::TailStrategy::GuardWithIf);
    for (int u = 0; u < f.num_update_definitions(); ++u)
        f.update(u).gpu_tile(x, y, xo, yo, xi, yi, threads_x, threads_y, Halide::TailStrategy::GuardWithIf);
}

inline void gpu_vector_stage(Halide::Func f) {
    Halide::Var v = f.args()[0], vo("vo"), vi("vi");
    f.compute_root().gpu_tile(v, vo, vi, 64, Halide::TailStrategy::GuardWithIf);
    for (int u = 0; u < f.num_update_definitions(); ++u)
        f.update(u).gpu_tile(v, vo, vi, 64, Halide::TailStrategy::GuardWithIf);
}

// The NCHW output (x, y, o, n) in warp tiles: a thread block is one warp, its
// lanes kWarpLanes output channels, each lane tile_x x tile_y pixels (unrolled).
// Returns the warp's level, where the accumulators of a tile compute.
inline Halide::LoopLevel tile_output_in_warps(Halide::Func out, int tile_x, int tile_y) {
    using Halide::TailStrategy;
    Halide::Var x = out.args()[0], y = out.args()[1], o = out.args()[2], n = out.args()[3];
    Halide::Var xo("xo"), xi("xi"), yo("yo"), yi("yi"), oo("oo"), oi("oi"), block("block");
    out.compute_root()
        .split(x, xo, xi, tile_x, TailStrategy::GuardWithIf)
        .split(y, yo, yi, tile_y, TailStrategy::GuardWithIf)
        .split(o, oo, oi, kWarpLanes, TailStrategy::GuardWithIf)
        .reorder(xi, yi, oi, xo, yo, oo, n)
        .gpu_lanes(oi)
        .unroll(xi)
        .unroll(yi)
        .fuse(oo, n, block)
        .gpu_blocks(xo, yo, block);
    return Halide::LoopLevel(out, xo);
}

// A stage's register tile at `at`: kWarpLanes output channels (its first
// dimension) across a warp's lanes, tile_x x tile_y pixels (the next two) in
// each lane's registers, unrolled.
inline void place_in_lane_registers(Halide::Func f, const Halide::LoopLevel &at, int tile_x, int tile_y) {
    Halide::Var o = f.args()[0], x = f.args()[1], y = f.args()[2];
    f.compute_at(at)
        .store_in(Halide::MemoryType::Register)
        .bound_extent(o, kWarpLanes)
        .bound_extent(x, tile_x)
        .bound_extent(y, tile_y)
        .gpu_lanes(o)
        .unroll(x)
        .unroll(y);
}

// One branch's accumulators in the lanes' registers at the warp's level `at`,
// the input window of each channel chunk staged in shared memory. The taps are
// unrolled where the kernel size is a constant; the tile's pixels always are
// (its extents are bound, so a tile past the image's edge computes into the
// padding, and one past the last channel into the zero-padded weights).
inline void schedule_warp_branch(Halide::Func acc, const Halide::RDom &r, Halide::Func input, const ConvGeometry &g,
                                 const Halide::LoopLevel &at, int tile_x, int tile_y, int chunk) {
    Halide::Var o = acc.args()[0], x = acc.args()[1], y = acc.args()[2];
    place_in_lane_registers(acc, at, tile_x, tile_y);
    Halide::RVar rco("rco"), rci("rci");
    Halide::Stage update = acc.update();
    update.split(r.z, rco, rci, chunk, Halide::TailStrategy::GuardWithIf)
        .reorder(o, x, y, r.x, r.y, rci, rco)
        .gpu_lanes(o)
        .unroll(x)
        .unroll(y);
    if (Halide::Internal::as_const_int(g.kernel_size)) update.unroll(r.x).unroll(r.y);

    Halide::Func window = input.in(acc);
    Halide::Var wx = window.args()[0], wy = window.args()[1], wc = window.args()[2], wxy("wxy"), i("i"), io("io"),
                lane("lane");
    window.compute_at(acc, rco)
        .store_in(Halide::MemoryType::GPUShared)
        .fuse(wx, wy, wxy)
        .fuse(wxy, wc, i)
        .split(i, io, lane, kWarpLanes, Halide::TailStrategy::GuardWithIf)
        .gpu_lanes(lane);
}

// Grouped layers: a lane's channels read their own group's inputs, so no window
// is shared. Each thread keeps a register tile of gpu_tile_x columns of one output
// channel, in blocks of gpu_threads_x x gpu_threads_y threads: these knobs, and
// the output (x, y, o, n) tiled so, returning each thread's level.
inline KnobSpace &declare_thread_tile_knobs(KnobSpace &space) {
    return space.knob("gpu_threads_x", "thread block columns (threads)", 16, {8, 16, 32})
        .knob("gpu_threads_y", "thread block rows", 8, {1, 2, 4, 8, 16})
        .knob("gpu_tile_x", "output columns per thread (register tile)", 2, {1, 2, 4})
        .rule("32 <= gpu_threads_x * gpu_threads_y <= 1024 (a warp, and CUDA's block limit)",
              [](const KnobValues &k) {
                  const int threads = k.at("gpu_threads_x") * k.at("gpu_threads_y");
                  return threads >= 32 && threads <= 1024;
              });
}

inline Halide::LoopLevel tile_output_in_threads(Halide::Func out, const KnobValues &k) {
    using Halide::TailStrategy;
    Halide::Var x = out.args()[0], y = out.args()[1], o = out.args()[2];
    Halide::Var xo("xo"), xi("xi"), bx("bx"), by("by"), bo("bo"), tx("tx"), ty("ty"), to("to");
    out.split(x, xo, xi, k.at("gpu_tile_x"), TailStrategy::GuardWithIf)
        .reorder(xi, xo, y, o)
        .unroll(xi)
        .gpu_tile(xo, y, o, bx, by, bo, tx, ty, to, k.at("gpu_threads_x"), k.at("gpu_threads_y"), 1,
                  TailStrategy::GuardWithIf);
    return Halide::LoopLevel(out, tx);
}

// One accumulator (o, x, ...) of a thread's register tile at `at`: one channel
// (one past the last would read an input channel past the last), gpu_tile_x columns.
inline void schedule_thread_accumulator(Halide::Func acc, const Halide::RDom &r, const Halide::LoopLevel &at,
                                        const KnobValues &k) {
    Halide::Var ao = acc.args()[0], ax = acc.args()[1];
    acc.compute_at(at)
        .store_in(Halide::MemoryType::Register)
        .bound_extent(ao, 1)
        .bound_extent(ax, k.at("gpu_tile_x"))
        .unroll(ax);
    acc.update().reorder(ao, ax, r.z, r.x, r.y).unroll(ax);
}

}  // namespace convforge
