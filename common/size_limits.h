// What convforge accepts, in one place. Every shape, size and byte count is checked
// against these before anything is allocated (see checked_size.h); docs/limits.md
// explains them to users.
#pragma once

#include <cstddef>
#include <cstdint>

namespace convforge::limits {

// Halide 14 buffers index with int32 and refuse a buffer of 2^31 bytes or more:
// no buffer a kernel sees (input, output, packed weights, the padded copy of the
// input it makes itself) may reach that.
constexpr int64_t kMaxTensorBytes = (int64_t(1) << 31) - 1;
constexpr int64_t kMaxTensorFloats = kMaxTensorBytes / int64_t(sizeof(float));
// One spatial extent, channel count or batch, padded or not.
constexpr int64_t kMaxDimension = int64_t(1) << 30;
// Everything one forward pass holds at once (input, output, padded input, packed
// weights): well inside the 24 GiB of the machines convforge is developed on.
constexpr int64_t kMaxLayerBytes = int64_t(8) << 30;

// Spec fields are integers in [-2^30, 2^30] before their own checks.
constexpr int64_t kMaxSpecInteger = int64_t(1) << 30;
// Rank of any tensor read from a weights file.
constexpr size_t kMaxTensorRank = 8;

// Text formats. A layer spec or schedule database is small; the safetensors
// header bound is the one the reference implementation uses (100 MB).
constexpr size_t kMaxSpecFileBytes = size_t(1) << 20;
constexpr size_t kMaxScheduleDatabaseBytes = size_t(16) << 20;
constexpr uint64_t kMaxSafetensorsHeaderBytes = 100'000'000;
// JSON nesting: a spec is two levels deep, a safetensors header three. Values
// (every scalar and container) bound the memory a parsed document takes: a
// header of 100,000 tensors has about 700,000.
constexpr int kMaxJsonDepth = 16;
constexpr size_t kMaxJsonValues = 4'000'000;

// Longest excerpt of a user's value an error message quotes.
constexpr size_t kMaxQuotedChars = 80;

}  // namespace convforge::limits
