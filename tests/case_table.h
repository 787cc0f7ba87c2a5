// The tables of test cases, one per registered variant (tests/cases/<variant>.json),
// shared with reference/make_golden.py.
#pragma once

#include <string>
#include <vector>

namespace convforge::testing {

struct LayerCase {
    std::string name;
    std::string spec_json;
    std::vector<int64_t> input_shape;  // NCHW
    bool optional_weights = false;     // give the optional keys too (DO-Conv's d_diag)
    std::string weight_form;           // the weights' form ("": the variant's default; DSConv's "float")
};

// Every case of every variant in variant_names(); throws when a table is missing.
std::vector<LayerCase> all_layer_cases();

}  // namespace convforge::testing
