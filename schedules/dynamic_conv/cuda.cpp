// The CUDA schedule of the dynamic convolutions (hand-written: Halide 14's
// autoschedulers emit CPU-only schedules). Every image's kernel is mixed first, in one pass with a thread per
// weight of the whole batch's kernels (E multiply-adds each); then the conv reads
// them. Dense path, in the style of apps/conv_layer: a thread block is one warp,
// its 32 lanes 32 output channels of one image, each lane a register tile of
// gpu_tile_x x gpu_tile_y pixels, the input window of each chunk of
// gpu_channel_chunk channels staged in shared memory. Grouped path: each thread a
// register tile of gpu_tile_x columns of one channel. The attention stages are one
// GPU pass each.
// Measured: not yet (no GPU lent to this project so far); compiled in every build.
#include "stages.h"
#include "../cuda_tiles.h"

namespace convforge {

using namespace Halide;

KnobSpace dynamic_conv_knob_space_cuda(const TargetFacts &, ConvPath path) {
    KnobSpace space;
    if (path != ConvPath::Dense) return declare_thread_tile_knobs(space);
    return space.knob("gpu_tile_x", "output columns per lane (register tile)", 4, {1, 2, 3, 4, 5, 7})
        .knob("gpu_tile_y", "output rows per lane (register tile)", 4, {1, 2, 3, 4, 5, 7})
        .knob("gpu_channel_chunk", "input channels staged in shared memory at a time", 8, {4, 8, 16})
        .rule("gpu_tile_x x gpu_tile_y accumulators <= 32 registers of a lane's 255",
              [](const KnobValues &k) { return k.at("gpu_tile_x") * k.at("gpu_tile_y") <= 32; });
}

void schedule_dynamic_conv_cuda(const DynamicConvStages &s, const KnobValues &k, const TargetFacts &) {
    if (s.conv.path == ConvPath::Dense) {
        const int tile_x = k.at("gpu_tile_x"), tile_y = k.at("gpu_tile_y"), chunk = k.at("gpu_channel_chunk");
        const LoopLevel warp = tile_output_in_warps(s.conv.output, tile_x, tile_y);
        schedule_warp_branch(s.conv.acc, s.conv.r, s.conv.padded, s.conv.geometry, warp, tile_x, tile_y, chunk);
    } else {
        schedule_thread_accumulator(s.conv.acc, s.conv.r, tile_output_in_threads(s.conv.output, k), k);
    }
    {
        // A thread per weight of every image's kernel, output channels fastest
        // (coalesced reads of each expert's packed tiles).
        Func w = s.sample_weights;
        Var o = w.args()[0], c = w.args()[1], kx = w.args()[2], ky = w.args()[3], n = w.args()[4];
        Var oc("oc"), ock("ock"), taps("taps"), all("all"), block("block"), thread("thread");
        for (Stage stage : {Stage(w), w.update()})
            stage.fuse(o, c, oc).fuse(oc, kx, ock).fuse(ock, ky, taps).fuse(taps, n, all).gpu_tile(
                all, block, thread, 128, TailStrategy::GuardWithIf);
        w.compute_root();
    }
    gpu_vector_stage(s.gap.mean);
    for (Func f : s.attention) gpu_vector_stage(f);
    for (Func f : {s.gap.column_sums, s.conv.padded}) gpu_image_stage(f, 32, 8);
}

}  // namespace convforge
