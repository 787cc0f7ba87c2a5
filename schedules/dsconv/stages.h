// DSConv's integer mode (generators/dsconv.cpp): the stages its schedules place.
// Activations become block floating point (a shared exponent per pixel and block
// of channels, 8-bit mantissas), the conv sums int8 x int8 products in int32 per
// block and tap, and each such sum is scaled into a float accumulator.
#pragma once

#include "../conv/stages.h"

namespace convforge {

struct DsconvStages {
    ConvGeometry geometry;
    Halide::Expr valid = Halide::Internal::const_true();
    Halide::Func block_max;    // (x, y, b, n) int32: the largest exponent in the block, over the image
    // Over the zero-padded image, each a pure fill and an update over the image:
    Halide::Func mantissas;    // (lane, x, y, q, b, n) int8: block b's channel 4 q + lane
    Halide::Func scale;        // (x, y, b, n) float: 2^(e - 6), 0 off the image
    Halide::RDom in_block;     // block_max's update: the block's channels
    Halide::RDom image;        // the updates over the image: (x, y)
    // From the mantissas, over the padded image:
    Halide::Func mantissa_sums;  // (x, y, b, n) int32: the sum of the block's q
    Halide::RDom in_mantissas;   // its update: (lane, group of 4) of the block
    Halide::Func scaled_sums;    // (x, y, b, n) float: 2^(e - 6) times that sum
    Halide::Func dot_levels;     // (lane, o, c / 4, kx, ky) levels as the dot product takes them
    bool levels_biased = false;  // dot_levels is u8 q_w + 128 (x86), not the input itself
    Halide::Func dot;            // (o, x, y, n, b, kx, ky) int32: sum of mantissa x level over the block
    Halide::RDom dot_r;          // (lane of 4 channels, group of 4)
    Halide::Func acc;            // (o, x, y, n) float: bias + the scaled sums
    Halide::RDom taps_r;         // (kx, ky, b)
    Halide::Func output;         // (x, y, o, n)
};

// Integer mode: the CPU loop nest x86 and ARM share (cpu.cpp), its space with
// `fallback` as the defaults (x86.cpp and arm.cpp choose them), and the CUDA one
// (cuda.cpp). One path: `path` is the one dsconv_paths.def lists.
KnobSpace dsconv_cpu_knob_space(const TargetFacts &facts, const KnobValues &fallback);
KnobSpace dsconv_knob_space_x86(const TargetFacts &facts, ConvPath path);
KnobSpace dsconv_knob_space_arm(const TargetFacts &facts, ConvPath path);
KnobSpace dsconv_knob_space_cuda(const TargetFacts &facts, ConvPath path);
void schedule_dsconv_cpu(const DsconvStages &s, const KnobValues &k, const TargetFacts &facts);
void schedule_dsconv_cuda(const DsconvStages &s, const KnobValues &k, const TargetFacts &facts);

// Exact mode (generators/dsconv_exact.cpp): the conv's pipeline over the
// effective kernel (tile lane, c, kx, ky, tile) expanded from the levels.
struct DsconvExactStages {
    ConvStages conv;
    Halide::Func kernel;
};

// The conv's schedule and knobs, the kernel expanded where the conv's loops read
// it a chunk at a time (KernelChunkLevel), else whole once per call, tiles in
// parallel (cpu.cpp, cuda.cpp).
KernelChunkLevel schedule_dsconv_exact_cpu(const DsconvExactStages &s, const KnobValues &k, const TargetFacts &facts);
KernelChunkLevel schedule_dsconv_exact_cuda(const DsconvExactStages &s, const KnobValues &k, const TargetFacts &facts);

}  // namespace convforge
