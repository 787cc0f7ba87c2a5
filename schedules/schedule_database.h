// The schedule database: knob values keyed by (target, variant, shape class),
// read when kernels are emitted. A missing record means target defaults.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace convforge {

struct ScheduleRecord {
    std::string target;       // TargetFacts::database_key, e.g. "x86-64-avx2"
    std::string variant;      // "conv"
    std::string shape_class;  // "dense" | "grouped"
    std::map<std::string, int> knobs;
    std::string measured;     // what the values were measured on
};

class ScheduleDatabase {
public:
    // Throws convforge::Error naming the file, the record and the problem.
    static ScheduleDatabase load(const std::string &path);
    // The same from text; `origin` prefixes every message.
    static ScheduleDatabase parse(const std::string &text, const std::string &origin);

    const ScheduleRecord *find(const std::string &target, const std::string &variant,
                               const std::string &shape_class) const;
    const std::vector<ScheduleRecord> &records() const { return records_; }

private:
    std::vector<ScheduleRecord> records_;
};

// Knob text for one sub-target: "key@name:value,...". A kernel compiled for several
// sub-targets (x86 multi-target) gets one section per sub-target, joined by ';'.
std::string knob_section(const std::string &target_key, const std::map<std::string, int> &knobs);
// The section of `text` for `target_key`, or "" when it has none.
std::string knob_section_for(const std::string &text, const std::string &target_key);

}  // namespace convforge
