#include "strict_json.h"

#include <cstring>
#include <set>
#include <vector>

#include "convforge/convforge.h"
#include "limits.h"
#include "message_text.h"

namespace convforge {

nlohmann::json parse_json_strict(const std::string &text, const std::string &origin) {
    using json = nlohmann::json;
    const size_t nul = text.find('\0');
    if (nul != std::string::npos) throw Error(origin + ": NUL byte at offset " + std::to_string(nul) + " (not JSON text)");
    std::vector<std::set<std::string>> open_objects;
    auto on_event = [&](int depth, json::parse_event_t event, json &parsed) {
        if (event == json::parse_event_t::object_start || event == json::parse_event_t::array_start) {
            if (depth >= limits::kMaxJsonDepth)
                throw Error(origin + ": JSON nested deeper than " + std::to_string(limits::kMaxJsonDepth) + " levels");
        }
        if (event == json::parse_event_t::object_start) open_objects.emplace_back();
        if (event == json::parse_event_t::object_end) open_objects.pop_back();
        if (event == json::parse_event_t::key) {
            const std::string key = parsed.get<std::string>();
            if (!open_objects.back().insert(key).second) throw Error(origin + ": duplicate field " + excerpt(key));
        }
        return true;
    };
    try {
        return json::parse(text, on_event);
    } catch (const json::exception &e) {  // parse_error, or out_of_range for 1e400
        // nlohmann's message quotes the last token read, which may be a huge string.
        std::string what = e.what();
        if (what.size() > 4 * limits::kMaxQuotedChars) what = what.substr(0, 4 * limits::kMaxQuotedChars) + "...";
        throw Error(origin + ": invalid JSON: " + what);
    }
}

std::string json_excerpt(const nlohmann::json &value) {
    if (value.is_string()) return "the string " + excerpt(value.get<std::string>());
    if (value.is_array()) return "an array of " + std::to_string(value.size()) + " entries";
    if (value.is_object()) return "an object with " + std::to_string(value.size()) + " fields";
    return value.dump();  // a number, boolean or null: short
}

}  // namespace convforge
