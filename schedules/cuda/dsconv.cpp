// CUDA DSConv (integer mode) schedule, a first one: a thread per output pixel and
// channel (gpu_tile over x, y and o), its int32 block sums and float accumulator
// in registers; the pixel stages one GPU pass per definition. Not yet in the style of
// apps/conv_layer (warp tiles, staged inputs, dp4a needs cuda_capability_61).
// Measured: not yet (no GPU lent to this project so far); compiled in every build.
#include "../dsconv/stages.h"

namespace convforge {

using namespace Halide;

KnobSpace dsconv_knob_space_cuda(const TargetFacts &) {
    KnobSpace space;
    space.knob("gpu_threads_x", "output columns per thread block", 8, {4, 8, 16})
        .knob("gpu_threads_y", "output rows per thread block", 8, {4, 8, 16});
    return space;
}

namespace {

// `stage_loops`: each definition's loops, innermost first, the last two the
// pixel columns and rows the threads take.
void schedule_pixel_stage_cuda(Func f, const std::vector<std::vector<VarOrRVar>> &stage_loops) {
    f.compute_root();
    Var b("b"), bo("bo"), bi("bi");
    // An update's pixel loops are RVars, and so must their splits be.
    auto split_of = [](const VarOrRVar &loop, const std::string &name) {
        return loop.is_rvar ? VarOrRVar(RVar(name)) : VarOrRVar(Var(name));
    };
    for (int u = -1; u < f.num_update_definitions(); ++u) {
        Stage stage = u < 0 ? Stage(f) : f.update(u);
        const std::vector<VarOrRVar> &loops = stage_loops.at(size_t(u + 1));
        const VarOrRVar &x = loops[loops.size() - 2], &y = loops.back();
        stage.reorder(loops).gpu_tile(x, y, b, split_of(x, "xo"), split_of(y, "yo"), bo, split_of(x, "xi"),
                                      split_of(y, "yi"), bi, 16, 8, 1, TailStrategy::GuardWithIf);
    }
}

}  // namespace

void schedule_dsconv_cuda(const DsconvStages &s, const KnobValues &k, const TargetFacts &) {
    const int tx = k.at("gpu_threads_x"), ty = k.at("gpu_threads_y");
    Func out = s.output;
    Var x = out.args()[0], y = out.args()[1], o = out.args()[2];
    Var xo("xo"), yo("yo"), oo("oo"), xi("xi"), yi("yi"), oi("oi");
    out.gpu_tile(x, y, o, xo, yo, oo, xi, yi, oi, tx, ty, 1, TailStrategy::GuardWithIf);
    Func acc = s.acc, dot = s.dot;
    acc.compute_at(out, xi);
    dot.compute_at(acc, s.taps_r.x);
    // Each pixel stage a GPU pass per definition: 16 x 8 pixels of one block a
    // thread block, the channels (and the mantissas' lanes) a loop in each thread.
    Var px("x"), py("y"), lane("lane"), q("q");
    const RDom &image = s.image, &image_block = s.image_block;
    schedule_pixel_stage_cuda(s.block_max, {{px, py}, {s.in_block, px, py}});
    schedule_pixel_stage_cuda(s.scale, {{px, py}, {image.x, image.y}});
    schedule_pixel_stage_cuda(s.scaled_sums, {{px, py}, {image_block.z, image_block.x, image_block.y}, {image.x, image.y}});
    schedule_pixel_stage_cuda(s.mantissas, {{lane, q, px, py}, {lane, q, image.x, image.y}});
}

}  // namespace convforge
