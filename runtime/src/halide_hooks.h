// What convforge's runtime supplies in place of Halide runtime defaults (in one
// object, so linking the runtime always brings them):
// - halide_error, which aborts by default: messages are kept so the failing call
//   can throw convforge::Error with them;
// - on AArch64, halide_can_use_target_features: Halide 14 reports no AArch64 CPU
//   features and takes every sub-target as usable, so a multi-target kernel would
//   run sdot on a CPU without it (SIGILL); the runtime asks Linux instead. (Being
//   the function itself, it replaces halide_set_custom_can_use_target_features
//   there.)
#pragma once

#include <string>

namespace convforge {

// The last Halide error message on this thread (or, failing that, on any thread:
// errors raised inside a parallel task arrive on a worker), then forgets it.
std::string take_halide_error();

}  // namespace convforge
