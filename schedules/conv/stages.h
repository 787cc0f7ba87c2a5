// The stages of a conv pipeline a schedule may touch. Generators build it; the
// per-target schedule functions decide loop order, tiling and placement.
#pragma once

#include "Halide.h"
#include "../../generators/building_blocks.h"
#include "conv_contract.h"
#include "../knob_space.h"
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

// Where a schedule reads the conv's kernel one chunk at a time (a chunk of input
// channels of one output-channel tile), each chunk made there once serving many
// pixels: a stage producing the kernel (DSConv's exact mode expands it from int8
// levels) computed at `loop` makes one chunk while it is hot, and never the whole
// kernel at once. `whole_kernel`: no such loop, and `loop` is the root.
struct KernelChunkLevel {
    Halide::LoopLevel loop = Halide::LoopLevel::root();
    bool whole_kernel = true;
};

// The conv schedule's knob space on each target family (x86.cpp, arm.cpp: the
// CPU loop nest's fallbacks, through cpu_conv_knob_space in cpu.h; cuda.cpp), and
// its two loop nests (cpu.cpp, cuda.cpp); dispatch.cpp picks by family.
KnobSpace conv_knob_space_x86(const TargetFacts &facts, ConvPath path);
KnobSpace conv_knob_space_arm(const TargetFacts &facts, ConvPath path);
KnobSpace conv_knob_space_cuda(const TargetFacts &facts, ConvPath path);
KernelChunkLevel schedule_conv_cpu(const ConvStages &s, const KnobValues &k, const TargetFacts &facts);
KernelChunkLevel schedule_conv_cuda(const ConvStages &s, const KnobValues &k, const TargetFacts &facts);

// The space of the target's family, and its schedule: also the knobs and the
// conv pass of the variants that run the conv's loop nest.
KnobSpace conv_knob_space(const TargetFacts &facts, ConvPath path);
KernelChunkLevel schedule_conv(const ConvStages &s, const KnobValues &k, const TargetFacts &facts);

// The output columns one register tile spans in a CPU schedule with these knobs
// (its tiles start at multiples of it), for conv_core's skip_column_group; 0 where
// the knobs have no such tile (the GPU schedules, the grouped and pointwise paths).
int register_tile_columns(const TargetFacts &facts, const KnobValues &k);

}  // namespace convforge
