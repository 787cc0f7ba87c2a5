// x86 DSConv (integer mode) knobs: the CPU nest (cpu.cpp) with x86 fallbacks.
// AVX-512: one vector of 16 output channels x 7 x 2 pixels (14 int32 and 14 float
// accumulators of 32 registers), what `convforge tune` chose at three of the four
// benchmark shapes (1.01-1.05x faster than 2 vectors x 3 x 2); the pixel passes for
// the whole batch (one image at a time was no faster on Zen 4); AVX2 and SSE4.1 (16 registers):
// one vector x 3 x 1.
// Measured: AMD EPYC Zen 4 (family 25 model 17, AVX-512 VNNI), 2 threads, batch 8, tuned records: 0.41-0.45x the time of convforge's fp32 conv, 4.6-8.9x faster than the PyTorch module (history: docs/notes/schedule_measurements.md).
#include "stages.h"

namespace convforge {

KnobSpace dsconv_knob_space_x86(const TargetFacts &facts, ConvPath) {
    const bool avx512 = facts.vector_registers == 32;
    return dsconv_cpu_knob_space(facts, {{"channel_vectors", 1}, {"tile_x", avx512 ? 7 : 3}, {"tile_y", avx512 ? 2 : 1},
                                         {"image_at_a_time", 0}});
}

}  // namespace convforge
