// CUDA SPConv schedule (hand-written: Halide 14's autoschedulers emit CPU-only
// schedules), in the style of apps/conv_layer as SAConv's dense path: a thread
// block is one warp, its 32 lanes 32 output channels, each lane a register tile
// of gpu_tile_x x gpu_tile_y pixels. The 3x3 branch stages its input window of
// each chunk of gpu_channel_chunk channels in shared memory; its pointwise
// update and the uncertain branch read P(x) from global memory. The small stages
// are one GPU pass each.
// Measured: not yet (no GPU lent to this project so far); compiled in every build.
#include "../spconv/stages.h"
#include "warp_tiles.h"

namespace convforge {

using namespace Halide;

KnobSpace spconv_knob_space_cuda(const TargetFacts &) {
    KnobSpace space;
    space.knob("gpu_tile_x", "output columns per lane (register tile)", 4, {1, 2, 3, 4, 5, 7})
        .knob("gpu_tile_y", "output rows per lane (register tile)", 4, {1, 2, 3, 4, 5, 7})
        .knob("gpu_channel_chunk", "input channels of the 3x3 branch staged in shared memory at a time", 8, {4, 8, 16})
        .rule("2 branches x gpu_tile_x x gpu_tile_y accumulators <= 64 registers of a lane's 255",
              [](const KnobValues &k) { return 2 * k.at("gpu_tile_x") * k.at("gpu_tile_y") <= 64; });
    return space;
}

void schedule_spconv_cuda(const SpconvStages &s, const KnobValues &k, const TargetFacts &) {
    const int tile_x = k.at("gpu_tile_x"), tile_y = k.at("gpu_tile_y"), chunk = k.at("gpu_channel_chunk");
    const LoopLevel warp = tile_output_in_warps(s.output, tile_x, tile_y);
    schedule_warp_branch(s.acc_representative, s.r_grouped, s.padded, s.geometry, warp, tile_x, tile_y, chunk);
    Func representative = s.acc_representative, uncertain = s.acc_uncertain;
    {
        Var ro = representative.args()[0], rx = representative.args()[1], ry = representative.args()[2];
        representative.update(1).reorder(ro, rx, ry, s.r_representative.z).gpu_lanes(ro).unroll(rx).unroll(ry);
    }
    {
        Var uo = uncertain.args()[0], ux = uncertain.args()[1], uy = uncertain.args()[2];
        uncertain.compute_at(warp)
            .store_in(MemoryType::Register)
            .bound_extent(uo, kWarpLanes)
            .bound_extent(ux, tile_x)
            .bound_extent(uy, tile_y)
            .gpu_lanes(uo)
            .unroll(ux)
            .unroll(uy);
        uncertain.update().reorder(uo, ux, uy, s.r_uncertain.z).gpu_lanes(uo).unroll(ux).unroll(uy);
    }
    // At stride 1, P(x) is the padded copy itself; at stride 2 one pass builds it.
    const int64_t *stride = Internal::as_const_int(s.geometry.stride);
    if (!stride || *stride != 1) gpu_image_stage(s.pooled, 32, 8);
    for (Func f : {s.gap_x.column_sums, s.padded}) gpu_image_stage(f, 32, 8);
    for (Func f : {s.gap_x.mean, s.tap_sums, s.branch_means, s.mix}) gpu_vector_stage(f);
}

}  // namespace convforge
