// x86 conv schedule: the shared CPU schedule with x86 knobs (vector width 8 on AVX2,
// 16 on AVX-512, 4 on SSE4.1; register tile channel_vectors x tile_x x tile_y).
// Measured: AMD EPYC Zen 3 (AVX2+FMA), 2 threads, dense 2x3x2 tile: 0.75-0.87x oneDNN's time at batch 8 (docs/performance.md).
#include "../conv_cpu.h"

namespace convforge {

void schedule_conv_x86(const ConvStages &s, const ConvKnobs &k) {
    schedule_conv_cpu(s, k);
}

}  // namespace convforge
