// Shape arithmetic that would overflow, and sizes past the stated limits
// (common/size_limits.h): each is an Error naming the field or tensor, raised
// before anything is allocated, never a wrapped size.
#include <gtest/gtest.h>

#include <cstring>
#include <limits>

#include "checked_size.h"
#include "expect_error.h"
#include "naive_reference.h"

namespace convforge {
namespace {

using testing::expect_error;

LayerSpec spec(const std::string &fields) {
    return parse_layer_spec(R"({"variant":"conv","in_channels":1,"out_channels":16,)" + fields + "}");
}

TEST(CheckedSize, MultiplyAndAddOverflowAreErrors) {
    EXPECT_EQ(checked_mul(int64_t(1) << 31, int64_t(1) << 31, "x"), int64_t(1) << 62);
    expect_error([] { checked_mul(int64_t(1) << 32, int64_t(1) << 32, "weights"); }, {"weights overflows"});
    expect_error([] { checked_add(INT64_MAX, 1, "offset"); }, {"offset overflows"});
    expect_error([] { element_count({2, -3}, "tensor"); }, {"negative dimension", "[2, -3]"});
    EXPECT_EQ(element_count({}, "scalar"), 1);
}

// The recipe that once wrote a 128-byte NPY claiming (1, 16, 2^30, 2^30).
TEST(Limits, HugePaddingIsRefusedBeforeRunning) {
    const LayerSpec s = spec(R"("kernel_size":2,"padding":536870912)");
    const PreparedLayer p = prepare_layer(s, testing::random_weights_for(s, 1));
    expect_error([&] { run_layer(p, testing::random_input({1, 1, 1, 1}, 2)); }, {"output", "[1, 16"});
    expect_error([&] { output_shape(s, {1, 1, 1, 1}); }, {"output"});
}

TEST(Limits, PaddedCopyOfTheInputMustFitAKernelBuffer) {
    const LayerSpec s = spec(R"("kernel_size":1,"padding":20000,"stride":4096)");
    expect_error([&] { output_shape(s, {1, 1, 1, 1}); }, {"padded input", "more than"});
}

TEST(Limits, DefaultPaddingThatIsNoValidPadding) {
    expect_error([] { spec(R"("kernel_size":5,"dilation":1073741824)"); },
                 {"default dilation * (kernel_size - 1) / 2 = 2147483648"});
}

TEST(Limits, KernelReachPastAnImageDimension) {
    expect_error([] { spec(R"("kernel_size":3,"dilation":1073741824,"padding":0)"); },
                 {"kernel reach", "2147483649"});
}

TEST(Limits, HugeKernelWeightsAreRefusedWithTheSpec) {
    expect_error([] { spec(R"("kernel_size":1073741824,"padding":0)"); }, {"weight 'weight'"});
    expect_error([] {
        parse_layer_spec(R"({"variant":"conv","in_channels":1048576,"out_channels":1048576,"kernel_size":1})");
    }, {"weight 'weight'", "more than", "a kernel buffer may hold"});
}

TEST(Limits, IntegerFieldsOutsideTheirRange) {
    expect_error([] { spec(R"("kernel_size":18446744073709551615)"); }, {"kernel_size", "outside [-2^30, 2^30]"});
    expect_error([] { spec(R"("kernel_size":-9223372036854775808)"); }, {"kernel_size", "outside"});
    expect_error([] { spec(R"("kernel_size":3,"stride":1e400)"); }, {"invalid JSON"});
}

TEST(Limits, InputLargerThanAKernelBuffer) {
    const LayerSpec s = spec(R"("kernel_size":1)");
    expect_error([&] { output_shape(s, {1, 1, 1 << 30, 1 << 30}); }, {"input [1, 1, 1073741824, 1073741824]", "more than"});
    expect_error([&] { output_shape(s, {1, 1, (int64_t(1) << 30) + 1, 1}); }, {"dimension 2", "2^30"});
}

TEST(Limits, HandBuiltSpecIsCheckedByPrepare) {
    LayerSpec s = spec(R"("kernel_size":3)");
    const WeightMap w = testing::random_weights_for(s, 1);
    s.groups = 0;
    expect_error([&] { prepare_layer(s, w); }, {"groups", ">= 1"});
    s.groups = 1;
    s.epilogue.bn_eps = -1;
    expect_error([&] { prepare_layer(s, w); }, {"bn_eps"});
}

TEST(Limits, HandBuiltSpecIsCheckedByOutputShape) {
    LayerSpec s = spec(R"("kernel_size":3)");
    s.groups = 0;
    expect_error([&] { output_shape(s, {1, 1, 8, 8}); }, {"groups"});
    s.groups = 1;
    s.stride = 0;
    expect_error([&] { output_shape(s, {1, 1, 8, 8}); }, {"stride"});
}

TEST(Limits, HandBuiltActivationOutsideTheEnumIsRefused) {
    LayerSpec s = spec(R"("kernel_size":3)");
    s.epilogue.activation = ActivationKind(7);
    expect_error([&] { prepare_layer(s, testing::random_weights_for(spec(R"("kernel_size":3)"), 1)); }, {"activation 7"});
}

TEST(Limits, InputAndOutputMustBeDifferentTensors) {
    const LayerSpec s = spec(R"("kernel_size":3)");
    const PreparedLayer p = prepare_layer(s, testing::random_weights_for(s, 1));
    Tensor x = testing::random_input({1, 1, 5, 5}, 2);
    expect_error([&] { run_layer(p, x, x); }, {"different tensors"});
}

// Weights built in code must agree with themselves; a prepared layer is made by
// prepare_layer only.
TEST(Limits, InconsistentHandBuiltTensorsAreRefused) {
    const LayerSpec s = spec(R"("kernel_size":3,"bias":true)");
    WeightMap w = testing::random_weights_for(s, 1);
    w["weight"].bytes.resize(w["weight"].bytes.size() - 8);
    expect_error([&] { prepare_layer(s, w); }, {"'weight' holds 568 bytes, but its shape needs 576"});
    expect_error([&] { run_layer(PreparedLayer(), testing::random_input({1, 1, 5, 5}, 2)); }, {"PreparedLayer is empty"});
}

TEST(Limits, NonFiniteWeightsAreRefused) {
    const LayerSpec s = spec(R"("kernel_size":3,"bias":true)");
    WeightMap w = testing::random_weights_for(s, 1);
    const float nan = std::numeric_limits<float>::quiet_NaN();
    std::memcpy(w["bias"].bytes.data() + 4 * 5, &nan, 4);
    expect_error([&] { prepare_layer(s, w); }, {"'bias' entry 5 is NaN"});
}

}  // namespace
}  // namespace convforge
