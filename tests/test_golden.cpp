// Every registered variant's cases against golden data made at test time by PyTorch
// (reference/make_golden.py). The directory comes from CONVFORGE_GOLDEN_DIR.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "naive_reference.h"

namespace convforge {
namespace {

std::string golden_dir() {
    const char *dir = std::getenv("CONVFORGE_GOLDEN_DIR");
    return dir ? dir : "";
}

std::vector<std::string> golden_cases() {
    std::vector<std::string> names;
    std::ifstream list(golden_dir() + "/cases.txt");
    for (std::string line; std::getline(list, line);) {
        if (!line.empty()) names.push_back(line);
    }
    return names;
}

TEST(Golden, CasesExist) {
    ASSERT_FALSE(golden_dir().empty()) << "CONVFORGE_GOLDEN_DIR is not set";
    EXPECT_GE(golden_cases().size(), 50u) << "golden data missing in " << golden_dir();
}

class GoldenCase : public ::testing::TestWithParam<std::string> {};
// Without CONVFORGE_GOLDEN_DIR (test discovery) there are no cases; Golden.CasesExist
// is what fails when the golden run finds none.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(GoldenCase);

TEST_P(GoldenCase, MatchesPyTorch) {
    const std::string dir = golden_dir() + "/" + GetParam();
    const LayerSpec spec = load_layer_spec(dir + "/spec.json");
    const PreparedLayer layer = prepare_layer(spec, load_safetensors(dir + "/weights.safetensors"));
    const Tensor got = run_layer(layer, load_npy(dir + "/input.npy"));
    EXPECT_EQ(testing::compare(got, load_npy(dir + "/expected.npy")), "");
}

INSTANTIATE_TEST_SUITE_P(PyTorch, GoldenCase, ::testing::ValuesIn(golden_cases()),
                         [](const auto &info) { return info.param; });

}  // namespace
}  // namespace convforge
