// conv and doconv against the naive C++ reference over many configurations.
#include <gtest/gtest.h>

#include "naive_reference.h"

namespace convforge {
namespace {

struct Case {
    Variant variant;
    int in_channels, out_channels, kernel_size, stride, dilation, groups;
    bool bias, batchnorm;
    ActivationKind activation;
    int batch, height, width;
    int d_mul = 0;
};

std::string case_name(const Case &c) {
    return std::string(variant_name(c.variant)) + "_c" + std::to_string(c.in_channels) + "_o" +
           std::to_string(c.out_channels) + "_k" + std::to_string(c.kernel_size) + "_s" + std::to_string(c.stride) +
           "_d" + std::to_string(c.dilation) + "_g" + std::to_string(c.groups) + (c.bias ? "_bias" : "") +
           (c.batchnorm ? "_bn" : "") + "_" + activation_name(c.activation) + "_n" + std::to_string(c.batch) + "_" +
           std::to_string(c.height) + "x" + std::to_string(c.width) +
           (c.d_mul ? "_dmul" + std::to_string(c.d_mul) : "");
}

std::vector<Case> all_cases() {
    std::vector<Case> cases;
    const ActivationKind acts[] = {ActivationKind::Identity, ActivationKind::Relu, ActivationKind::Silu};
    int i = 0;
    for (Variant v : {Variant::Conv, Variant::DoConv})
        for (int k : {1, 3, 5})
            for (int stride : {1, 2})
                for (int dilation : {1, 2}) {
                    if (k == 1 && dilation == 2) continue;
                    for (int groups : {1, 2, 0 /* depthwise */}) {
                        const int C = groups == 0 ? 8 : 6, O = groups == 0 ? 8 : 10;
                        Case c{v, C, O, k, stride, dilation, groups == 0 ? C : groups, i % 2 == 0, i % 3 != 1,
                               acts[i % 3], i % 2 ? 3 : 1, 13, 17};
                        if (v == Variant::DoConv && k > 1 && i % 4 == 0) c.d_mul = k * k + 2;
                        cases.push_back(c);
                        ++i;
                    }
                }
    // Dense register tiles: channel counts above and not a multiple of the tile,
    // rows wider and narrower than a tile.
    cases.push_back({Variant::Conv, 24, 70, 3, 1, 1, 1, true, true, ActivationKind::Relu, 2, 12, 29});
    cases.push_back({Variant::Conv, 32, 64, 3, 2, 1, 1, false, false, ActivationKind::Identity, 1, 15, 15});
    cases.push_back({Variant::Conv, 16, 128, 1, 1, 1, 1, true, false, ActivationKind::Silu, 3, 7, 4});
    cases.push_back({Variant::DoConv, 16, 80, 3, 1, 2, 1, true, true, ActivationKind::Silu, 2, 11, 9});
    cases.push_back({Variant::Conv, 5, 3, 3, 1, 1, 1, true, false, ActivationKind::Identity, 1, 1, 1});
    // Wide groups: one one-group kernel call per group, on channel slices.
    cases.push_back({Variant::Conv, 32, 64, 3, 1, 1, 2, true, true, ActivationKind::Relu, 2, 11, 13});
    cases.push_back({Variant::Conv, 24, 48, 3, 2, 1, 3, false, false, ActivationKind::Silu, 3, 9, 14});
    cases.push_back({Variant::Conv, 16, 64, 1, 1, 1, 4, true, false, ActivationKind::Identity, 2, 7, 9});
    cases.push_back({Variant::DoConv, 16, 32, 3, 1, 1, 2, true, true, ActivationKind::Silu, 2, 10, 12});
    return cases;
}

class ConvAgainstNaive : public ::testing::TestWithParam<Case> {};

TEST_P(ConvAgainstNaive, MatchesReference) {
    const Case &c = GetParam();
    LayerSpec s;
    s.variant = c.variant;
    s.in_channels = c.in_channels;
    s.out_channels = c.out_channels;
    s.kernel_size = c.kernel_size;
    s.stride = c.stride;
    s.dilation = c.dilation;
    s.padding = c.dilation * (c.kernel_size - 1) / 2;
    s.groups = c.groups;
    s.bias = c.bias;
    s.d_mul = c.variant == Variant::DoConv ? (c.d_mul ? c.d_mul : c.kernel_size * c.kernel_size) : 0;
    s.epilogue.batchnorm = c.batchnorm;
    s.epilogue.activation = c.activation;

    const unsigned seed = unsigned(std::hash<std::string>{}(case_name(c)));
    const WeightMap w = testing::random_weights_for(s, seed);
    const Tensor x = testing::random_input({c.batch, c.in_channels, c.height, c.width}, seed + 1);
    const Tensor got = run_layer(prepare_layer(s, w), x);
    const Tensor ref = testing::naive_forward(s, w, x);
    EXPECT_EQ(testing::compare(got, ref), "");
}

INSTANTIATE_TEST_SUITE_P(Configs, ConvAgainstNaive, ::testing::ValuesIn(all_cases()),
                         [](const auto &info) { return case_name(info.param); });

}  // namespace
}  // namespace convforge
