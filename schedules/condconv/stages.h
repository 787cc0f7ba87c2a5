// The stages of the CondConv pipeline (generators/condconv.cpp) a schedule may
// touch, and the CondConv schedules and knob spaces each target's file defines.
#pragma once

#include "../conv/stages.h"

namespace convforge {

struct CondconvStages {
    // The conv pass: conv.acc reads each image's kernel and bias.
    ConvStages conv;
    GlobalAveragePool gap;          // (c, n) mean of the input
    Halide::Func routing_logits;    // (e, n) routing_fn of the GAP
    Halide::RDom routing_r;         // its reduction over input channels
    Halide::Func routing;           // (e, n) their sigmoids
    Halide::Func sample_weights;    // (o, c, kx, ky, n) image n's kernel, mixed from the experts
    Halide::Func sample_bias;       // (o, n) image n's bias
    Halide::RDom experts_r;         // the mixes' reduction over experts
};

KnobSpace condconv_knob_space_x86(const TargetFacts &facts, ConvPath path);
KnobSpace condconv_knob_space_arm(const TargetFacts &facts, ConvPath path);
KnobSpace condconv_knob_space_cuda(const TargetFacts &facts, ConvPath path);
void schedule_condconv_cuda(const CondconvStages &s, const KnobValues &k, const TargetFacts &facts);

// The CPU schedule x86 and ARM share (schedules/condconv/cpu.cpp), and its space:
// the conv's, with `fallback` (the target's conv fallbacks) chunked where the
// dense path needs it.
void schedule_condconv_cpu(const CondconvStages &s, const KnobValues &k, const TargetFacts &facts);
KnobSpace condconv_cpu_knob_space(const TargetFacts &facts, ConvPath path, KnobValues fallback);

// The space of the target's family, and its schedule.
KnobSpace condconv_knob_space(const TargetFacts &facts, ConvPath path);
void schedule_condconv(const CondconvStages &s, const KnobValues &k, const TargetFacts &facts);

}  // namespace convforge
