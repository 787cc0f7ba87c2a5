// The shape-generic kernels compiled into this library at build time, by name.
#pragma once

#include <string>
#include <vector>

#include "convforge/convforge.h"

namespace convforge {

// The CUDA build of `name` when `on_gpu`, else the CPU one; throws when this
// build has no kernel of that name.
const EmittedKernel &builtin_kernel(const std::string &name, bool on_gpu);
// Every kernel of the CPU (or CUDA) set this build linked.
std::vector<std::string> builtin_kernel_names(bool on_gpu);

}  // namespace convforge
