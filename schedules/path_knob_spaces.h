// The knob spaces of a generator whose schedule-database shape classes are the conv
// paths it takes (its generators/<variant>_paths.def; SAConv, CondConv): one space
// per target family, on a path, and their registration for the database checks,
// `convforge list` and the tuner.
#pragma once

#include <string>
#include <vector>

#include "../generators/conv_contract.h"
#include "knob_space.h"
#include "target_facts.h"

namespace convforge {

using PathKnobSpaceFn = KnobSpace (*)(const TargetFacts &facts, ConvPath path);

struct PathKnobSpaces {
    PathKnobSpaceFn cuda, arm, x86;
    // The space of `facts`' target family.
    KnobSpace on(const TargetFacts &facts, ConvPath path) const;
};

// Registers `spaces` under `variant_key`, its shape classes the paths named
// `path_names`; returns true (call from a static initializer).
bool register_path_knob_spaces(const std::string &variant_key, std::vector<std::string> path_names,
                               PathKnobSpaces spaces);

}  // namespace convforge
