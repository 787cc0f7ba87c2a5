// JSON parsing that rejects duplicate keys at any depth (nlohmann keeps the last
// one silently), for layer specs and safetensors headers alike.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace convforge {

// Throws Error("<origin>: duplicate field 'k'") or Error("<origin>: invalid JSON: ...").
nlohmann::json parse_json_strict(const std::string &text, const std::string &origin);

}  // namespace convforge
