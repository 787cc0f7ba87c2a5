// x86 conv schedule: the shared CPU loop nest (conv/cpu.cpp) with x86 knobs.
// Measured: AMD EPYC Zen 3 (AVX2+FMA), 2 threads, dense 2x3x2 tile: 0.75-0.87x oneDNN's time at batch 8 (docs/performance.md).
#include "../conv/cpu.h"

namespace convforge {

// The fallback values (used where the schedule database has no record). The
// loop nest keeps channel_vectors * tile_x * tile_y accumulators in registers:
// 16 vector registers on AVX2 and SSE4.1, 32 on AVX-512, so AVX-512 takes a
// larger pixel tile. A 2-D pixel tile (x and y) lets the unrolled broadcasts use
// fixed offsets; a 1 x 5 row made LLVM vectorize the address math.
KnobSpace conv_knob_space_x86(const TargetFacts &facts, ConvPath path) {
    const bool avx512 = facts.vector_registers == 32;
    return cpu_conv_knob_space(facts, path,
                               {{"channel_vectors", 2}, {"tile_x", avx512 ? 4 : 3}, {"tile_y", avx512 ? 3 : 2},
                                {"grouped_vectors", 2}, {"pointwise_channels", 8}, {"pointwise_vectors", avx512 ? 2 : 1}});
}

void schedule_conv_x86(const ConvStages &s, const KnobValues &k, const TargetFacts &facts) { schedule_conv_cpu(s, k, facts); }

}  // namespace convforge
