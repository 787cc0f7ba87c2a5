// DO-Conv's own tests: its spec field's errors, and its group quirk pinned.
//
// The group quirk: for groups > 1 (not depthwise with O = C) the
// official raw reshape pairs output channel o with D rows of input channels of
// another group. convforge must reproduce it (trained checkpoints depend on it),
// so the folded kernel must differ from the "intuitive" per-group composition
// there, and equal it where the quirk vanishes (groups 1, depthwise O = C).
#include <gtest/gtest.h>

#include <cmath>

#include "../expect_error.h"
#include "../naive_reference.h"
#include "variants/doconv.h"
#include "variant.h"

namespace convforge {
namespace {

// K[o, j, m] = sum_s (D + I)[group(o)*C/g + j, m, s] * W[o, j, s]: what one would
// write without the official code in front of them.
std::vector<float> intuitive_kernel(const LayerSpec &s, const WeightMap &w) {
    const int C = s.in_channels, O = s.out_channels, g = s.groups, Cg = C / g, k2 = s.kernel_size * s.kernel_size;
    const int dm = int(variant_param(s, "d_mul"));
    const auto W = w.at("W").as_float(), D = w.at("D").as_float();
    std::vector<float> K(size_t(O) * Cg * k2);
    for (int o = 0; o < O; ++o)
        for (int j = 0; j < Cg; ++j) {
            const int i = o / (O / g) * Cg + j;
            for (int m = 0; m < k2; ++m) {
                double sum = 0;
                for (int t = 0; t < dm; ++t) {
                    const double identity = (t < dm / k2 * k2 && t % k2 == m) ? 1.0 : 0.0;
                    sum += (D[(size_t(i) * k2 + m) * dm + t] + identity) * W[(size_t(o) * Cg + j) * dm + t];
                }
                K[(size_t(o) * Cg + j) * k2 + m] = float(sum);
            }
        }
    return K;
}

double max_difference(const std::vector<float> &a, const std::vector<float> &b) {
    double worst = 0;
    for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::fabs(double(a[i]) - b[i]));
    return worst;
}

LayerSpec doconv(int C, int O, int groups) {
    return parse_layer_spec(R"({"variant":"doconv","in_channels":)" + std::to_string(C) + R"(,"out_channels":)" +
                            std::to_string(O) + R"(,"kernel_size":3,"groups":)" + std::to_string(groups) + "}");
}

using testing::expect_error;

TEST(DoConvSpec, DMulBelowKernelArea) {
    expect_error([] { parse_layer_spec(R"({"variant":"doconv","in_channels":4,"out_channels":4,"kernel_size":3,"d_mul":8})"); },
                 {"d_mul", "9"});
}
TEST(DoConvSpec, PointwiseNeedsDMulOne) {
    expect_error([] { parse_layer_spec(R"({"variant":"doconv","in_channels":4,"out_channels":4,"kernel_size":1,"d_mul":2})"); },
                 {"d_mul 1"});
}
TEST(DoConvSpec, DMulIsNotAFieldOfConv) {
    expect_error([] { parse_layer_spec(R"({"variant":"conv","in_channels":4,"out_channels":4,"kernel_size":3,"d_mul":9})"); },
                 {"unknown field", "d_mul"});
}
TEST(DoConvSpec, SquaredKernelSizeIsExact) {
    expect_error([] { parse_layer_spec(R"({"variant":"doconv","in_channels":1,"out_channels":1,"kernel_size":65537})"); },
                 {"kernel_size^2 = 4295098369"});
    expect_error([] {
        parse_layer_spec(R"({"variant":"doconv","in_channels":1,"out_channels":1,"kernel_size":65537,"d_mul":1073741824})");
    }, {"d_mul 1073741824 must be >= kernel_size^2 = 4295098369"});
}

TEST(DoConvQuirk, GroupedFoldFollowsOfficialReshape) {
    const LayerSpec s = doconv(8, 12, 4);
    const WeightMap w = testing::random_weights_for(s, 11);
    const std::vector<float> K = compose_doconv_kernel(s, w);
    EXPECT_GT(max_difference(K, intuitive_kernel(s, w)), 1e-2) << "the case does not exercise the quirk";
    const Tensor x = testing::random_input({2, 8, 9, 11}, 12);
    EXPECT_EQ(testing::compare(run_layer(prepare_layer(s, w), x), testing::naive_forward(s, w, x)), "");
}

TEST(DoConvQuirk, VanishesForOneGroupAndDepthwise) {
    for (const LayerSpec &s : {doconv(6, 10, 1), doconv(8, 8, 8)}) {
        const WeightMap w = testing::random_weights_for(s, 13);
        const std::vector<float> K = compose_doconv_kernel(s, w);
        EXPECT_LT(max_difference(K, intuitive_kernel(s, w)), 1e-5) << "groups " << s.groups;
    }
}

}  // namespace
}  // namespace convforge
