#include "checked_size.h"

#include "convforge/convforge.h"
#include "size_limits.h"
#include "message_text.h"

namespace convforge {

int64_t checked_mul(int64_t a, int64_t b, const std::string &what) {
    int64_t r = 0;
    if (a < 0 || b < 0 || __builtin_mul_overflow(a, b, &r))
        throw Error(what + " overflows (" + std::to_string(a) + " x " + std::to_string(b) + ")");
    return r;
}

int64_t checked_add(int64_t a, int64_t b, const std::string &what) {
    int64_t r = 0;
    if (a < 0 || b < 0 || __builtin_add_overflow(a, b, &r))
        throw Error(what + " overflows (" + std::to_string(a) + " + " + std::to_string(b) + ")");
    return r;
}

int64_t element_count(const std::vector<int64_t> &shape, const std::string &what) {
    int64_t count = 1;
    for (int64_t d : shape) {
        if (d < 0) throw Error(what + " has a negative dimension in shape " + shape_text(shape));
        count = checked_mul(count, d, what + " element count of shape " + shape_text(shape));
    }
    return count;
}

void require_at_most(int64_t value, int64_t limit, const std::string &what, const char *unit, const char *why) {
    if (value > limit)
        throw Error(what + " is " + std::to_string(value) + " " + unit + ", more than the " + std::to_string(limit) +
                    " " + why);
}

int64_t kernel_tensor_floats(const std::vector<int64_t> &shape, const std::string &what) {
    const int64_t floats = element_count(shape, what);
    require_at_most(floats, limits::kMaxTensorFloats, what + " " + shape_text(shape), "floats",
                    "a kernel buffer may hold (2^31 bytes: Halide's int32 indexing)");
    return floats;
}

}  // namespace convforge
