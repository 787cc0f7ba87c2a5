#include "strict_json.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <set>
#include <vector>

#include "convforge/convforge.h"
#include "size_limits.h"
#include "message_text.h"

namespace convforge {

namespace {

using json = nlohmann::json;

// nlohmann's message quotes the last token read, which may be a huge string with
// any bytes in it.
std::string bounded_message(const std::exception &e) {
    const size_t max = 4 * limits::kMaxQuotedChars;
    const char *what = e.what();
    const size_t length = ::strnlen(what, max + 1);
    return escaped(std::string(what, std::min(length, max))) + (length > max ? "..." : "");
}


// A first pass over the text, as SAX events: duplicate keys, depth and the number
// of values are checked before any DOM exists. (nlohmann's parse callbacks would
// do the same in one pass, but its callback parser rescans a container each time a
// child object closes: quadratic time on a long array of objects.)
class StrictnessCheck {
public:
    explicit StrictnessCheck(const std::string &origin) : origin_(origin) {}

    bool null() { return value(); }
    bool boolean(bool) { return value(); }
    bool number_integer(json::number_integer_t) { return value(); }
    bool number_unsigned(json::number_unsigned_t) { return value(); }
    bool number_float(json::number_float_t, const json::string_t &) { return value(); }
    bool string(json::string_t &) { return value(); }
    bool binary(json::binary_t &) { return value(); }
    bool start_object(std::size_t) { return open(true); }
    bool start_array(std::size_t) { return open(false); }
    bool end_object() { return close(); }
    bool end_array() { return close(); }
    bool key(json::string_t &k) {
        if (!open_.back()->insert(k).second) throw Error(origin_ + ": duplicate field " + excerpt(k));
        return true;
    }
    bool parse_error(std::size_t, const std::string &, const nlohmann::detail::exception &e) {
        throw Error(origin_ + ": invalid JSON: " + bounded_message(e));
    }

private:
    bool value() {
        if (++values_ > limits::kMaxJsonValues)
            throw Error(origin_ + ": JSON holds more than " + std::to_string(limits::kMaxJsonValues) + " values");
        return true;
    }
    bool open(bool object) {
        if (open_.size() >= size_t(limits::kMaxJsonDepth))
            throw Error(origin_ + ": JSON nested deeper than " + std::to_string(limits::kMaxJsonDepth) + " levels");
        open_.emplace_back(object ? std::optional<std::set<std::string>>(std::in_place) : std::nullopt);
        return value();
    }
    bool close() {
        open_.pop_back();
        return true;
    }

    const std::string &origin_;
    std::vector<std::optional<std::set<std::string>>> open_;  // keys seen, per open object
    size_t values_ = 0;
};

}  // namespace

nlohmann::json parse_json_strict(const std::string &text, const std::string &origin) {
    const size_t nul = text.find('\0');
    if (nul != std::string::npos) throw Error(origin + ": NUL byte at offset " + std::to_string(nul) + " (not JSON text)");
    StrictnessCheck check(origin);
    json::sax_parse(text, &check);
    try {
        return json::parse(text);  // the same grammar has just accepted the text
    } catch (const json::exception &e) {
        throw Error(origin + ": invalid JSON: " + bounded_message(e));
    }
}

std::string json_excerpt(const nlohmann::json &value) {
    if (value.is_string()) return "the string " + excerpt(value.get<std::string>());
    if (value.is_array()) return "an array of " + std::to_string(value.size()) + " entries";
    if (value.is_object()) return "an object with " + std::to_string(value.size()) + " fields";
    return value.dump();  // a number, boolean or null: short
}

}  // namespace convforge
