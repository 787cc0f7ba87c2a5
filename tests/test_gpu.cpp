// The CUDA kernels against the naive reference. Runs where a CUDA device exists
// and reports itself skipped elsewhere; the CPU fallback is checked everywhere.
#include <gtest/gtest.h>

#include <cstdlib>

#include "naive_reference.h"

namespace convforge {
namespace {

LayerSpec spec_for(int C, int O, int k, int stride, int groups, ActivationKind act) {
    LayerSpec s;
    s.in_channels = C;
    s.out_channels = O;
    s.kernel_size = k;
    s.stride = stride;
    s.padding = (k - 1) / 2;
    s.groups = groups;
    s.bias = true;
    s.epilogue.batchnorm = true;
    s.epilogue.activation = act;
    return s;
}

TEST(Gpu, CudaKernelsMatchReference) {
    if (!gpu_available()) GTEST_SKIP() << "no CUDA device on this machine: CUDA kernels linked but not run";
    const LayerSpec specs[] = {spec_for(16, 72, 3, 1, 1, ActivationKind::Relu),
                               spec_for(12, 12, 3, 2, 12, ActivationKind::Silu),
                               spec_for(8, 10, 5, 1, 2, ActivationKind::Identity)};
    unsigned seed = 40;
    for (const LayerSpec &s : specs) {
        const WeightMap w = testing::random_weights_for(s, seed++);
        const Tensor x = testing::random_input({2, s.in_channels, 19, 23}, seed++);
        EXPECT_EQ(testing::compare(run_layer(prepare_layer(s, w), x), testing::naive_forward(s, w, x)), "")
            << "groups " << s.groups;
    }
}

TEST(Gpu, ForcedCpuFallbackReportsNoGpu) {
    // gpu_available() is decided once per process; this checks the decision is
    // consistent with the environment override used to force the CPU library.
    const char *force = std::getenv("CONVFORGE_FORCE_CPU");
    if (force && std::string(force) == "1") {
        EXPECT_FALSE(gpu_available());
    }
    const LayerSpec s = spec_for(8, 8, 3, 1, 1, ActivationKind::Relu);
    const WeightMap w = testing::random_weights_for(s, 3);
    const Tensor x = testing::random_input({1, 8, 9, 9}, 4);
    EXPECT_EQ(testing::compare(run_layer(prepare_layer(s, w), x), testing::naive_forward(s, w, x)), "");
}

}  // namespace
}  // namespace convforge
