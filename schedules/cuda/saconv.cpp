// CUDA SAConv schedule (hand-written: Halide 14's autoschedulers emit CPU-only
// schedules). The conv pass gives each thread a register tile of gpu_tile_channels
// output channels x gpu_tile_x columns for both branches (computed one after the
// other, so the tile's input is in L1 for the second); a block is gpu_threads_x x
// gpu_threads_y such threads. The small stages are one GPU pass each.
// Not yet: staging the input in shared memory per reduction chunk (apps/conv_layer
// stages it per warp); reads go through L1.
// Measured: not yet (no GPU lent to this project so far); compiled in every build.
#include "../saconv/stages.h"

namespace convforge {

using namespace Halide;

KnobSpace saconv_knob_space_cuda(const TargetFacts &, ConvPath) {
    KnobSpace space;
    space.knob("gpu_threads_x", "thread block columns (threads)", 16, {8, 16, 32})
        .knob("gpu_threads_y", "thread block rows", 8, {1, 2, 4, 8, 16})
        .knob("gpu_tile_channels", "output channels per thread (register tile)", 4, {1, 2, 4, 8})
        .knob("gpu_tile_x", "output columns per thread (register tile)", 2, {1, 2, 4})
        .rule("32 <= gpu_threads_x * gpu_threads_y <= 1024 (a warp, and CUDA's block limit)",
              [](const KnobValues &k) {
                  const int threads = k.at("gpu_threads_x") * k.at("gpu_threads_y");
                  return threads >= 32 && threads <= 1024;
              })
        .rule("2 branches x gpu_tile_channels x gpu_tile_x accumulators <= 64 registers of a thread's 255",
              [](const KnobValues &k) { return 2 * k.at("gpu_tile_channels") * k.at("gpu_tile_x") <= 64; });
    return space;
}

namespace {

// A compute_root stage over (x, y, rest...) as 2-D thread blocks, or one thread
// per element of a small vector stage; its update definitions alike (each
// thread runs its point's reduction).
void gpu_image_stage(Func f, int threads_x, int threads_y) {
    Var x = f.args()[0], y = f.args()[1], xo("xo"), yo("yo"), xi("xi"), yi("yi");
    f.compute_root().gpu_tile(x, y, xo, yo, xi, yi, threads_x, threads_y, TailStrategy::GuardWithIf);
    for (int u = 0; u < f.num_update_definitions(); ++u)
        f.update(u).gpu_tile(x, y, xo, yo, xi, yi, threads_x, threads_y, TailStrategy::GuardWithIf);
}

void gpu_vector_stage(Func f) {
    Var v = f.args()[0], vo("vo"), vi("vi");
    f.compute_root().gpu_tile(v, vo, vi, 64, TailStrategy::GuardWithIf);
    for (int u = 0; u < f.num_update_definitions(); ++u) f.update(u).gpu_tile(v, vo, vi, 64, TailStrategy::GuardWithIf);
}

}  // namespace

void schedule_saconv_cuda(const SaconvStages &s, const KnobValues &k, const TargetFacts &) {
    const int threads_x = k.at("gpu_threads_x"), threads_y = k.at("gpu_threads_y");
    // A grouped layer's channel past the last would read an input channel past
    // the last: its register tiles hold one channel (dense tiles run into the
    // zero-padded weights instead, reading real input channels).
    const int tile_o = s.conv.path == ConvPath::Grouped ? 1 : k.at("gpu_tile_channels"), tile_x = k.at("gpu_tile_x");
    Func out = s.conv.output;
    Var x = out.args()[0], y = out.args()[1], o = out.args()[2];
    Var xo("xo"), xi("xi"), oo("oo"), oi("oi"), bx("bx"), by("by"), bo("bo"), tx("tx"), ty("ty"), to("to");
    out.split(o, oo, oi, tile_o, TailStrategy::GuardWithIf)
        .split(x, xo, xi, tile_x, TailStrategy::GuardWithIf)
        .reorder(oi, xi, xo, y, oo)
        .unroll(oi)
        .unroll(xi)
        .gpu_tile(xo, y, oo, bx, by, bo, tx, ty, to, threads_x, threads_y, 1, TailStrategy::GuardWithIf);
    for (Func f : {s.small_blend, s.blend}) f.compute_at(out, tx).store_in(MemoryType::Register);
    for (const auto &[acc, r] : {std::pair<Func, RDom>{s.conv.acc, s.conv.r}, {s.acc_large, s.r_large}}) {
        Func a = acc;
        Var ao = a.args()[0], ax = a.args()[1];
        a.compute_at(out, tx)
            .store_in(MemoryType::Register)
            .bound_extent(ao, tile_o)
            .bound_extent(ax, tile_x)
            .unroll(ao)
            .unroll(ax);
        a.update().reorder(ao, ax, r.z, r.x, r.y).unroll(ao).unroll(ax);
    }
    // The small stages: vectors one thread per element of their first dimension
    // (the tap sums: per channel, each thread walking every output pixel; the
    // other dimensions are host loops of launches), images in 32 x 8 blocks.
    for (Func f : {s.tap_sums, s.gap_x.mean, s.pre_context, s.blended_sum, s.post_context, s.output_shift}) gpu_vector_stage(f);
    for (Func f : {s.gap_x.column_sums, s.switch_input, s.switch_padded, s.switch_map, s.conv.padded}) gpu_image_stage(f, 32, 8);
    Func offset = s.switch_offset;
    offset.compute_root().gpu_single_thread();
    offset.update().gpu_single_thread();
}

}  // namespace convforge
