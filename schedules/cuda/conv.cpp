// CUDA conv schedule (hand-written: Halide 14's autoschedulers emit CPU-only
// schedules). One thread per output pixel and channel, thread block
// gpu_threads_x x gpu_threads_y x gpu_channels, the reduction in registers.
// Measured: not yet (no GPU lent to this project so far); compiled in every build.
#include "../conv/stages.h"

namespace convforge {

using namespace Halide;

// The thread block shape is ConvKnobs' (16 x 4 x 4 = 256 threads): untuned.
ConvKnobs default_conv_knobs_cuda(const TargetFacts &facts) {
    ConvKnobs k;
    k.vector_width = facts.vector_floats;
    return k;
}

void schedule_conv_cuda(const ConvStages &s, const ConvKnobs &k) {
    Func out = s.output, acc = s.acc, padded = s.padded;
    Var x = out.args()[0], y = out.args()[1], o = out.args()[2];
    Var xo("xo"), yo("yo"), oo("oo"), xi("xi"), yi("yi"), oi("oi");
    out.gpu_tile(x, y, o, xo, yo, oo, xi, yi, oi, k.gpu_threads_x, k.gpu_threads_y, k.gpu_channels,
                 TailStrategy::GuardWithIf);
    acc.compute_at(out, xi);

    Var px = padded.args()[0], py = padded.args()[1], pc = padded.args()[2];
    Var pxo("pxo"), pyo("pyo"), pxi("pxi"), pyi("pyi");
    padded.compute_root()
        .gpu_tile(px, py, pxo, pyo, pxi, pyi, k.gpu_threads_x, k.gpu_threads_y * k.gpu_channels, TailStrategy::GuardWithIf)
        .gpu_blocks(pc);
}

}  // namespace convforge
