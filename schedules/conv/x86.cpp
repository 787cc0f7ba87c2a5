// x86 conv knobs: the CPU loop nest (cpu.cpp) with x86 fallbacks; the schedule is cpu.cpp's.
// Measured: Zen 4 (family 25 model 17), 2 threads, batch 8: the tuned records 0.78-0.97x the fallbacks' time (history: docs/notes/schedule_measurements.md).
#include "cpu.h"

namespace convforge {

// The fallback values (used where the schedule database has no record). The
// loop nest keeps channel_vectors * tile_x * tile_y accumulators in registers:
// 16 vector registers on AVX2 and SSE4.1 (2 x 3 x 2: 12 + 2 weights + 1 broadcast),
// 32 on AVX-512 (2 x 7 x 2: 28 + 2 + 1). Seven columns divide the widths of the
// common feature maps (56, 28, 14, 7), so no edge tile computes wasted columns
// (a 4-wide tile wastes 12 % of a 14-wide map). A 2-D pixel tile lets the unrolled
// broadcasts use fixed offsets; a 1 x 5 row made LLVM vectorize the address math.
// Depthwise runs 4 vectors per row and pointwise 4 channels x 4 vectors on
// AVX-512: the best on Zen 4 at batch 1 and 8 (docs/tuning.md), as 4 vectors were
// for depthwise on Zen 3. On AVX-512 the dense reduction runs in chunks of 32
// input channels over bands of 8 register-tile rows: on a Sapphire Rapids class
// Xeon (2 threads, batch 8) that took about 0.67x the unchunked time at 256 ->
// 256 14x14 and 0.86x at 128 -> 128 56x56 s2 (docs/tuning.md); unmeasured on
// Zen 4 and Zen 5. AVX2 keeps one pass: on Zen 1 (2 threads, batch 8) the
// tuner's chunked candidates were 1-5 % slower at the benchmark shapes.
KnobSpace conv_knob_space_x86(const TargetFacts &facts, ConvPath path) {
    const bool avx512 = facts.vector_registers == 32;
    return cpu_conv_knob_space(facts, path,
                               {{"channel_vectors", 2}, {"tile_x", avx512 ? 7 : 3}, {"tile_y", 2},
                                {"input_channel_chunk", avx512 ? 32 : 0}, {"task_tile_rows", avx512 ? 8 : 0}, {"image_at_a_time", 0},
                                {"grouped_vectors", 4},
                                {"pointwise_channels", avx512 ? 4 : 8}, {"pointwise_vectors", avx512 ? 4 : 1}});
}

}  // namespace convforge
