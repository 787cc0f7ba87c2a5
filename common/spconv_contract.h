// What SPConv's runtime definition and its generator agree on beyond the conv's
// contract: the generator parameter that bakes the split into a kernel emitted for
// one layer (its 3x3 branch's input channels; 0: given at run time).
#pragma once

namespace convforge::fixed_param {
constexpr const char *split = "fixed_split";
}  // namespace convforge::fixed_param
