// AArch64 NEON conv schedule: the shared CPU schedule with NEON knobs (4-lane
// vectors, 32 registers: 4 channel vectors = one 16-channel packed tile, 3x2 pixels).
// Measured: correctness only, under qemu-aarch64 on x86 (no ARM hardware yet); speed unmeasured.
#include "../conv_cpu.h"

namespace convforge {

void schedule_conv_arm(const ConvStages &s, const ConvKnobs &k) {
    schedule_conv_cpu(s, k);
}

}  // namespace convforge
