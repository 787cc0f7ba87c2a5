// JSON parsing for layer specs, safetensors headers and the schedule database:
// duplicate keys are errors at any depth (nlohmann keeps the last one silently),
// nesting is bounded before a deep value is built (so nothing later recurses
// through it), and a NUL byte is an error (nlohmann would stop there and accept
// whatever junk follows).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace convforge {

// Throws Error("<origin>: duplicate field 'k'"), "<origin>: invalid JSON: ...",
// "... nested deeper than N levels" or "... NUL byte at offset N".
nlohmann::json parse_json_strict(const std::string &text, const std::string &origin);

// A value as an error message shows it: scalars as bounded text, containers by
// their kind and size, never the whole value.
std::string json_excerpt(const nlohmann::json &value);

}  // namespace convforge
