#include "case_table.h"

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "convforge/convforge.h"

#ifndef CONVFORGE_TEST_CASES
#error "CONVFORGE_TEST_CASES must name tests/cases"
#endif

namespace convforge::testing {

std::vector<LayerCase> all_layer_cases() {
    std::vector<LayerCase> cases;
    for (const std::string &variant : variant_names()) {
        const std::string path = std::string(CONVFORGE_TEST_CASES) + "/" + variant + ".json";
        std::ifstream in(path);
        if (!in) throw Error("no test cases for variant '" + variant + "': " + path + " is missing");
        std::stringstream text;
        text << in.rdbuf();
        const auto table = nlohmann::json::parse(text.str());
        for (const auto &c : table.at("cases")) {
            if (c.at("spec").at("variant") != variant) throw Error(path + ": case of another variant");
            cases.push_back({c.at("name").get<std::string>(), c.at("spec").dump(),
                             c.at("input").get<std::vector<int64_t>>(), c.value("optional_weights", false),
                             c.value("weight_form", std::string())});
        }
    }
    return cases;
}

}  // namespace convforge::testing
