// DSConv's kernels (VARIANTS.md, dsconv): b-bit integer levels (the VQK) with
// one float alpha per (output channel, block of input channels, tap), blocks of
// block_size channels along each group's C/g input channels, the last one
// possibly shorter. Quantizing a float kernel follows the official engine; the
// kernels expand levels and alphas themselves (generators/dsconv*.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace convforge {

struct KernelBlocks {
    int out_channels, channels, taps, block_size;  // O, C/g, k*k, B
    int count() const { return (channels + block_size - 1) / block_size; }  // nblk
    // Index of (o, block, tap) in an [O, nblk, k, k] tensor (alpha, KDSb).
    size_t at(int o, int block, int tap) const { return (size_t(o) * count() + block) * taps + tap; }
};

struct BlockQuantizedKernel {
    std::vector<int8_t> levels;  // [O, C/g, k, k]
    std::vector<float> alpha;    // [O, nblk, k, k]
};

// Per (o, block, tap): a = the entry of largest |w| (the first of equals, sign
// kept), q = clamp(round_half_even(w * (-2^(b-1) / a)), -2^(b-1), 2^(b-1) - 1)
// (0 for an all-zero block; in double where the float scale overflows), alpha =
// sum(w q) / sum(q^2) (0 when that is 0).
BlockQuantizedKernel quantize_kernel(const std::vector<float> &weight, const KernelBlocks &blocks, int bits);

// The kernel and channel distribution shifts: KDSb [O, nblk, k, k], CDSw and
// CDSb [O]; each empty when the layer has none.
struct DistributionShifts {
    std::vector<float> kds_bias, cds_weight, cds_bias;
};

}  // namespace convforge
