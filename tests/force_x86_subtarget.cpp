// Makes the x86 multi-target kernels skip every sub-target that has the feature
// CONVFORGE_REFUSED_FEATURE (a halide_target_feature_t), as on a CPU without it,
// so each fallback runs on this machine too: refusing avx leaves the SSE4.1
// baseline, avx512 the AVX2 one, avx512_sapphirerapids plain AVX-512 (no VNNI).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>

#include "HalideRuntime.h"

namespace {

std::atomic<int> refusals{0};

int without_refused_feature(int count, const uint64_t *features) {
    const int refused = CONVFORGE_REFUSED_FEATURE;
    if (refused / 64 < count && ((features[refused / 64] >> (refused % 64)) & 1)) {
        ++refusals;
        return 0;
    }
    return halide_default_can_use_target_features(count, features);
}

// Installed before main, so before any kernel's first call caches its choice.
const bool installed = (halide_set_custom_can_use_target_features(without_refused_feature), true);

// A forced run that never reached the hook would test the default path instead.
// Every suite's kernels include one whose first sub-target has the refused feature
// (avx512_sapphirerapids: DSConv's integer kernels, which the suite's dsconv_int
// cases run), so at least one refusal proves the kernels dispatched through it.
class DispatchWasForced : public ::testing::Environment {
    void TearDown() override {
        EXPECT_GT(refusals.load(), 0) << "no kernel asked for a sub-target with the refused feature";
    }
};
::testing::Environment *const forced = ::testing::AddGlobalTestEnvironment(new DispatchWasForced);

}  // namespace
