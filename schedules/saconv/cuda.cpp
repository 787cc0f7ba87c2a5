// CUDA SAConv schedule (hand-written: Halide 14's autoschedulers emit CPU-only
// schedules). Dense path, in the style of apps/conv_layer: a thread block is one
// warp, its 32 lanes 32 output channels, each lane a register tile of
// gpu_tile_x x gpu_tile_y pixels of both branches; per chunk of
// gpu_channel_chunk input channels the warp stages the tile's input window of
// each branch in shared memory (all lanes load, every lane reads it all), so an
// input value is fetched from global memory once per block instead of once per
// lane and tap. Grouped path: a lane's channels read their own group's inputs,
// so no window is shared; each thread keeps a register tile of gpu_tile_x
// columns of one channel, blocks of gpu_threads_x x gpu_threads_y threads.
// The small stages are one GPU pass each.
// Measured: not yet (no GPU lent to this project so far); compiled in every build.
#include "stages.h"
#include "../cuda_tiles.h"

namespace convforge {

using namespace Halide;

KnobSpace saconv_knob_space_cuda(const TargetFacts &, ConvPath path) {
    KnobSpace space;
    if (path == ConvPath::Dense) {
        space.knob("gpu_tile_x", "output columns per lane (register tile)", 4, {1, 2, 3, 4, 5, 7})
            .knob("gpu_tile_y", "output rows per lane (register tile)", 4, {1, 2, 3, 4, 5, 7})
            .knob("gpu_channel_chunk", "input channels staged in shared memory at a time", 8, {4, 8, 16})
            .rule("2 branches x gpu_tile_x x gpu_tile_y accumulators <= 64 registers of a lane's 255",
                  [](const KnobValues &k) { return 2 * k.at("gpu_tile_x") * k.at("gpu_tile_y") <= 64; });
        return space;
    }
    return declare_thread_tile_knobs(space);
}

namespace {

void schedule_dense_warps(const SaconvStages &s, const KnobValues &k) {
    const int tile_x = k.at("gpu_tile_x"), tile_y = k.at("gpu_tile_y"), chunk = k.at("gpu_channel_chunk");
    const LoopLevel warp = tile_output_in_warps(s.conv.output, tile_x, tile_y);
    schedule_warp_branch(s.conv.acc, s.conv.r, s.padded_small, s.conv.geometry, warp, tile_x, tile_y, chunk);
    schedule_warp_branch(s.acc_large, s.r_large, s.conv.padded, s.conv.geometry, warp, tile_x, tile_y, chunk);
}

// Each thread's register tile computes both branches and their blend.
void schedule_grouped_threads(const SaconvStages &s, const KnobValues &k) {
    const LoopLevel thread = tile_output_in_threads(s.conv.output, k);
    for (Func f : {s.small_blend, s.blend}) f.compute_at(thread).store_in(MemoryType::Register);
    for (const SaconvBranch &branch : s.branches()) schedule_thread_accumulator(branch.acc, branch.r, thread, k);
}

}  // namespace

void schedule_saconv_cuda(const SaconvStages &s, const KnobValues &k, const TargetFacts &) {
    if (s.conv.path == ConvPath::Dense)
        schedule_dense_warps(s, k);
    else
        schedule_grouped_threads(s, k);
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
