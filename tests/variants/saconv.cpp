// SAConv's own tests: each rule its definition enforces, with the field or size
// named; its keys; and the load-hook defaults taken one key at a time.
#include <gtest/gtest.h>

#include "../expect_error.h"
#include "../naive_reference.h"

namespace convforge {
namespace {

using testing::expect_error;

std::string saconv_json(const std::string &fields) {
    return R"({"variant":"saconv","in_channels":6,"out_channels":10,)" + fields + "}";
}

TEST(SaconvSpec, KernelSizeMustBeOdd) {
    expect_error([] { parse_layer_spec(saconv_json(R"("kernel_size":2,"padding":0)")); }, {"odd kernel_size", "got 2"});
}
TEST(SaconvSpec, PaddingMustKeepBothBranchesOneSize) {
    expect_error([] { parse_layer_spec(saconv_json(R"("kernel_size":3,"dilation":2,"padding":1)")); },
                 {"padding = dilation * (kernel_size - 1) / 2 = 2", "got padding 1"});
    EXPECT_EQ(parse_layer_spec(saconv_json(R"("kernel_size":3,"dilation":2)")).padding, 2);
}
TEST(SaconvSpec, StandardizationNeedsTwoWeightsPerChannel) {
    expect_error([] {
        parse_layer_spec(R"({"variant":"saconv","in_channels":4,"out_channels":4,"kernel_size":1,"groups":4})");
    }, {"at least 2 weights per output channel"});
}
TEST(SaconvSpec, LargeBranchReachIsBounded) {
    expect_error([] { parse_layer_spec(saconv_json(R"("kernel_size":3,"dilation":300000000)")); },
                 {"large branch reaches", "more than 2^30"});
}

TEST(SaconvInput, HeightAndWidthOfAtLeastThree) {
    const LayerSpec s = parse_layer_spec(saconv_json(R"("kernel_size":1)"));
    const PreparedLayer layer = prepare_layer(s, testing::random_weights_for(s, 1, true));
    expect_error([&] { run_layer(layer, testing::random_input({1, 6, 2, 9}, 2)); }, {"input 2x9", "height and width >= 3"});
    expect_error([&] { run_layer(layer, testing::random_input({1, 6, 9, 2}, 2)); }, {"input 9x2", "reflect-pads by 2"});
    EXPECT_NO_THROW(run_layer(layer, testing::random_input({1, 6, 3, 3}, 2)));
}

TEST(SaconvWeights, EveryContextKeyIsRequired) {
    const LayerSpec s = parse_layer_spec(saconv_json(R"("kernel_size":3,"bias":true)"));
    for (const char *key : {"weight", "weight_diff", "switch.weight", "switch.bias", "pre_context.weight",
                            "pre_context.bias", "post_context.weight", "post_context.bias", "bias"}) {
        WeightMap w = testing::random_weights_for(s, 3, true);
        w.erase(key);
        expect_error([&] { prepare_layer(s, w); }, {"missing key", key});
    }
}
TEST(SaconvWeights, ContextShapesAreChecked) {
    const LayerSpec s = parse_layer_spec(saconv_json(R"("kernel_size":3)"));
    WeightMap w = testing::random_weights_for(s, 4, true);
    w["post_context.weight"].shape = {6, 6, 1, 1};
    w["post_context.weight"].bytes.resize(36 * 4);
    expect_error([&] { prepare_layer(s, w); }, {"'post_context.weight'", "[6, 6, 1, 1]", "[10, 10, 1, 1]"});
    w = testing::random_weights_for(s, 4, true);
    w["switch.weight"].shape = {6, 1, 1, 1};
    expect_error([&] { prepare_layer(s, w); }, {"'switch.weight'", "[1, 6, 1, 1]"});
}

// mmcv's load hook fills weight_gamma and weight_beta each on its own: a
// checkpoint may carry one of them.
TEST(SaconvWeights, GammaOrBetaAloneTakesTheDefaultForTheOther) {
    const LayerSpec s = parse_layer_spec(saconv_json(R"("kernel_size":3,"stride":2)"));
    const Tensor x = testing::random_input({2, 6, 9, 11}, 5);
    for (const char *absent : {"weight_gamma", "weight_beta"}) {
        WeightMap w = testing::random_weights_for(s, 6, true);
        w.erase(absent);
        EXPECT_EQ(testing::compare(run_layer(prepare_layer(s, w), x), testing::naive_forward(s, w, x)), "") << absent;
    }
}

}  // namespace
}  // namespace convforge
