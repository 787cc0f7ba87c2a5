// The CUDA kernels against the naive reference, on every variant's cases. Runs where a CUDA device exists
// and reports itself skipped elsewhere; the CPU fallback is checked everywhere.
#include <gtest/gtest.h>

#include <cstdlib>

#include "case_table.h"
#include "naive_reference.h"

namespace convforge {
namespace {

LayerSpec spec_for(int C, int O, int k, int stride, int groups, ActivationKind act) {
    LayerSpec s;
    s.variant = "conv";
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

// Every registered variant's whole case table, on the CUDA kernels.
TEST(Gpu, CudaKernelsMatchReference) {
    if (!gpu_available()) GTEST_SKIP() << "no CUDA device on this machine: CUDA kernels linked but not run";
    for (const testing::LayerCase &c : testing::all_layer_cases()) {
        const LayerSpec s = parse_layer_spec(c.spec_json, c.name);
        const unsigned seed = unsigned(std::hash<std::string>{}(c.name));
        const WeightMap w = testing::random_weights_for(s, seed, c.optional_weights, c.weight_form);
        const Tensor x = testing::random_input(c.input_shape, seed + 1);
        EXPECT_EQ(testing::compare(run_layer(prepare_layer(s, w), x), testing::naive_forward(s, w, x)), "") << c.name;
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
