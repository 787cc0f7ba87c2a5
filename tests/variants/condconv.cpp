// CondConv's own tests: every image of a batch runs its own kernel (a kernel shared
// by the batch fails here), the rule on num_experts, and its keys.
#include <gtest/gtest.h>

#include "../expect_error.h"
#include "../naive_reference.h"
#include "variant.h"

namespace convforge {
namespace {

using testing::expect_error;
using testing::image_of;

std::string condconv_json(const std::string &fields) {
    return R"({"variant":"condconv","in_channels":8,"out_channels":12,"kernel_size":3)" +
           (fields.empty() ? "" : "," + fields) + "}";
}

// Each image of a batch run alone gives what the batch gave it, and the images'
// kernels differ: the same layer with every image's routing forced equal (the
// routing weights zeroed, so r = sigmoid(routing_fn.bias) for all) gives other
// outputs for all but at most one image.
void expect_a_kernel_per_image(const std::string &fields, std::vector<int64_t> shape) {
    const LayerSpec s = parse_layer_spec(condconv_json(fields));
    WeightMap w = testing::random_weights_for(s, 11);
    const Tensor x = testing::random_input(shape, 12);
    const PreparedLayer layer = prepare_layer(s, w);
    const Tensor batch = run_layer(layer, x);
    EXPECT_EQ(testing::compare(batch, testing::naive_forward(s, w, x)), "");
    for (int n = 0; n < int(shape[0]); ++n)
        EXPECT_EQ(testing::compare(image_of(batch, n), run_layer(layer, image_of(x, n))), "") << "image " << n;

    WeightTensor &routing = w.at("routing_fn.weight");
    std::fill(routing.bytes.begin(), routing.bytes.end(), 0);
    const Tensor shared = run_layer(prepare_layer(s, w), x);
    int differing = 0;
    for (int n = 0; n < int(shape[0]); ++n)
        differing += testing::compare(image_of(batch, n), image_of(shared, n)) != "";
    EXPECT_GE(differing, int(shape[0]) - 1);
}

TEST(CondconvBatch, EveryImageRunsItsOwnKernel) {
    expect_a_kernel_per_image(R"("bias":true,"epilogue":{"batchnorm":true,"activation":"relu"})", {4, 8, 9, 11});
    expect_a_kernel_per_image(R"("groups":4,"num_experts":8)", {3, 8, 7, 6});
    expect_a_kernel_per_image(R"("stride":2,"num_experts":2,"bias":true)", {3, 8, 13, 10});
}

TEST(CondconvSpec, NumExpertsDefaultsToFourAndIsBounded) {
    EXPECT_EQ(variant_param(parse_layer_spec(condconv_json("")), "num_experts"), 4);
    for (const char *bad : {"0", "-1", "257"})
        expect_error([&] { parse_layer_spec(condconv_json(std::string(R"("num_experts":)") + bad)); },
                     {"num_experts must be in [1, 256]", (std::string("got ") + bad).c_str()});
    expect_error([] { parse_layer_spec(condconv_json(R"("num_experts":2.5)")); }, {"num_experts"});
}

// The experts are one packed buffer: 4 x 128 packed channels x 150000 x 9 floats
// is over Halide's 2^31 bytes though each expert, and the weight as read, fit.
TEST(CondconvLimits, StackedExpertsMustFitOneKernelBuffer) {
    expect_error([] {
        parse_layer_spec(R"({"variant":"condconv","in_channels":150000,"out_channels":72,"kernel_size":3})");
    }, {"packed experts [512, 150000, 3, 3]", "a kernel buffer may hold"});
}

TEST(CondconvWeights, KeysFollowTheExperts) {
    const LayerSpec s = parse_layer_spec(condconv_json(R"("num_experts":3,"bias":true,"groups":2)"));
    WeightMap w = testing::random_weights_for(s, 13);
    EXPECT_EQ(w.at("weight").shape, (std::vector<int64_t>{3, 12, 4, 3, 3}));
    EXPECT_EQ(w.at("bias").shape, (std::vector<int64_t>{3, 12}));
    EXPECT_EQ(w.at("routing_fn.weight").shape, (std::vector<int64_t>{3, 8}));
    EXPECT_EQ(w.at("routing_fn.bias").shape, (std::vector<int64_t>{3}));
    for (const char *key : {"weight", "bias", "routing_fn.weight", "routing_fn.bias"}) {
        WeightMap missing = w;
        missing.erase(key);
        expect_error([&] { prepare_layer(s, missing); }, {"missing key", key});
    }
    WeightMap wrong = w;
    wrong["routing_fn.weight"].shape = {4, 8};
    wrong["routing_fn.weight"].bytes.resize(32 * 4);
    expect_error([&] { prepare_layer(s, wrong); }, {"'routing_fn.weight'", "[3, 8]"});
    // Without bias there is no bias key to give.
    const LayerSpec no_bias = parse_layer_spec(condconv_json(R"("num_experts":3,"groups":2)"));
    expect_error([&] { prepare_layer(no_bias, w); }, {"bias"});
}

}  // namespace
}  // namespace convforge
