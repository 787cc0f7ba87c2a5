// The one shape of every variant's schedule (schedules/<variant>/dispatch.cpp
// defines one): its knob space on each target family, per conv path its generator
// takes (a one-path variant takes one), and its loop nest, the CPU one x86 and ARM
// share or the GPU one of every GPU API (each variant's cuda.cpp: its warp-lane
// tiles and DP4A compile for CUDA alone so far). Defining it registers the spaces
// under the variant's schedule-database key, which makes its records checkable,
// listable and tunable; the generator finds it by that key.
#pragma once

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "conv_contract.h"
#include "knob_space.h"
#include "target_facts.h"

namespace convforge {

using PathKnobSpaceFn = KnobSpace (*)(const TargetFacts &facts, ConvPath path);

struct FamilyKnobSpaces {
    PathKnobSpaceFn x86, arm, gpu;
    // The space of `facts`' target family.
    KnobSpace on(const TargetFacts &facts, ConvPath path) const;
};

// Registers `spaces` under the schedule-database key `variant_key`, its shape
// classes the names of `paths`.
void register_path_knob_spaces(const std::string &variant_key, const std::vector<ConvPath> &paths,
                               const FamilyKnobSpaces &spaces);

template <typename Stages, typename Result = void>
class VariantSchedule {
public:
    using ScheduleFn = Result (*)(const Stages &s, const KnobValues &k, const TargetFacts &facts);

    // Define at namespace scope (a static initializer): `paths` are the names of
    // the generator's <generator>_paths.def.
    VariantSchedule(const std::string &variant_key, const std::vector<ConvPath> &paths, FamilyKnobSpaces spaces,
                    ScheduleFn cpu, ScheduleFn gpu)
        : spaces_(spaces), cpu_(cpu), gpu_(gpu) {
        if (!by_key().emplace(variant_key, this).second)
            throw std::logic_error("two schedules are defined for '" + variant_key + "'");
        register_path_knob_spaces(variant_key, paths, spaces);
    }
    VariantSchedule(const VariantSchedule &) = delete;
    VariantSchedule &operator=(const VariantSchedule &) = delete;

    // The schedule defined under `variant_key` (a generator's, at generate time).
    static const VariantSchedule &of(const std::string &variant_key) {
        const auto it = by_key().find(variant_key);
        if (it == by_key().end()) throw std::logic_error("no schedule is defined for '" + variant_key + "'");
        return *it->second;
    }

    KnobSpace knob_space(const TargetFacts &facts, ConvPath path) const { return spaces_.on(facts, path); }
    Result schedule(const Stages &s, const KnobValues &k, const TargetFacts &facts) const {
        return facts.family == ScheduleFamily::Gpu ? gpu_(s, k, facts) : cpu_(s, k, facts);
    }

private:
    static std::map<std::string, const VariantSchedule *> &by_key() {
        static std::map<std::string, const VariantSchedule *> schedules;
        return schedules;
    }

    FamilyKnobSpaces spaces_;
    ScheduleFn cpu_, gpu_;
};

}  // namespace convforge
