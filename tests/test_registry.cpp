// The registry and what the build derived from it agree: every built-in kernel a
// variant declares was emitted and linked (CPU and, where built, CUDA), and
// nothing else was; every variant has a case table and a naive reference.
#include <gtest/gtest.h>

#include <algorithm>

#include "HalideRuntime.h"

#include "kernel_table.h"
#include "variant.h"
#include "case_table.h"
#include "naive_reference.h"

namespace convforge {
namespace {

std::vector<std::string> declared_builtin_kernels() {
    std::vector<std::string> names;
    for (const VariantDefinition *v : registered_variants())
        for (const BuiltinKernel &k : v->builtin_kernels()) names.push_back(k.name);
    std::sort(names.begin(), names.end());
    return names;
}

TEST(Registry, BuildLinkedExactlyTheDeclaredBuiltinKernels) {
    const std::vector<std::string> declared = declared_builtin_kernels();
    ASSERT_FALSE(declared.empty());
    EXPECT_EQ(builtin_kernel_names(false), declared);
#ifdef CONVFORGE_HAVE_CUDA_KERNELS
    EXPECT_EQ(builtin_kernel_names(true), declared);
#endif
    for (const std::string &name : declared) {
        const EmittedKernel &k = builtin_kernel(name, false);
        ASSERT_NE(k.metadata, nullptr);
        EXPECT_EQ(std::string(k.metadata()->name), name);
    }
}

TEST(Registry, EveryVariantHasCasesAndAReference) {
    const auto cases = testing::all_layer_cases();
    for (const std::string &variant : variant_names()) {
        const auto count = std::count_if(cases.begin(), cases.end(), [&](const testing::LayerCase &c) {
            return parse_layer_spec(c.spec_json, c.name).variant == variant;
        });
        EXPECT_GE(count, 10) << variant;
        const auto first = std::find_if(cases.begin(), cases.end(), [&](const testing::LayerCase &c) {
            return parse_layer_spec(c.spec_json, c.name).variant == variant;
        });
        ASSERT_NE(first, cases.end());
        const LayerSpec s = parse_layer_spec(first->spec_json, first->name);
        EXPECT_NO_THROW(testing::naive_forward(s, testing::random_weights_for(s, 5), testing::random_input(first->input_shape, 6)))
            << variant;
    }
}

TEST(Registry, UnknownBuiltinKernelNamesTheKnownOnes) {
    try {
        find_builtin_kernel("convforge_conv_dense_gelu");
        ADD_FAILURE() << "an unknown kernel name was accepted";
    } catch (const Error &e) {
        EXPECT_NE(std::string(e.what()).find("convforge_conv_dense_relu"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace convforge
