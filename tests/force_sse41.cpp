// Makes the x86 multi-target kernels pick their SSE4.1 baseline, as on a CPU
// without AVX, so the fallback code path is tested on this AVX2 machine too.
#include <cstdint>

#include "HalideRuntime.h"

namespace {

int sse41_only(int count, const uint64_t *features) {
    const int avx = halide_target_feature_avx;
    const bool wants_avx = avx / 64 < count && (features[avx / 64] >> (avx % 64)) & 1;
    return wants_avx ? 0 : halide_default_can_use_target_features(count, features);
}

// Installed before main, so before any kernel's first call caches its choice.
const bool installed = (halide_set_custom_can_use_target_features(sse41_only), true);

}  // namespace
