// x86 conv schedule. Knobs: vector width from the target (8 on AVX2, 16 on
// AVX-512, 4 on SSE4.1); register tile channel_vectors x tile_x x tile_y.
// Measured: see docs/performance.md (AMD EPYC Zen3, AVX2+FMA, 2 threads).
#include "../cpu_conv_schedule.h"

namespace convforge {

void schedule_conv_x86(const ConvStages &s, const ConvKnobs &k) {
    schedule_conv_cpu(s, k);
}

}  // namespace convforge
