// Which generator compiles a layer, with which generator parameters, and under
// which (variant, shape class) key its knobs are looked up in the schedule
// database. The one place that maps variants to kernels: a new variant is a new
// case here plus its generator.
#pragma once

#include <string>
#include <vector>

#include "convforge/convforge.h"

namespace convforge {

struct KernelPlan {
    std::string generator;     // registered Halide generator name
    std::string variant;       // schedule database variant key
    std::string shape_class;   // schedule database shape-class key
    std::vector<std::string> params;  // "name=value" generator parameters
};

// A kernel for exactly this layer: geometry baked in as constants.
KernelPlan plan_layer_kernel(const LayerSpec &spec);
// A shape-generic conv kernel (as the runtime links) for a path and activation.
KernelPlan plan_generic_conv_kernel(const std::string &path, const std::string &activation);

}  // namespace convforge
