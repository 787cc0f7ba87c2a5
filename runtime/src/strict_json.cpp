#include "strict_json.h"

#include <set>
#include <vector>

#include "convforge/convforge.h"

namespace convforge {

nlohmann::json parse_json_strict(const std::string &text, const std::string &origin) {
    using json = nlohmann::json;
    std::vector<std::set<std::string>> open_objects;
    auto on_event = [&](int, json::parse_event_t event, json &parsed) {
        if (event == json::parse_event_t::object_start) open_objects.emplace_back();
        if (event == json::parse_event_t::object_end) open_objects.pop_back();
        if (event == json::parse_event_t::key) {
            const std::string key = parsed.get<std::string>();
            if (!open_objects.back().insert(key).second) throw Error(origin + ": duplicate field '" + key + "'");
        }
        return true;
    };
    try {
        return json::parse(text, on_event);
    } catch (const json::parse_error &e) {
        throw Error(origin + ": invalid JSON: " + e.what());
    }
}

}  // namespace convforge
