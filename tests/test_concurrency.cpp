// One prepared layer run from several threads at once gives every thread the
// single-threaded answer (kernels, scratch-block cache and error capture are shared).
#include <gtest/gtest.h>

#include <thread>

#include "convforge_conv_dense_identity.h"
#include "naive_reference.h"

namespace convforge {
namespace {

TEST(Concurrency, SameLayerFromManyThreads) {
    const LayerSpec s = parse_layer_spec(
        R"({"variant":"conv","in_channels":16,"out_channels":64,"kernel_size":3,"bias":true,"epilogue":{"activation":"relu"}})");
    const WeightMap w = testing::random_weights_for(s, 90);
    const PreparedLayer layer = prepare_layer(s, w);
    const Tensor x = testing::random_input({2, 16, 33, 35}, 91);
    const Tensor expected = run_layer(layer, x);
    ASSERT_EQ(testing::compare(expected, testing::naive_forward(s, w, x)), "");

    std::vector<std::string> mismatches(4);
    std::vector<std::thread> threads;
    for (size_t t = 0; t < mismatches.size(); ++t) {
        threads.emplace_back([&, t] {
            Tensor y;
            for (int i = 0; i < 10 && mismatches[t].empty(); ++i) {
                run_layer(layer, x, y);
                mismatches[t] = testing::compare(y, expected);
            }
        });
    }
    for (auto &th : threads) th.join();
    for (const auto &m : mismatches) EXPECT_EQ(m, "");
}

// Kernel (Halide) errors raised on several threads at once each reach their own
// caller with their own message, while good calls beside them succeed.
TEST(Concurrency, KernelErrorsStayWithTheirCall) {
    const LayerSpec s = parse_layer_spec(R"({"variant":"conv","in_channels":4,"out_channels":8,"kernel_size":3})");
    const LayerSpec grouped = parse_layer_spec(R"({"variant":"conv","in_channels":4,"out_channels":8,"kernel_size":3,"groups":2})");
    const PreparedLayer layer = prepare_layer(s, testing::random_weights_for(s, 92));
    const PreparedLayer grouped_layer = prepare_layer(grouped, testing::random_weights_for(grouped, 95));
    const Tensor good = testing::random_input({1, 4, 12, 12}, 93);
    std::vector<int> good_ok(3, 0), bad_rejected(3, 0);
    std::vector<std::thread> threads;
    for (int t = 0; t < 3; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 20; ++i) {
                try {
                    run_layer(layer, good);
                    ++good_ok[t];
                } catch (const Error &) {
                }
                try {
                    run_layer_with(grouped_layer, good, CONVFORGE_EMITTED_KERNEL(convforge_conv_dense_identity));  // groups != 1: refused
                } catch (const Error &e) {
                    if (std::string(e.what()).find("arguments differ") != std::string::npos) ++bad_rejected[t];
                }
            }
        });
    }
    for (auto &th : threads) th.join();
    for (int t = 0; t < 3; ++t) {
        EXPECT_EQ(good_ok[t], 20);
        EXPECT_EQ(bad_rejected[t], 20);
    }
}

}  // namespace
}  // namespace convforge
