// Checked arithmetic for every shape, element count, byte count and offset: a
// result is exact or the call throws Error naming what was being computed, so no
// size can wrap to a small number and reach an allocation or a kernel.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace convforge {

// a * b and a + b for non-negative operands; throws "<what> overflows" past int64.
int64_t checked_mul(int64_t a, int64_t b, const std::string &what);
int64_t checked_add(int64_t a, int64_t b, const std::string &what);

// The product of a shape's dimensions; every dimension must be >= 0.
int64_t element_count(const std::vector<int64_t> &shape, const std::string &what);

// Throws unless `value` <= `limit`, with a message such as
// "<what> is 4294967296 floats, more than the 536870911 a kernel buffer may hold".
void require_at_most(int64_t value, int64_t limit, const std::string &what, const char *unit, const char *why);

// The float count of a tensor a kernel will see, checked against the int32 limit.
int64_t kernel_tensor_floats(const std::vector<int64_t> &shape, const std::string &what);

}  // namespace convforge
