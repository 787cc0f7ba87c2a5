// CUDA conv schedule (hand-written: Halide 14's autoschedulers emit CPU-only
// schedules). One thread per output pixel and channel, thread block
// gpu_threads_x x gpu_threads_y x gpu_channels, the reduction in registers.
// Measured: not yet (no GPU lent to this project so far); compiled in every build.
#include "stages.h"

namespace convforge {

using namespace Halide;

// The thread block: gpu_threads_x x gpu_threads_y pixels x gpu_channels output
// channels. The fallback 16 x 4 x 4 = 256 threads is untuned.
KnobSpace conv_knob_space_cuda(const TargetFacts &, ConvPath) {
    KnobSpace space;
    space.knob("gpu_threads_x", "thread block columns", 16, {8, 16, 32, 64})
        .knob("gpu_threads_y", "thread block rows", 4, {1, 2, 4, 8, 16})
        .knob("gpu_channels", "output channels per thread block", 4, {1, 2, 4, 8, 16})
        .rule("32 <= gpu_threads_x * gpu_threads_y * gpu_channels <= 1024 (a warp, and CUDA's block limit)",
              [](const KnobValues &k) {
                  const int threads = k.at("gpu_threads_x") * k.at("gpu_threads_y") * k.at("gpu_channels");
                  return threads >= 32 && threads <= 1024;
              });
    return space;
}

KernelChunkLevel schedule_conv_cuda(const ConvStages &s, const KnobValues &k, const TargetFacts &) {
    const int threads_x = k.at("gpu_threads_x"), threads_y = k.at("gpu_threads_y"), channels = k.at("gpu_channels");
    Func out = s.output, acc = s.acc, padded = s.padded;
    Var x = out.args()[0], y = out.args()[1], o = out.args()[2];
    Var xo("xo"), yo("yo"), oo("oo"), xi("xi"), yi("yi"), oi("oi");
    out.gpu_tile(x, y, o, xo, yo, oo, xi, yi, oi, threads_x, threads_y, channels,
                 TailStrategy::GuardWithIf);
    acc.compute_at(out, xi);

    Var px = padded.args()[0], py = padded.args()[1], pc = padded.args()[2];
    Var pxo("pxo"), pyo("pyo"), pxi("pxi"), pyi("pyi");
    padded.compute_root()
        .gpu_tile(px, py, pxo, pyo, pxi, pyi, threads_x, threads_y * channels, TailStrategy::GuardWithIf)
        .gpu_blocks(pc);
    return {};
}

}  // namespace convforge
