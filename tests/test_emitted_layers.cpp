// Kernels emitted for one layer spec at build time (convforge_add_layer_library),
// run through the runtime against the naive reference, and refusing other layers.
// The layers are each variant's (tests/emitted/<variant>.json, which says why each
// is there); the build emits them and writes the table of their kernels.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "emitted_layer_table.h"
#include "naive_reference.h"

#ifndef CONVFORGE_TEST_LAYERS
#error "CONVFORGE_TEST_LAYERS must name tests/layers"
#endif

namespace convforge {
namespace {

using nlohmann::json;

struct EmittedLayerCase {
    std::string name;
    json layer;  // its entry in emitted/<variant>.json
    EmittedKernel kernel;
};

// Test names and failure messages show the layer's name, not its bytes.
void PrintTo(const EmittedLayerCase &c, std::ostream *os) { *os << c.name; }

json read_json(const std::string &path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot read " + path);
    return json::parse(in);
}

std::vector<EmittedLayerCase> emitted_layer_cases() {
    const std::map<std::string, EmittedKernel> kernels = CONVFORGE_EMITTED_LAYERS;
    std::vector<EmittedLayerCase> cases;
    for (const char *file : CONVFORGE_EMITTED_LAYER_FILES) {
        const json list = read_json(file);
        for (const json &layer : list.at("layers")) {
            const std::string name = layer.at("name");
            cases.push_back({name, layer, kernels.at(name)});
        }
    }
    return cases;
}

// The layer's spec with `changes` (top-level fields) applied.
LayerSpec spec_of(const json &layer, const json &changes = json::object()) {
    const std::string path = std::string(CONVFORGE_TEST_LAYERS) + "/" + layer.at("spec").get<std::string>();
    json spec = read_json(path);
    for (const auto &[field, value] : changes.items()) spec[field] = value;
    return parse_layer_spec(spec.dump(), path);
}

class EmittedLayer : public ::testing::TestWithParam<EmittedLayerCase> {};

TEST_P(EmittedLayer, MatchesReference) {
    const EmittedLayerCase &c = GetParam();
    SCOPED_TRACE(c.layer.at("why").get<std::string>());
    const LayerSpec s = spec_of(c.layer);
    const WeightMap w = testing::random_weights_for(s, 77);
    const PreparedLayer layer = prepare_layer(s, w);
    ASSERT_FALSE(c.layer.at("shapes").empty());
    for (const json &shape : c.layer.at("shapes")) {
        const Tensor x = testing::random_input(shape.get<std::vector<int64_t>>(), 78);
        EXPECT_EQ(testing::compare(run_layer_with(layer, x, c.kernel), testing::naive_forward(s, w, x)), "")
            << "input " << shape.dump();
    }
}

INSTANTIATE_TEST_SUITE_P(Variants, EmittedLayer, ::testing::ValuesIn(emitted_layer_cases()),
                         [](const ::testing::TestParamInfo<EmittedLayerCase> &info) { return info.param.name; });

std::vector<EmittedLayerCase> refusing_cases() {
    std::vector<EmittedLayerCase> cases;
    for (EmittedLayerCase &c : emitted_layer_cases())
        if (c.layer.contains("refuses")) cases.push_back(std::move(c));
    return cases;
}

// A call breaking what the kernel was emitted for fails with one of the messages
// the layer lists, and never runs.
class EmittedLayerRefusal : public ::testing::TestWithParam<EmittedLayerCase> {};

TEST_P(EmittedLayerRefusal, RefusesAnotherLayer) {
    const EmittedLayerCase &c = GetParam();
    const json &refused = c.layer.at("refuses");
    const LayerSpec other = spec_of(c.layer, refused.at("changes"));
    const PreparedLayer layer = prepare_layer(other, testing::random_weights_for(other, 79));
    try {
        run_layer_with(layer, testing::random_input(refused.at("shape").get<std::vector<int64_t>>(), 80), c.kernel);
        ADD_FAILURE() << "the kernel ran a layer it was not emitted for: " << refused.at("changes").dump();
    } catch (const Error &e) {
        const std::string message = e.what();
        bool named = false;
        for (const json &expected : refused.at("messages")) named |= message.find(expected.get<std::string>()) != std::string::npos;
        EXPECT_TRUE(named) << message;
    }
}

INSTANTIATE_TEST_SUITE_P(Variants, EmittedLayerRefusal, ::testing::ValuesIn(refusing_cases()),
                         [](const ::testing::TestParamInfo<EmittedLayerCase> &info) { return info.param.name; });

}  // namespace
}  // namespace convforge
