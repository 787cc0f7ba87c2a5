// The CPU conv schedule x86 and ARM share, and its knob space: the two differ only
// in the defaults (and the vector width and register count of their targets),
// which their own files choose.
#pragma once

#include "stages.h"

namespace convforge {

// The knobs of `path`'s loop nest, with `fallback` (a value per knob name, as
// each target's file chooses them) as the defaults.
KnobSpace cpu_conv_knob_space(const TargetFacts &facts, ConvPath path, const KnobValues &fallback);

// Whether the dense path's knobs chunk its reduction (input_channel_chunk > 0).
inline bool dense_reduction_chunked(const KnobValues &k) { return k.at("input_channel_chunk") > 0; }

// Where the loop nest of s.output holds one register tile (its accumulators
// compute there; with a chunked dense reduction, the task, whose band of
// accumulators they are), one parallel task, and one tile of output channels
// over all the pixels the loops inside it cover (dense: the channel-tile loop,
// outermost when the weights are larger than an image, inside each task
// otherwise; chunked, the task).
struct ConvTileLevels {
    Halide::LoopLevel tile, task, channels;
    // Whether `channels` lies inside `task` (a stage computed there must not be
    // parallel: it would nest in a parallel task); a condition on the layer.
    Halide::Expr channels_in_task;
    // Where the NHWC input copy is built: the loop over images when they run one
    // at a time (image_at_a_time), else the root (the whole batch first).
    Halide::LoopLevel copy = Halide::LoopLevel::root();
    bool copy_per_image = false;
};

// schedule_conv_cpu in its three pieces, for a pipeline whose output tile reads
// more than one accumulator of the conv core (SAConv's two branches): the
// output's tiling, the register tile of one accumulator `acc` (reduction `r`)
// inside it, called once per accumulator (it says where that accumulator's loops
// read the kernel a chunk at a time), and the padded input's placement.
ConvTileLevels tile_conv_output_cpu(const ConvStages &s, const KnobValues &k, const TargetFacts &facts);
KernelChunkLevel schedule_conv_accumulator_cpu(const ConvStages &s, Halide::Func acc, const Halide::RDom &r,
                                               const ConvTileLevels &at, const KnobValues &k, const TargetFacts &facts);
void schedule_conv_padded_cpu(const ConvStages &s, const ConvTileLevels &at, const TargetFacts &facts);

// A register tile of `f` (o, x, y, ...) computed at `at`: tile_o output channels
// (its first dimension) in vectors of `vec`, tile_x x tile_y pixels (the next
// two), all unrolled; bounding it to constant extents lets LLVM keep it in
// registers. Its updates are the caller's.
void place_in_register_tile(Halide::Func f, const Halide::LoopLevel &at, int tile_o, int tile_x, int tile_y, int vec);

// `v` of `stage` parallel unless `in_task` (a condition on the layer, as
// ConvTileLevels::channels_in_task) says the stage runs inside a parallel task.
void parallel_unless_in_task(Halide::Stage stage, const Halide::VarOrRVar &v, const Halide::Expr &in_task);

// The Winograd form of the conv core (winograd_conv_core), its products and
// output tiles computed at `region` (the pixels of one tile_o channel tile a
// consumer of its acc covers; `region_in_task`: whether that lies inside a
// parallel task, as ConvTileLevels::channels_in_task). Per transform element,
// every register tile of the region (tile_o channels x tiles_x x tiles_y
// Winograd tiles) sums over input channels in turn, in registers, and is stored
// once, so the element's weights stay in L1 while they serve the region; the
// transformed input is built once for the batch, the transformed weights once per
// call.
void schedule_winograd_cpu(const WinogradConv &w, const Halide::LoopLevel &region, const Halide::Expr &region_in_task,
                           int tile_o, int tiles_x, int tiles_y, const TargetFacts &facts);

// GAP over NCHW planes as the CPU runs it: column sums a channel plane at a
// time (one task each), rows vectorized with predicated tails (a 14-wide row is
// shorter than one AVX-512 vector, and a guarded tail would run it scalar).
void schedule_global_average_pool_cpu(const GlobalAveragePool &gap, const TargetFacts &facts);

}  // namespace convforge
