// convforge's replacement for Halide's halide_error, which aborts by default:
// messages are kept so the failing call can throw convforge::Error with them.
#pragma once

#include <string>

namespace convforge {

// The last Halide error message on this thread (or, failing that, on any thread:
// errors raised inside a parallel task arrive on a worker), then forgets it.
std::string take_halide_error();

}  // namespace convforge
