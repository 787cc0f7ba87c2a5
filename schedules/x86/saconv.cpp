// x86 SAConv schedule: the shared CPU SAConv loop nest (saconv/cpu.cpp), whose two
// branches' register tiles are the conv's, with the conv's x86 knobs.
// Measured: AMD EPYC Zen 4 (family 25 model 17, AVX-512), 2 threads, batch 8: 2.02-2.18x the time of convforge's tuned conv at the four benchmark shapes, the tuned knobs within 1 % of the 2-pass 2x7x2 fallback at batch 8, up to 14 % faster at batch 1. Zen 2 (AVX2, family 23 model 49), 2 threads, batch 8, the 2-pass 2x3x2 fallback (the tuner's pick at all four shapes): 1.79-2.07x the conv, 1.41-2.91x faster than the PyTorch module over five runs (padding columns skipped per register tile in the last two). Zen 4 again (2026-12-04), b8 2t: the Winograd small branch 0.86x the direct one at 256->256 14x14 (tuned), no faster at 128->128 28x28 and 64->64 56x56; SAConv 1.76-1.94x the conv, 1.54-2.51x faster than the module. Next session, same CPU type: the Winograd weight transform without gathers and stride 2 retuned (unchunked; one image at a time now allowed, within 1 % of it): 1.71-2.17x the conv, 1.66-3.00x faster than the module. 2026-12-05, Zen 4, b8 2t, full harness runs: stride 2 one image at a time (0.92-0.94x the batch-wide nest), 1.69-2.13x the conv, 1.35-3.34x faster than the module; the AVX2 sub-target on the same CPU 1.93-2.09x the conv. Then Winograd tiles of 2 rows in registers (128->128 28x28 record 7x2): 1.72-2.05x the conv, 1.46-4.05x faster than the module in two runs.
#include "../conv/stages.h"
#include "../saconv/stages.h"

namespace convforge {

// Each branch's register tile is computed on its own (never both at once), so it
// keeps the register budget of one conv tile: the conv's space and fallbacks
// apply, with SAConv's own branch_passes (saconv/cpu.cpp).
KnobSpace saconv_knob_space_x86(const TargetFacts &facts, ConvPath path) {
    return saconv_cpu_knob_space(conv_knob_space_x86(facts, path), path, facts);
}

}  // namespace convforge
