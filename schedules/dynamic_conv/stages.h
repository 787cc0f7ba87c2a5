// What the schedules of the dynamic convolutions (CondConv, ODConv: a kernel per
// image, mixed from experts by attention on the input) share: their stages, the
// CPU loop nest x86 and ARM use, and the CUDA one. Each variant's generator fills
// the stages; its schedules/<variant>/dispatch.cpp defines its schedule from these.
#pragma once

#include <vector>

#include "../conv/stages.h"

namespace convforge {

struct DynamicConvStages {
    // The conv pass: conv.acc reads each image's kernel (sample_weights).
    ConvStages conv;
    GlobalAveragePool gap;          // (c, n) mean of the input, where the attention starts
    Halide::Func sample_weights;    // (o, c, kx, ky, n) image n's kernel (mix_experts)
    Halide::RDom experts_r;         // its reduction over the experts
    // The attention between them: small stages (first dimension a vector of
    // channels, experts or taps, the last the image), each computed once for the
    // batch, with their own reductions over short dimensions.
    std::vector<Halide::Func> attention;
};

// CPU (cpu.cpp): the conv's loop nest, each task mixing its image's kernel for
// its channel tile; the space is the conv's, chunked on the dense path.
void schedule_dynamic_conv_cpu(const DynamicConvStages &s, const KnobValues &k, const TargetFacts &facts);
KnobSpace dynamic_conv_knob_space_cpu(const TargetFacts &facts, ConvPath path);

// CUDA (cuda.cpp): every image's kernel mixed in one pass,
// then the conv in warp tiles (dense) or thread tiles (grouped).
void schedule_dynamic_conv_cuda(const DynamicConvStages &s, const KnobValues &k, const TargetFacts &facts);
KnobSpace dynamic_conv_knob_space_cuda(const TargetFacts &facts, ConvPath path);

}  // namespace convforge
