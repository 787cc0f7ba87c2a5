// What DSConv's runtime definition and its generators agree on beyond the conv's
// contract: the generator parameter that bakes the block size into a kernel emitted
// for one layer (0: given at run time).
#pragma once

namespace convforge::fixed_param {
constexpr const char *block_size = "fixed_block_size";
}  // namespace convforge::fixed_param
