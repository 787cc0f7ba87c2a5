// AArch64 NEON conv schedule: 4-lane vectors and 32 registers, so the default
// register tile is 4 channel vectors x 5 columns (20 accumulators).
// Measured: correctness only, under qemu-aarch64 (no ARM hardware available yet).
#include "../cpu_conv_schedule.h"

namespace convforge {

void schedule_conv_arm(const ConvStages &s, const ConvKnobs &k) {
    schedule_conv_cpu(s, k);
}

}  // namespace convforge
