// Every registered variant against its naive C++ reference, over the variant's
// table of cases (tests/cases/<variant>.json, which the golden-data maker reads
// too, for PyTorch).
#include <gtest/gtest.h>

#include "case_table.h"
#include "naive_reference.h"

namespace convforge {
namespace {

class VariantAgainstNaive : public ::testing::TestWithParam<testing::LayerCase> {};

TEST_P(VariantAgainstNaive, MatchesReference) {
    const testing::LayerCase &c = GetParam();
    const LayerSpec s = parse_layer_spec(c.spec_json, c.name);
    const unsigned seed = unsigned(std::hash<std::string>{}(c.name));
    const WeightMap w = testing::random_weights_for(s, seed, c.optional_weights, c.weight_form);
    const Tensor x = testing::random_input(c.input_shape, seed + 1);
    EXPECT_EQ(testing::compare(run_layer(prepare_layer(s, w), x), testing::naive_forward(s, w, x)), "");
}

INSTANTIATE_TEST_SUITE_P(Configs, VariantAgainstNaive, ::testing::ValuesIn(testing::all_layer_cases()),
                         [](const auto &info) { return info.param.name; });

}  // namespace
}  // namespace convforge
