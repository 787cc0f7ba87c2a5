// CUDA SPConv schedule (hand-written: Halide 14's autoschedulers emit CPU-only
// schedules), in the style of apps/conv_layer as SAConv's dense path: a thread
// block is one warp, its 32 lanes 32 output channels, each lane a register tile
// of gpu_tile_x x gpu_tile_y pixels of both branches' one accumulator. The 3x3
// branch stages its input window of each chunk of gpu_channel_chunk channels in
// shared memory; the pointwise updates read P(x) from global memory. The small stages
// are one GPU pass each.
// Measured: not yet (no GPU lent to this project so far); compiled in every build.
#include "stages.h"
#include "../cuda_tiles.h"

namespace convforge {

using namespace Halide;

KnobSpace spconv_knob_space_cuda(const TargetFacts &, ConvPath) {
    KnobSpace space;
    space.knob("gpu_tile_x", "output columns per lane (register tile)", 4, {1, 2, 3, 4, 5, 7})
        .knob("gpu_tile_y", "output rows per lane (register tile)", 4, {1, 2, 3, 4, 5, 7})
        .knob("gpu_channel_chunk", "input channels of the 3x3 branch staged in shared memory at a time", 8, {4, 8, 16})
        .rule("gpu_tile_x x gpu_tile_y accumulators <= 32 registers of a lane's 255",
              [](const KnobValues &k) { return k.at("gpu_tile_x") * k.at("gpu_tile_y") <= 32; });
    return space;
}

void schedule_spconv_cuda(const SpconvStages &s, const KnobValues &k, const TargetFacts &) {
    const int tile_x = k.at("gpu_tile_x"), tile_y = k.at("gpu_tile_y"), chunk = k.at("gpu_channel_chunk");
    const LoopLevel warp = tile_output_in_warps(s.output, tile_x, tile_y);
    schedule_warp_branch(s.acc_representative, s.r_grouped, s.padded, s.geometry, warp, tile_x, tile_y, chunk);
    Func acc = s.acc_representative;
    Var ao = acc.args()[0], ax = acc.args()[1], ay = acc.args()[2];
    acc.update(1).reorder(ao, ax, ay, s.r_representative.z);
    acc.update(3).reorder(ao, ax, ay, s.r_uncertain.z);
    for (int u : {1, 2, 3}) acc.update(u).gpu_lanes(ao).unroll(ax).unroll(ay);
    // Where the stride is known to be 1, P(x) is the padded copy itself; otherwise one pass builds it.
    const int64_t *stride = Internal::as_const_int(s.geometry.stride);
    if (!stride || *stride != 1) gpu_image_stage(s.pooled, 32, 8);
    for (Func f : {s.column_sums, s.padded}) gpu_image_stage(f, 32, 8);
    for (Func f : {s.mean, s.tap_sums, s.branch_means, s.mix}) gpu_vector_stage(f);
}

}  // namespace convforge
