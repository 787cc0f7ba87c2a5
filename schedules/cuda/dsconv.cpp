// CUDA DSConv (integer mode) schedule, a first one: a thread per output pixel and
// channel (gpu_tile over x, y and o), its int32 block sums and float accumulator
// in registers; the pixel stages one GPU pass each. Not yet in the style of
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

void schedule_dsconv_cuda(const DsconvStages &s, const KnobValues &k, const TargetFacts &) {
    const int tx = k.at("gpu_threads_x"), ty = k.at("gpu_threads_y");
    Func out = s.output;
    Var x = out.args()[0], y = out.args()[1], o = out.args()[2];
    Var xo("xo"), yo("yo"), oo("oo"), xi("xi"), yi("yi"), oi("oi");
    out.gpu_tile(x, y, o, xo, yo, oo, xi, yi, oi, tx, ty, 1, TailStrategy::GuardWithIf);
    Func acc = s.acc, dot = s.dot;
    acc.compute_at(out, xi);
    dot.compute_at(acc, s.taps_r.x);
    for (Func f : {s.block_max, s.mantissa_sums, s.scale}) {
        f.compute_root();
        for (int u = -1; u < f.num_update_definitions(); ++u) {
            Stage stage = u < 0 ? Stage(f) : f.update(u);
            Var fx = f.args()[0], fy = f.args()[1], fb = f.args()[2], bxo("bxo"), byo("byo"), bbo("bbo"), bxi("bxi"),
                byi("byi"), bbi("bbi");
            stage.gpu_tile(fx, fy, fb, bxo, byo, bbo, bxi, byi, bbi, 16, 8, 1, TailStrategy::GuardWithIf);
        }
    }
    Func m = s.mantissas;
    Var mc = m.args()[0], mx = m.args()[1], my = m.args()[2], mco("mco"), mxo("mxo"), myo("myo"), mci("mci"),
        mxi("mxi"), myi("myi");
    m.compute_root().gpu_tile(mc, mx, my, mco, mxo, myo, mci, mxi, myi, 32, 4, 1, TailStrategy::GuardWithIf);
}

}  // namespace convforge
