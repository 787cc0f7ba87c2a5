// The stages of the SAConv pipeline (generators/saconv.cpp) a schedule may
// touch, and the SAConv schedules and knob spaces each target's file defines.
#pragma once

#include <array>
#include <optional>

#include "../conv/stages.h"

namespace convforge {

// One branch's accumulator and its reduction.
struct SaconvBranch {
    Halide::Func acc;
    Halide::RDom r;
};

struct SaconvStages {
    // The conv pass: `conv.output` is the layer output, `conv.acc` and `conv.r`
    // the small branch (dilation d), `conv.padded` the input padded once by 3p
    // (with the pre-context added) that both branches read.
    ConvStages conv;
    Halide::Func padded_small;  // the small branch's view of conv.padded (offset by 2p)
    std::optional<WinogradConv> small_winograd;  // the small branch by Winograd (conv.acc is its acc), if so
    Halide::Func acc_large;     // the large branch (dilation 3d)
    std::optional<WinogradConv> large_winograd;  // the large branch by Winograd (acc_large is its acc), if so
    Halide::RDom r_large;
    Halide::Func small_blend;  // (o, x, y, n) S ys
    Halide::Func blend;        // (o, x, y, n) small_blend + (1 - S) yl
    // Input-dependent vectors and maps, each small next to the conv pass.
    GlobalAveragePool gap_x;      // (c, n) mean of the input
    Halide::Func pre_context;     // (c, n) the vector added to x
    Halide::Func switch_offset;   // (n) the switch's bias plus its weights times pre_context
    Halide::Func switch_input;    // (x, y, n) the switch's weighted channel sum of x
    Halide::RDom channel_r;       // its reduction over input channels
    Halide::Func switch_padded;   // (x, y, n) switch_input reflect-padded by 2
    Halide::Func switch_map;      // (x, y, n) S at output resolution
    Halide::Func tap_sums;        // (c, kx, ky, n) Tuple: sum of S x' and of (1 - S) x' per tap
    Halide::RDom tap_sums_r;      // its reduction over output pixels
    Halide::Func blended_sum;     // (o, n) sum of z over the output pixels, from tap_sums
    Halide::RDom blended_sum_r;   // its reduction over (kx, ky, c) of a group
    Halide::Func post_context;    // (o, n) the vector added to z
    Halide::Func output_shift;    // (o, n) BN scale * (bias + post-context) + BN shift

    // Both branches, the small one first.
    std::array<SaconvBranch, 2> branches() const { return {{{conv.acc, conv.r}, {acc_large, r_large}}}; }
};

// The CPU schedule x86 and ARM share (cpu.cpp), its space the target's conv knobs
// (which each branch's register tile reads) with the knobs of SAConv's own loops;
// the CUDA schedule and its space (cuda.cpp).
KnobSpace saconv_knob_space_cpu(const TargetFacts &facts, ConvPath path);
void schedule_saconv_cpu(const SaconvStages &s, const KnobValues &k, const TargetFacts &facts);
KnobSpace saconv_knob_space_cuda(const TargetFacts &facts, ConvPath path);
void schedule_saconv_cuda(const SaconvStages &s, const KnobValues &k, const TargetFacts &facts);

}  // namespace convforge
