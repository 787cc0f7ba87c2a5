// How error messages print what the user gave: shapes in full, anything of the
// user's own text (keys, names, values) as a bounded, escaped excerpt, so a
// 100 MB key name cannot become a 100 MB error line.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "limits.h"

namespace convforge {

// "[2, 3, 4]"
inline std::string shape_text(const std::vector<int64_t> &shape) {
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
}

// 'text' with non-printable bytes as \xNN, cut after kMaxQuotedChars with
// "... (N bytes)" appended.
inline std::string excerpt(const std::string &text) {
    static const char hex[] = "0123456789abcdef";
    std::string s = "'";
    size_t shown = 0;
    for (; shown < text.size() && shown < limits::kMaxQuotedChars; ++shown) {
        const unsigned char c = static_cast<unsigned char>(text[shown]);
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            s += char(c);
        } else {
            s += "\\x";
            s += hex[c >> 4];
            s += hex[c & 15];
        }
    }
    s += "'";
    if (shown < text.size()) s += "... (" + std::to_string(text.size()) + " bytes)";
    return s;
}

}  // namespace convforge
