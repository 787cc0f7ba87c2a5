// A schedule's declared knobs: each one's candidates and default on a target, and
// the rules a whole assignment must keep (registers, alignment). Schedules
// declare their space beside the code that reads the knobs (TVM's define_knob and
// fallback config); the generator, the schedule-database checks, `convforge list`
// and the tuner read the declarations, and nothing else lists knobs.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace convforge {

using KnobValues = std::map<std::string, int>;

struct Knob {
    std::string name;
    std::string meaning;
    std::vector<int> candidates;  // ascending; the default is one of them
    int default_value;
    // What a record that lacks the knob means: records tuned before the knob was
    // declared ran the nest of this value, which need not be today's default.
    int value_in_older_records;
};

struct KnobRule {
    std::string text;  // the rule as a reader states it, with its reason
    std::function<bool(const KnobValues &)> holds;
};

class KnobSpace {
public:
    // Declares a knob; its default joins the candidates if it is not among them.
    // `in_older_records`: the value records that lack it mean (default: the default).
    KnobSpace &knob(const std::string &name, const std::string &meaning, int default_value, std::vector<int> candidates,
                    std::optional<int> in_older_records = std::nullopt);
    // A rule reads knobs with `at` and depends on nothing else: points() checks it on
    // partial assignments and takes std::out_of_range to mean "not decidable yet".
    KnobSpace &rule(const std::string &text, std::function<bool(const KnobValues &)> holds);

    const std::vector<Knob> &knobs() const { return knobs_; }
    const std::vector<KnobRule> &rules() const { return rules_; }
    KnobValues defaults() const;
    // `given` (a record's knobs) over the defaults; when `given` is not empty (a
    // record), a knob it lacks takes its value_in_older_records. Throws
    // std::invalid_argument naming an unknown knob, a value that is not a
    // candidate or a broken rule.
    KnobValues resolve(const KnobValues &given) const;
    // Assignments of the candidates, before the rules.
    uint64_t size() const;
    // Every assignment that keeps the rules (the tuner's search space).
    std::vector<KnobValues> points() const;
    uint64_t point_count() const;  // points().size(), without holding them
    // Each point, in the order of points(), without holding them.
    void for_each_point(const std::function<void(const KnobValues &)> &visit) const;

private:
    std::vector<Knob> knobs_;
    std::vector<size_t> knobs_by_name_;  // indices into knobs_, in name order
    std::vector<KnobRule> rules_;
};

// "name:value,name:value" (generator arguments cannot contain '='), parsed
// strictly: throws std::invalid_argument naming a malformed item.
KnobValues parse_knob_text(const std::string &text);

}  // namespace convforge
