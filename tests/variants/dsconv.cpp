// DSConv's own tests: its fields' rules, its two weight forms (and the messages
// that tell them apart), the b-bit range of the VQK, and the quantizer on blocks
// whose levels are worked out by hand: ties rounding half to even, the largest
// entry's sign, all-zero blocks and a ragged last block.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "../expect_error.h"
#include "../naive_reference.h"
#include "layer_weights.h"
#include "variants/dsconv_kernel.h"
#include "variant.h"

namespace convforge {
namespace {

using testing::expect_error;

std::string dsconv_json(const std::string &fields) {
    return R"({"variant":"dsconv","in_channels":12,"out_channels":4,"kernel_size":3)" +
           (fields.empty() ? "" : "," + fields) + "}";
}

TEST(DsconvSpec, DefaultsAndRequiredBits) {
    const LayerSpec s = parse_layer_spec(dsconv_json(R"("bits":4)"));
    EXPECT_EQ(variant_param(s, "block_size"), 32);
    EXPECT_EQ(variant_param(s, "kds_bias"), 0);
    EXPECT_EQ(variant_param(s, "cds"), 0);
    EXPECT_EQ(variant_param(s, "activation_bits"), 0);
    expect_error([] { parse_layer_spec(dsconv_json("")); }, {"dsconv needs the field 'bits'"});
}
TEST(DsconvSpec, FieldRules) {
    for (const char *bits : {"1", "9", "0", "-3"})
        expect_error([&] { parse_layer_spec(dsconv_json(std::string(R"("bits":)") + bits)); },
                     {"'bits' must be 2 to 8", (std::string("got ") + bits).c_str()});
    expect_error([] { parse_layer_spec(dsconv_json(R"("bits":4.5)")); }, {"'bits' must be a JSON integer"});
    expect_error([] { parse_layer_spec(dsconv_json(R"("bits":4,"block_size":0)")); }, {"'block_size' must be >= 1"});
    expect_error([] { parse_layer_spec(dsconv_json(R"("bits":4,"activation_bits":4)")); },
                 {"'activation_bits' must be 0 (float activations) or 8", "got 4"});
    // Integer mode's int32 block sums stay exact up to blocks of 1024 channels.
    EXPECT_NO_THROW(parse_layer_spec(dsconv_json(R"("bits":4,"activation_bits":8,"block_size":1024)")));
    expect_error([] { parse_layer_spec(dsconv_json(R"("bits":4,"activation_bits":8,"block_size":1025)")); },
                 {"'block_size' must be at most 1024 in integer mode", "got 1025"});
    EXPECT_NO_THROW(parse_layer_spec(dsconv_json(R"("bits":4,"block_size":1025)")));
}
// Boolean fields take true or false, nothing else, and specs built in code too.
TEST(DsconvSpec, BooleanFields) {
    const LayerSpec s = parse_layer_spec(dsconv_json(R"("bits":4,"kds_bias":true,"cds":false)"));
    EXPECT_EQ(variant_param(s, "kds_bias"), 1);
    EXPECT_EQ(variant_param(s, "cds"), 0);
    expect_error([] { parse_layer_spec(dsconv_json(R"("bits":4,"cds":1)")); }, {"field 'cds' must be true or false", "1"});
    expect_error([] { parse_layer_spec(dsconv_json(R"("bits":4,"kds_bias":"yes")")); },
                 {"field 'kds_bias' must be true or false"});
    LayerSpec built = s;
    built.params["cds"] = 2;
    const WeightMap w = testing::random_weights_for(s, 1);
    expect_error([&] { prepare_layer(built, w); }, {"field 'cds' is 2", "not true or false"});
}

std::vector<std::string> keys_of(const std::vector<ExpectedTensor> &tensors) {
    std::vector<std::string> keys;
    for (const ExpectedTensor &e : tensors) keys.push_back(e.key + ":" + e.dtype);
    return keys;
}

// Both forms carry the shifts; the quantized form's levels lie in b bits; blocks
// of 5 over 12 channels per group make 3 (the last of 2).
TEST(DsconvWeights, TwoFormsTheFirstQuantized) {
    const LayerSpec s = parse_layer_spec(dsconv_json(R"("bits":3,"block_size":5,"kds_bias":true,"cds":true,"bias":true)"));
    const std::vector<WeightForm> forms = expected_weight_forms(s);
    ASSERT_EQ(forms.size(), 2u);
    EXPECT_EQ(forms[0].name, "quantized");
    EXPECT_EQ(keys_of(forms[0].tensors),
              (std::vector<std::string>{"weight:I8", "alpha:F32", "KDSb:F32", "CDSw:F32", "CDSb:F32", "bias:F32"}));
    EXPECT_EQ(forms[1].name, "float");
    EXPECT_EQ(keys_of(forms[1].tensors),
              (std::vector<std::string>{"weight:F32", "KDSb:F32", "CDSw:F32", "CDSb:F32", "bias:F32"}));
    EXPECT_EQ(forms[0].tensors[0].value_range, (std::pair<int64_t, int64_t>{-4, 3}));
    EXPECT_EQ(forms[0].tensors[1].shape, (std::vector<int64_t>{4, 3, 3, 3}));
    expect_error([&] { expected_weights(s, "fp16"); }, {"no weight form 'fp16'", "'quantized', 'float'"});
}

TEST(DsconvWeights, TheFilesFormIsCheckedWhole) {
    const LayerSpec s = parse_layer_spec(dsconv_json(R"("bits":4)"));
    WeightMap quantized = testing::random_weights_for(s, 3);
    EXPECT_NO_THROW(check_weights(s, quantized));
    WeightMap floating = testing::random_weights_for(s, 4, false, "float");
    EXPECT_NO_THROW(check_weights(s, floating));
    // A float kernel with an alpha, or levels without one.
    WeightMap mixed = floating;
    mixed["alpha"] = quantized.at("alpha");
    expect_error([&] { check_weights(s, mixed); }, {"unexpected key 'alpha'", "in the float form (its 'weight' is F32)"});
    WeightMap bare = quantized;
    bare.erase("alpha");
    expect_error([&] { check_weights(s, bare); }, {"missing key 'alpha'", "in the quantized form (its 'weight' is I8)"});
    WeightMap none = quantized;
    none.erase("weight");
    expect_error([&] { check_weights(s, none); }, {"missing key 'weight'", "the quantized form's; its 'weight' is I8"});
    WeightMap wide = quantized;
    wide["weight"].dtype = "I64";
    expect_error([&] { check_weights(s, wide); },
                 {"key 'weight' has dtype 'I64'", "I8 (the quantized form) or F32 (the float form)"});
}

// 4 bits: levels in [-8, 7]; one level of 8 or -9 is refused by key and entry.
TEST(DsconvWeights, LevelsOutsideTheirBitsAreRefused) {
    const LayerSpec s = parse_layer_spec(dsconv_json(R"("bits":4)"));
    for (const int8_t bad : {int8_t(8), int8_t(-9), int8_t(127)}) {
        WeightMap w = testing::random_weights_for(s, 5);
        w["weight"].bytes[17] = uint8_t(bad);
        const std::string entry = "key 'weight' entry 17 is " + std::to_string(bad);
        expect_error([&] { check_weights(s, w); }, {entry.c_str(), "outside [-8, 7]"});
    }
    WeightMap edge = testing::random_weights_for(s, 6);
    edge["weight"].bytes[0] = uint8_t(int8_t(-8));
    edge["weight"].bytes[1] = uint8_t(int8_t(7));
    EXPECT_NO_THROW(check_weights(s, edge));
}

// One output channel, one tap, 5 channels in blocks of 3 (3 + 2), 4 bits:
// block 0 = {-1, 0.3125, 0.4375}: a = -1, scale 8, levels {-8, 2.5 -> 2, 3.5 -> 4};
// block 1 = {0, 0}: levels 0, alpha 0.
TEST(DsconvQuantizer, TiesRoundHalfToEvenAndZeroBlocksStayZero) {
    const KernelBlocks blocks{1, 5, 1, 3};
    const BlockQuantizedKernel q = quantize_kernel({-1.0f, 0.3125f, 0.4375f, 0.0f, 0.0f}, blocks, 4);
    EXPECT_EQ(q.levels, (std::vector<int8_t>{-8, 2, 4, 0, 0}));
    const double alpha = (8 + 0.3125 * 2 + 0.4375 * 4) / (64.0 + 4 + 16);
    ASSERT_EQ(q.alpha.size(), 2u);
    EXPECT_FLOAT_EQ(q.alpha[0], float(alpha));
    EXPECT_EQ(q.alpha[1], 0.0f);
}
// A positive largest entry maps to -2^(b-1) too (the scale is negative); of two
// entries of equal magnitude the first is the largest. 2 bits: levels in [-2, 1].
TEST(DsconvQuantizer, TheLargestEntryKeepsItsSign) {
    const KernelBlocks blocks{1, 3, 1, 3};
    // a = 0.5 (first of |0.5| = |-0.5|), scale -4: {0.5, -0.5, 0.125} -> {-2, 2 -> 1, -0.5 -> -0}.
    const BlockQuantizedKernel q = quantize_kernel({0.5f, -0.5f, 0.125f}, blocks, 2);
    EXPECT_EQ(q.levels, (std::vector<int8_t>{-2, 1, 0}));
    EXPECT_FLOAT_EQ(q.alpha[0], float((0.5 * -2 + -0.5 * 1) / 5.0));
}
// A block so small that -2^(b-1) / a overflows float still gets finite levels
// (in double): 8 bits, a = -2e-37 (below 128 / FLT_MAX), {a, 0, a / 2} -> {-128, 0, -64},
// alpha = -a / 128 (a float subnormal: 1e-5 of its value is its precision).
TEST(DsconvQuantizer, TinyBlocksStayFinite) {
    const KernelBlocks blocks{1, 3, 1, 3};
    const float a = -2e-37f;
    const BlockQuantizedKernel q = quantize_kernel({a, 0.0f, a / 2}, blocks, 8);
    EXPECT_EQ(q.levels, (std::vector<int8_t>{-128, 0, -64}));
    EXPECT_TRUE(std::isfinite(q.alpha[0]));
    EXPECT_NEAR(double(q.alpha[0]) * -128, a, 1e-5 * std::fabs(a));
}
// Blocks run along each (o, tap) separately: the same channels at another tap or
// output channel have their own largest entry.
TEST(DsconvQuantizer, EachOutputChannelAndTapHasItsOwnBlocks) {
    const KernelBlocks blocks{2, 2, 2, 2};  // [o][j][t]
    const BlockQuantizedKernel q = quantize_kernel({1, 4, 0.5f, -1, /*o=1*/ 2, 0, 1, 0}, blocks, 3);
    // o0 t0 {1, 0.5}: scale -4 -> {-4, -2}; o0 t1 {4, -1}: scale -1 -> {-4, 1};
    // o1 t0 {2, 1}: scale -2 -> {-4, -2}; o1 t1 {0, 0}: {0, 0}.
    EXPECT_EQ(q.levels, (std::vector<int8_t>{-4, -4, -2, 1, -4, 0, -2, 0}));
    EXPECT_EQ(q.alpha[blocks.at(1, 0, 1)], 0.0f);
}

// The layer computes with W_eff = alpha q (+ KDSb), CDSw W_eff + CDSb: setting
// KDSb and CDS changes the output, so neither is dropped.
TEST(DsconvLayer, ShiftsChangeTheOutput) {
    const LayerSpec plain = parse_layer_spec(dsconv_json(R"("bits":4,"block_size":5)"));
    const LayerSpec shifted = parse_layer_spec(dsconv_json(R"("bits":4,"block_size":5,"kds_bias":true,"cds":true)"));
    const WeightMap w = testing::random_weights_for(shifted, 9);
    WeightMap without = w;
    for (const char *key : {"KDSb", "CDSw", "CDSb"}) without.erase(key);
    const Tensor x = testing::random_input({1, 12, 7, 7}, 10);
    EXPECT_NE(testing::compare(run_layer(prepare_layer(shifted, w), x), run_layer(prepare_layer(plain, without), x)), "");
}

// Integer mode's activations, worked out by hand on a 1x1 layer whose kernel
// passes channel 0 through (levels {1, 0}, alpha 1, 8 bits, one block of 2):
// each output is x^0, channel 0's block floating point value, e = the larger of
// the two channels' floor(log2 |x|), q = round_half_even(x 2^(6 - e)):
//   {1 + 1/128, 0.5}: e = 0, 64.5 -> 64 (half to even), x^ = 1
//   {2 - 2^-23, 0}:   e = 0 (a float log2 would say 1), 127.99... -> 128 -> 127, x^ = 127/64
//   {0, 0}:           an all-zero block, 0
//   {0.3, -3}:        e = 1 (from channel 1), 9.6 -> 10, x^ = 10/32
TEST(DsconvIntegerMode, ActivationsAreBlockFloatingPoint) {
    const LayerSpec s = parse_layer_spec(
        R"({"variant":"dsconv","in_channels":2,"out_channels":1,"kernel_size":1,"bits":8,"block_size":2,"activation_bits":8})");
    WeightMap w;
    w["weight"] = {"I8", {1, 2, 1, 1}, {1, 0}};
    const float one = 1.0f;
    w["alpha"] = {"F32", {1, 1, 1, 1}, std::vector<uint8_t>(4)};
    std::memcpy(w["alpha"].bytes.data(), &one, 4);
    Tensor x;
    x.shape = {1, 2, 1, 4};
    x.data = {1.0078125f, std::nextafter(2.0f, 0.0f), 0.0f, 0.3f, /* channel 1 */ 0.5f, 0.0f, 0.0f, -3.0f};
    const Tensor y = run_layer(prepare_layer(s, w), x);
    EXPECT_EQ(y.data, (std::vector<float>{1.0f, 127.0f / 64, 0.0f, 10.0f / 32}));
}

}  // namespace
}  // namespace convforge
