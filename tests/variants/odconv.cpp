// ODConv's own tests: every image of a batch runs its own attentions (a kernel
// shared by the batch fails here), the heads present exactly where the official
// code builds them, the attention's width A, and each field's rule.
#include <gtest/gtest.h>

#include "../expect_error.h"
#include "../naive_reference.h"
#include "variant.h"

namespace convforge {
namespace {

using testing::expect_error;
using testing::image_of;

std::string odconv_json(const std::string &fields, int out_channels = 12) {
    return R"({"variant":"odconv","in_channels":8,"kernel_size":3,"out_channels":)" + std::to_string(out_channels) +
           (fields.empty() ? "" : "," + fields) + "}";
}

std::vector<std::string> keys_of(const LayerSpec &s) {
    std::vector<std::string> keys;
    for (const ExpectedTensor &e : expected_weights(s)) keys.push_back(e.key);
    return keys;
}

bool has_key(const LayerSpec &s, const std::string &key) {
    const std::vector<std::string> keys = keys_of(s);
    return std::find(keys.begin(), keys.end(), key) != keys.end();
}

// Each image of a batch run alone gives what the batch gave it; with fc zeroed
// every image gets the same attentions, and all images but at most one change.
void expect_attention_per_image(const std::string &fields, std::vector<int64_t> shape, int out_channels = 12) {
    const LayerSpec s = parse_layer_spec(odconv_json(fields, out_channels));
    WeightMap w = testing::random_weights_for(s, 21);
    const Tensor x = testing::random_input(shape, 22);
    const PreparedLayer layer = prepare_layer(s, w);
    const Tensor batch = run_layer(layer, x);
    EXPECT_EQ(testing::compare(batch, testing::naive_forward(s, w, x)), "");
    for (int n = 0; n < int(shape[0]); ++n)
        EXPECT_EQ(testing::compare(image_of(batch, n), run_layer(layer, image_of(x, n))), "") << "image " << n;
    WeightTensor &fc = w.at("attention.fc.weight");
    std::fill(fc.bytes.begin(), fc.bytes.end(), 0);
    const Tensor shared = run_layer(prepare_layer(s, w), x);
    int differing = 0;
    for (int n = 0; n < int(shape[0]); ++n) differing += testing::compare(image_of(batch, n), image_of(shared, n)) != "";
    EXPECT_GE(differing, int(shape[0]) - 1);
}

TEST(OdconvBatch, EveryImageRunsItsOwnAttentions) {
    expect_attention_per_image(R"("epilogue":{"batchnorm":true,"activation":"relu"})", {4, 8, 9, 11});
    expect_attention_per_image(R"("groups":4,"num_experts":2,"temperature":0.7)", {3, 8, 7, 6});
    expect_attention_per_image(R"("groups":8,"stride":2)", {3, 8, 13, 10}, 8);
}

TEST(OdconvWeights, HeadsAsTheOfficialAttentionBuildsThem) {
    const LayerSpec full = parse_layer_spec(odconv_json(""));
    for (const char *head : {"channel_fc", "filter_fc", "spatial_fc", "kernel_fc"})
        EXPECT_TRUE(has_key(full, std::string("attention.") + head + ".weight")) << head;
    // Depthwise (C = groups = O): no filter head.
    const LayerSpec depthwise = parse_layer_spec(odconv_json(R"("groups":8)", 8));
    EXPECT_FALSE(has_key(depthwise, "attention.filter_fc.weight"));
    EXPECT_FALSE(has_key(depthwise, "attention.filter_fc.bias"));
    // Groups alone are not depthwise.
    EXPECT_TRUE(has_key(parse_layer_spec(odconv_json(R"("groups":4)")), "attention.filter_fc.weight"));
    EXPECT_FALSE(has_key(parse_layer_spec(R"({"variant":"odconv","in_channels":8,"out_channels":12,"kernel_size":1})"),
                         "attention.spatial_fc.weight"));
    EXPECT_FALSE(has_key(parse_layer_spec(odconv_json(R"("num_experts":1)")), "attention.kernel_fc.bias"));
    // A head the official code does not build is an unknown key.
    WeightMap w = testing::random_weights_for(depthwise, 23);
    w["attention.filter_fc.bias"] = w.at("attention.channel_fc.bias");
    expect_error([&] { prepare_layer(depthwise, w); }, {"attention.filter_fc.bias"});
}

TEST(OdconvWeights, AttentionWidthIsReductionOrMinChannel) {
    auto fc_shape = [](const std::string &fields) {
        const LayerSpec s = parse_layer_spec(R"({"variant":"odconv","in_channels":64,"out_channels":8,"kernel_size":3)" +
                                             (fields.empty() ? "" : "," + fields) + "}");
        return testing::random_weights_for(s, 24).at("attention.fc.weight").shape;
    };
    EXPECT_EQ(fc_shape(""), (std::vector<int64_t>{16, 64, 1, 1}));  // max(int(64 / 16), 16)
    EXPECT_EQ(fc_shape(R"("min_channel":2)"), (std::vector<int64_t>{4, 64, 1, 1}));
    EXPECT_EQ(fc_shape(R"("reduction":0.5)"), (std::vector<int64_t>{32, 64, 1, 1}));
    EXPECT_EQ(fc_shape(R"("reduction":0.1,"min_channel":1)"), (std::vector<int64_t>{6, 64, 1, 1}));  // int(6.4)
}

TEST(OdconvSpec, FieldsAreChecked) {
    const LayerSpec s = parse_layer_spec(odconv_json(""));
    EXPECT_EQ(variant_param(s, "num_experts"), 4);
    EXPECT_EQ(variant_param(s, "reduction"), 0.0625);
    EXPECT_EQ(variant_param(s, "min_channel"), 16);
    EXPECT_EQ(variant_param(s, "temperature"), 1.0);
    expect_error([] { parse_layer_spec(odconv_json(R"("bias":true)")); }, {"odconv needs bias false"});
    expect_error([] { parse_layer_spec(odconv_json(R"("num_experts":0)")); }, {"num_experts must be in [1, 256]"});
    expect_error([] { parse_layer_spec(odconv_json(R"("temperature":0)")); }, {"temperature must be positive"});
    expect_error([] { parse_layer_spec(odconv_json(R"("temperature":-2.5)")); }, {"temperature must be positive"});
    expect_error([] { parse_layer_spec(odconv_json(R"("reduction":0)")); }, {"reduction must be positive"});
    expect_error([] { parse_layer_spec(odconv_json(R"("min_channel":0)")); }, {"min_channel must be positive"});
    expect_error([] { parse_layer_spec(odconv_json(R"("attention_bn_eps":0)")); }, {"attention_bn_eps must be positive"});
    expect_error([] { parse_layer_spec(odconv_json(R"("min_channel":1.5)")); }, {"min_channel"});
}

}  // namespace
}  // namespace convforge
