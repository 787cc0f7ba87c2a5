// The shape-generic kernels compiled into this library at build time.
#pragma once

#include "../../generators/kernel_contract.h"
#include "convforge/convforge.h"

namespace convforge {

ConvKernelFn builtin_conv_kernel(ConvPath path, ActivationKind activation, bool on_gpu);

}  // namespace convforge
