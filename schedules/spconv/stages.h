// The stages of the SPConv pipeline (generators/spconv.cpp) a schedule may touch,
// and the SPConv schedules and knob spaces each target's file defines.
#pragma once

#include "../conv/stages.h"

namespace convforge {

struct SpconvStages {
    Halide::Func output;
    ConvGeometry geometry;  // the 3x3 branch's: C3 input channels in `groups` groups
    Halide::Expr valid;     // the call keeps the emitted layer's geometry and SPConv's rules
    Halide::Func padded;    // (x, y, c, n) x3 padded by 1
    Halide::Func pooled;    // (x, y, c, n) P(x), every channel
    // (o, x, y, n), both branches' sums: gwc (update 0, over r_grouped), pwc
    // (update 1, over r_representative), their sum times its softmax scale
    // (update 2), conv1x1 with scaled weights (update 3, over r_uncertain).
    Halide::Func acc_representative;
    Halide::RDom r_grouped, r_representative, r_uncertain;
    // The softmax weights before the conv pass.
    Halide::Func column_sums;      // (x, ky, c, n) sum of column x of x over the rows tap row ky reads
    Halide::RDom column_sums_r;    // its reduction over the rows
    Halide::Func tap_sums;         // (c, kx, ky, n) sum of padded x3 under each tap over the output positions
    Halide::Func mean;             // (c, n) mean of x
    Halide::Func branch_means;     // (o, n) Tuple: GAP(Y3), GAP(Y1)
    Halide::Func mix;              // (o, n) Tuple: s3, s1, offset of out = s3 (gwc + pwc) + (s1 conv1x1) + offset
};

// The CPU schedule x86 and ARM share (cpu.cpp) and the CUDA one (cuda.cpp), with
// their knob spaces (one path: `path` is the one spconv_paths.def lists).
KnobSpace spconv_knob_space_cpu(const TargetFacts &facts, ConvPath path);
void schedule_spconv_cpu(const SpconvStages &s, const KnobValues &k, const TargetFacts &facts);
KnobSpace spconv_knob_space_cuda(const TargetFacts &facts, ConvPath path);
void schedule_spconv_cuda(const SpconvStages &s, const KnobValues &k, const TargetFacts &facts);

}  // namespace convforge
