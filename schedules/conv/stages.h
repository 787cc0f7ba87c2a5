// The stages of a conv pipeline a schedule may touch. Generators build it; the
// per-target schedule functions decide loop order, tiling and placement.
#pragma once

#include "Halide.h"
#include "../../generators/building_blocks.h"
#include "../../generators/conv_contract.h"
#include "knobs.h"
#include "../target_facts.h"

namespace convforge {

struct ConvStages {
    Halide::Func padded;   // zero-padded input (x, y, c, n)
    Halide::Func acc;      // accumulator (o, x, y, n), pure init + reduction update
    Halide::Func output;   // NCHW output (x, y, o, n) after the epilogue
    Halide::RDom r;        // (kx, ky, c) reduction of `acc`
    ConvGeometry geometry; // constants or runtime parameters, for specializations
    // True when the call matches what the kernel was emitted for. The generator
    // ends with output.specialize(valid) + specialize_fail; Halide tries output
    // specializations in order, so every one a schedule adds must include `valid`
    // or a bad call could run it instead of failing: specialize_output() is how.
    Halide::Expr valid;
    ConvPath path;

    // The one way a schedule specializes the output: `valid && condition`.
    Halide::Stage specialize_output(const Halide::Expr &condition) const {
        Halide::Func out = output;  // a handle to the same function
        return out.specialize(valid && condition);
    }
};

// Each target's file: its default knobs and its schedule.
ConvKnobs default_conv_knobs_x86(const TargetFacts &facts);
ConvKnobs default_conv_knobs_arm(const TargetFacts &facts);
ConvKnobs default_conv_knobs_cuda(const TargetFacts &facts);
void schedule_conv_x86(const ConvStages &s, const ConvKnobs &k);
void schedule_conv_arm(const ConvStages &s, const ConvKnobs &k);
void schedule_conv_cuda(const ConvStages &s, const ConvKnobs &k);

// Picks the schedule for the target the generator is compiling for.
void schedule_conv(const ConvStages &s, const ConvKnobs &k, const Halide::Target &target);

}  // namespace convforge
