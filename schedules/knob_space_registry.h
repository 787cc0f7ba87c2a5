// The knob spaces of every generator's schedules, by the `variant` key their
// schedule-database records carry ("conv"). Each variant's VariantSchedule
// (schedules/variant_schedule.h) registers its own; the schedule-database
// checks, `convforge list` and the tuner look them up here.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "knob_space.h"
#include "target_facts.h"

namespace convforge {

using KnobSpaceFn = std::function<KnobSpace(const TargetFacts &facts, const std::string &shape_class)>;
using ShapeClassesFn = std::function<std::vector<std::string>()>;

// Call once per variant key, from a static initializer (VariantSchedule does);
// returns true. `space` is only called with one of `shape_classes()` (knob_space
// checks the class first).
bool register_knob_space(const std::string &variant_key, KnobSpaceFn space, ShapeClassesFn shape_classes);

// Throws std::invalid_argument naming an unknown variant key or shape class.
KnobSpace knob_space(const std::string &variant_key, const TargetFacts &facts, const std::string &shape_class);
std::vector<std::string> knob_space_variants();

struct ScheduleRecord;
// Throws convforge::Error "<db_path>: record <key>: <why>" when `record`'s knobs
// lie outside its schedule's declared space on `facts`' target.
void check_record_in_space(const ScheduleRecord &record, const TargetFacts &facts, const std::string &db_path);
// The check `convforge list` makes of every record, and `tune` of every record of
// the database it writes: check_record_in_space on the target the record's key
// names; a key no convforge target has is never looked up and passes.
void check_record_knobs(const ScheduleRecord &record, const std::string &db_path);
std::vector<std::string> knob_space_shape_classes(const std::string &variant_key);

}  // namespace convforge
