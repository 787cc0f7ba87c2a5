#include "npy_header.h"

#include "convforge/convforge.h"
#include "size_limits.h"
#include "message_text.h"

namespace convforge {

namespace {

class HeaderParser {
public:
    HeaderParser(const std::string &text, const std::string &where) : text_(text), where_(where) {}

    NpyHeader parse() {
        NpyHeader h;
        bool seen_descr = false, seen_order = false, seen_shape = false;
        skip_space();
        expect('{');
        skip_space();
        while (!at('}')) {
            const std::string key = string_literal("a key");
            skip_space();
            expect(':');
            skip_space();
            if (key == "descr") {
                once(seen_descr, key);
                h.descr = string_literal("the value of 'descr'");
            } else if (key == "fortran_order") {
                once(seen_order, key);
                h.fortran_order = boolean_literal();
            } else if (key == "shape") {
                once(seen_shape, key);
                h.shape = int_tuple();
            } else {
                fail("unknown key " + excerpt(key) + " (an NPY header has exactly 'descr', 'fortran_order' and 'shape')");
            }
            skip_space();
            if (at(',')) {
                ++pos_;
                skip_space();
            } else if (!at('}')) {
                fail("expected ',' or '}'");
            }
        }
        ++pos_;
        skip_space();
        if (pos_ != text_.size()) fail("unexpected text after the closing '}'");
        for (const auto &[seen, name] : {std::pair{seen_descr, "descr"}, {seen_order, "fortran_order"}, {seen_shape, "shape"}})
            if (!seen) fail(std::string("has no '") + name + "' key");
        return h;
    }

private:
    [[noreturn]] void fail(const std::string &problem) const {
        throw Error(where_ + ": header " + problem + " (at byte " + std::to_string(pos_) + " of the header)");
    }
    bool at(char c) const { return pos_ < text_.size() && text_[pos_] == c; }
    void expect(char c) {
        if (!at(c)) fail(std::string("expected '") + c + "'");
        ++pos_;
    }
    void skip_space() {
        while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r'))
            ++pos_;
    }
    void once(bool &seen, const std::string &key) {
        if (seen) fail("repeats the key " + excerpt(key));
        seen = true;
    }

    // 'text' or "text", without escapes (numpy's keys and dtype strings have none).
    std::string string_literal(const char *what) {
        if (!at('\'') && !at('"')) fail(std::string("expected a quoted string as ") + what);
        const char quote = text_[pos_++];
        const size_t end = text_.find(quote, pos_);
        if (end == std::string::npos) fail("has an unterminated string");
        std::string value = text_.substr(pos_, end - pos_);
        if (value.find('\\') != std::string::npos || value.find('\n') != std::string::npos)
            fail("has an escape or line break inside a string");
        pos_ = end + 1;
        return value;
    }

    bool boolean_literal() {
        for (const auto &[word, value] : {std::pair{"True", true}, {"False", false}}) {
            const std::string w = word;
            if (text_.compare(pos_, w.size(), w) == 0) {
                pos_ += w.size();
                return value;
            }
        }
        fail("expected True or False as the value of 'fortran_order'");
    }

    // (), (5,), (1, 2) or (1, 2,): non-negative decimal integers.
    std::vector<int64_t> int_tuple() {
        expect('(');
        std::vector<int64_t> dims;
        bool comma_after_last = false;
        skip_space();
        while (!at(')')) {
            if (at('-')) fail("has a negative dimension in 'shape'");
            const size_t start = pos_;
            int64_t value = 0;
            while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
                if (value > limits::kMaxDimension) fail("has a dimension in 'shape' larger than 2^30");
                value = value * 10 + (text_[pos_++] - '0');
            }
            if (pos_ == start) fail("expected a non-negative integer in 'shape'");
            if (value > limits::kMaxDimension) fail("has a dimension in 'shape' larger than 2^30");
            if (dims.size() == limits::kMaxTensorRank)
                fail("has more than " + std::to_string(limits::kMaxTensorRank) + " dimensions in 'shape'");
            dims.push_back(value);
            skip_space();
            comma_after_last = at(',');
            if (comma_after_last) {
                ++pos_;
                skip_space();
            } else if (!at(')')) {
                fail("expected ',' or ')' in 'shape'");
            }
        }
        ++pos_;
        // In Python (5) is the integer 5, not a tuple: numpy writes (5,).
        if (dims.size() == 1 && !comma_after_last) fail("'shape' is not a tuple");
        return dims;
    }

    const std::string &text_;
    const std::string &where_;
    size_t pos_ = 0;
};

}  // namespace

NpyHeader parse_npy_header(const std::string &text, const std::string &where) { return HeaderParser(text, where).parse(); }

}  // namespace convforge
