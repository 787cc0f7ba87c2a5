// The tunable knobs of the conv schedules, their target-derived defaults, and their
// text form ("name:value,name:value"; Halide generator
// arguments cannot contain '=') used by the schedule database and the driver.
#pragma once

#include <string>
#include <vector>

#include "Halide.h"

namespace convforge {

struct ConvKnobs {
    int vector_width = 8;      // float lanes of one SIMD vector
    int channel_vectors = 2;   // dense: output-channel vectors per register tile
    int tile_x = 5;            // dense: output columns per register tile
    int tile_y = 1;            // dense: output rows per register tile
    int grouped_vectors = 2;   // grouped: width vectors per register run
    int pointwise_channels = 4;  // pointwise: output channels per register tile
    int pointwise_vectors = 3;   // pointwise: width vectors per register tile
    int gpu_threads_x = 16;    // cuda: thread block columns
    int gpu_threads_y = 4;     // cuda: thread block rows
    int gpu_channels = 4;      // cuda: output channels per thread block (z)

    int dense_tile_channels() const { return vector_width * channel_vectors; }
};

struct KnobField {
    const char *name;
    int ConvKnobs::*member;
};
const std::vector<KnobField> &conv_knob_fields();

// Defaults derived from the target's facts (vector width, registers, GPU-ness),
// chosen by the target's own schedule file (schedules/<target>/conv.cpp).
ConvKnobs default_conv_knobs(const Halide::Target &target);

// Applies "name:value,..." on top of `knobs`; throws std::invalid_argument naming
// an unknown knob or a bad value.
void apply_knob_text(ConvKnobs &knobs, const std::string &text);

// Rejects knob values the kernel contract cannot honour.
void check_conv_knobs(const ConvKnobs &knobs);

}  // namespace convforge
