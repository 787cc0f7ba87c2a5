// How error messages print what the user gave: shapes in full, anything of the
// user's own text (keys, names, values) as a bounded, escaped excerpt, so a
// 100 MB key name cannot become a 100 MB error line.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "size_limits.h"

namespace convforge {

// "[2, 3, 4]"
inline std::string shape_text(const std::vector<int64_t> &shape) {
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
}

// A floating-point value as messages print it: at most 9 significant digits and
// an exponent ("1e+308", not std::to_string's 309 digits).
inline std::string number_text(double value) {
    char text[32];
    std::snprintf(text, sizeof text, "%.9g", value);
    return text;
}

// `text` with control bytes and '\\' as \xNN, so a message stays on one line.
inline std::string escaped(const std::string &text) {
    static const char hex[] = "0123456789abcdef";
    std::string s;
    for (const char ch : text) {
        const unsigned char c = static_cast<unsigned char>(ch);
        if ((c >= 0x20 && c != 0x7f && c != '\\')) {
            s += ch;
        } else {
            s += "\\x";
            s += hex[c >> 4];
            s += hex[c & 15];
        }
    }
    return s;
}

// 'text', escaped, cut after kMaxQuotedChars with "... (N bytes)" appended.
inline std::string excerpt(const std::string &text) {
    const bool cut = text.size() > limits::kMaxQuotedChars;
    return "'" + escaped(cut ? text.substr(0, limits::kMaxQuotedChars) : text) + "'" +
           (cut ? "... (" + std::to_string(text.size()) + " bytes)" : "");
}

// A file path as messages print it: escaped, and a very long one as its start and
// its end (where the file name is).
inline std::string path_text(const std::string &path) {
    constexpr size_t kEnds = 200;
    if (path.size() <= 2 * kEnds + 100) return escaped(path);
    return escaped(path.substr(0, kEnds)) + "...(" + std::to_string(path.size()) + " bytes)..." +
           escaped(path.substr(path.size() - kEnds));
}

}  // namespace convforge
