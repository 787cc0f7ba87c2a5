// CUDA DSConv (integer mode) schedule: warp tiles (cuda_tiles.h, in the style of
// apps/conv_layer): a warp's lanes are 32 output channels, each lane a register tile
// of gpu_tile_x x gpu_tile_y pixels with an int32 sum per (block, tap) and a float
// accumulator; the sums are dp4a (4 i8 x i8 products a step; the CUDA target's
// capability 7.0 is past the 6.1 dp4a needs). The pixel stages are one GPU pass per
// definition.
// Measured: not yet (no GPU lent to this project so far); compiled in every build.
#include "stages.h"
#include "../cuda_tiles.h"

namespace convforge {

using namespace Halide;

KnobSpace dsconv_knob_space_cuda(const TargetFacts &, ConvPath) {
    KnobSpace space;
    space.knob("gpu_tile_x", "output columns per lane (register tile)", 4, {1, 2, 4, 8})
        .knob("gpu_tile_y", "output rows per lane (register tile)", 2, {1, 2, 4})
        .rule("gpu_tile_x * gpu_tile_y <= 16 (two registers an output: the int32 sum and the float accumulator)",
              [](const KnobValues &k) { return k.at("gpu_tile_x") * k.at("gpu_tile_y") <= 16; });
    return space;
}

namespace {

// `stage_loops`: each definition's loops, innermost first, the last two the
// pixel columns and rows the threads take.
void schedule_pixel_stage_cuda(Func f, const std::vector<std::vector<VarOrRVar>> &stage_loops) {
    f.compute_root();
    Var b("b"), bo("bo"), bi("bi");
    // An update's pixel loops are RVars, and so must their splits be.
    auto split_like = [](const VarOrRVar &loop, const std::string &name) {
        return loop.is_rvar ? VarOrRVar(RVar(name)) : VarOrRVar(Var(name));
    };
    for (int u = -1; u < f.num_update_definitions(); ++u) {
        Stage stage = u < 0 ? Stage(f) : f.update(u);
        const std::vector<VarOrRVar> &loops = stage_loops.at(size_t(u + 1));
        const VarOrRVar &x = loops[loops.size() - 2], &y = loops.back();
        stage.reorder(loops).gpu_tile(x, y, b, split_like(x, "xo"), split_like(y, "yo"), bo, split_like(x, "xi"),
                                      split_like(y, "yi"), bi, 16, 8, 1, TailStrategy::GuardWithIf);
    }
}

}  // namespace

void schedule_dsconv_cuda(const DsconvStages &s, const KnobValues &k, const TargetFacts &) {
    const int tile_x = k.at("gpu_tile_x"), tile_y = k.at("gpu_tile_y");
    const LoopLevel warp = tile_output_in_warps(s.output, tile_x, tile_y);
    Func acc = s.acc;
    Var ao = acc.args()[0], ax = acc.args()[1], ay = acc.args()[2];
    place_in_lane_registers(acc, warp, tile_x, tile_y);
    acc.update().reorder(ao, ax, ay, s.taps_r.x, s.taps_r.y, s.taps_r.z).gpu_lanes(ao).unroll(ax).unroll(ay);
    Func dot = s.dot;
    Var d_o = dot.args()[0], dx = dot.args()[1], dy = dot.args()[2];
    place_in_lane_registers(dot, LoopLevel(acc, s.taps_r.x), tile_x, tile_y);
    // Four channels a step innermost: the pattern Halide turns into dp4a.
    dot.update()
        .reorder(s.dot_r.x, d_o, dx, dy, s.dot_r.y)
        .atomic()
        .vectorize(s.dot_r.x)
        .gpu_lanes(d_o)
        .unroll(dx)
        .unroll(dy);
    // Each pixel stage a GPU pass per definition: 16 x 8 pixels of one block a
    // thread block, the channels (and the mantissas' lanes) a loop in each thread.
    Var px("x"), py("y"), lane("lane"), q("q");
    const RDom &image = s.image;
    schedule_pixel_stage_cuda(s.block_max, {{px, py}, {s.in_block, px, py}});
    schedule_pixel_stage_cuda(s.scale, {{px, py}, {image.x, image.y}});
    schedule_pixel_stage_cuda(s.scaled_sums, {{px, py}});
    Func(s.mantissa_sums).compute_at(s.scaled_sums, Var("xi"));
    schedule_pixel_stage_cuda(s.mantissas, {{lane, q, px, py}, {lane, q, image.x, image.y}});
}

namespace {

// One thread per packed weight: a tile's lanes across a block's threads, 8 channels deep.
void place_effective_kernel_cuda(Func kernel) {
    Var lane = kernel.args()[0], c = kernel.args()[1], kx = kernel.args()[2], ky = kernel.args()[3],
        tile = kernel.args()[4], taps("taps"), rest("rest"), co("co"), ci("ci"), lo("lo"), li("li"), ro("ro"), ri("ri");
    kernel.compute_root()
        .fuse(kx, ky, taps)
        .fuse(taps, tile, rest)
        .gpu_tile(lane, c, rest, lo, co, ro, li, ci, ri, kPackedChannelTile, 8, 1, TailStrategy::GuardWithIf);
}

}  // namespace

KernelChunkLevel schedule_dsconv_exact_cuda(const DsconvExactStages &s, const KnobValues &k, const TargetFacts &facts) {
    const KernelChunkLevel chunks = schedule_conv_cuda(s.conv, k, facts);
    place_effective_kernel_cuda(s.kernel);
    return chunks;
}

}  // namespace convforge
