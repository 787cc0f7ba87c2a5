// SPConv's own tests: each rule its definition enforces, with the field or size
// named; its defaults (ratio 0.5, groups 2) and its keys.
#include <gtest/gtest.h>

#include <cstring>

#include "../expect_error.h"
#include "../naive_reference.h"
#include "variant.h"

namespace convforge {
namespace {

using testing::expect_error;

std::string spconv_json(const std::string &fields) {
    return R"({"variant":"spconv","in_channels":8,"out_channels":12,"kernel_size":3)" +
           (fields.empty() ? "" : "," + fields) + "}";
}

TEST(SpconvSpec, DefaultsAreRatioHalfAndTwoGroups) {
    const LayerSpec s = parse_layer_spec(spconv_json(""));
    EXPECT_EQ(s.groups, 2);
    EXPECT_EQ(s.padding, 1);
    EXPECT_EQ(variant_param(s, "ratio"), 0.5);
    // groups split the 3x3 branch's channels, not all of them: 7 channels split
    // into C3 = 3 and C1 = 4 take 3 groups, though 7 is not divisible by 3.
    EXPECT_NO_THROW(parse_layer_spec(
        R"({"variant":"spconv","in_channels":7,"out_channels":6,"kernel_size":3,"groups":3})"));
}
TEST(SpconvSpec, GeometryIsSpconv3x3) {
    expect_error([] {
        parse_layer_spec(R"({"variant":"spconv","in_channels":8,"out_channels":12,"kernel_size":5,"padding":1})");
    }, {"kernel_size 3", "got 5"});
    expect_error([] { parse_layer_spec(spconv_json(R"("padding":0)")); }, {"padding 1", "got 0"});
    expect_error([] { parse_layer_spec(spconv_json(R"("dilation":2,"padding":1)")); }, {"dilation 1", "got 2"});
    expect_error([] { parse_layer_spec(spconv_json(R"("stride":3)")); }, {"stride 1 or 2", "got 3"});
    expect_error([] { parse_layer_spec(spconv_json(R"("bias":true)")); }, {"bias false", "conv1x1.bias"});
}
TEST(SpconvSpec, BothSplitsMustBeNonEmpty) {
    for (const char *ratio : {"0.1", "1.0", "1.5", "-0.5", "2"})
        expect_error([&] { parse_layer_spec(spconv_json(std::string(R"("ratio":)") + ratio)); },
                     {"ratio", "both must be at least 1"});
    EXPECT_NO_THROW(parse_layer_spec(spconv_json(R"("ratio":0.125,"groups":1)")));
}
TEST(SpconvSpec, GroupsMustDivideTheSplitAndTheOutput) {
    expect_error([] { parse_layer_spec(spconv_json(R"("groups":3)")); },
                 {"C3 = int(in_channels * ratio) = 4", "divisible by groups 3"});
    expect_error([] { parse_layer_spec(spconv_json(R"("ratio":0.25,"groups":4)")); },
                 {"C3 = int(in_channels * ratio) = 2", "divisible by groups 4"});
    expect_error([] {
        parse_layer_spec(R"({"variant":"spconv","in_channels":8,"out_channels":10,"kernel_size":3,"groups":4})");
    }, {"10 output channels", "divisible by groups 4"});
}

TEST(SpconvInput, StrideTwoNeedsEvenSizes) {
    const LayerSpec s = parse_layer_spec(spconv_json(R"("stride":2)"));
    const PreparedLayer layer = prepare_layer(s, testing::random_weights_for(s, 1));
    expect_error([&] { run_layer(layer, testing::random_input({1, 8, 7, 8}, 2)); }, {"input 7x8", "even height and width"});
    expect_error([&] { run_layer(layer, testing::random_input({1, 8, 8, 9}, 2)); }, {"input 8x9", "2x2 average pool"});
    EXPECT_NO_THROW(run_layer(layer, testing::random_input({1, 8, 2, 2}, 2)));
}

TEST(SpconvWeights, EveryBranchKeyIsRequired) {
    const LayerSpec s = parse_layer_spec(spconv_json(""));
    for (const char *key : {"gwc.weight", "pwc.weight", "conv1x1.weight", "conv1x1.bias", "bn1.weight", "bn1.running_var",
                            "bn2.bias", "bn2.running_mean"}) {
        WeightMap w = testing::random_weights_for(s, 3);
        w.erase(key);
        expect_error([&] { prepare_layer(s, w); }, {"missing key", key});
    }
}
TEST(SpconvWeights, BranchShapesFollowTheSplit) {
    const LayerSpec s = parse_layer_spec(spconv_json(R"("ratio":0.25)"));
    WeightMap w = testing::random_weights_for(s, 4);
    EXPECT_EQ(w.at("gwc.weight").shape, (std::vector<int64_t>{12, 1, 3, 3}));
    EXPECT_EQ(w.at("pwc.weight").shape, (std::vector<int64_t>{12, 2, 1, 1}));
    EXPECT_EQ(w.at("conv1x1.weight").shape, (std::vector<int64_t>{12, 6, 1, 1}));
    w["conv1x1.weight"].shape = {12, 4, 1, 1};
    w["conv1x1.weight"].bytes.resize(48 * 4);
    expect_error([&] { prepare_layer(s, w); }, {"'conv1x1.weight'", "[12, 6, 1, 1]"});
}
TEST(SpconvWeights, BranchBatchNormVarianceMustKeepVarPlusEpsPositive) {
    const LayerSpec s = parse_layer_spec(spconv_json(""));
    WeightMap w = testing::random_weights_for(s, 5);
    std::vector<float> var = w.at("bn2.running_var").as_float();
    var[3] = -1.0f;
    std::memcpy(w["bn2.running_var"].bytes.data(), var.data(), var.size() * 4);
    expect_error([&] { prepare_layer(s, w); }, {"'bn2.running_var' entry 3", "non-positive"});
}

}  // namespace
}  // namespace convforge
