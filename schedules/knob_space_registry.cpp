#include "knob_space_registry.h"

#include <algorithm>
#include <map>
#include <stdexcept>

#include "message_text.h"
#include "convforge/convforge.h"
#include "schedule_database.h"

namespace convforge {

namespace {

struct Entry {
    KnobSpaceFn space;
    ShapeClassesFn shape_classes;
};

std::map<std::string, Entry> &entries() {
    static std::map<std::string, Entry> all;
    return all;
}

const Entry &entry(const std::string &variant_key) {
    const auto it = entries().find(variant_key);
    if (it == entries().end()) throw std::invalid_argument("no schedule has knobs for variant '" + variant_key + "'");
    return it->second;
}

}  // namespace

bool register_knob_space(const std::string &variant_key, KnobSpaceFn space, ShapeClassesFn shape_classes) {
    if (!entries().emplace(variant_key, Entry{space, shape_classes}).second)
        throw std::logic_error("two knob spaces are registered under '" + variant_key + "'");
    return true;
}

// The class is checked here, against the variant's own list, so the message names
// the variant asked for: two keys may share one space function (dsconv_exact has
// the conv's).
KnobSpace knob_space(const std::string &variant_key, const TargetFacts &facts, const std::string &shape_class) {
    const Entry &e = entry(variant_key);
    const std::vector<std::string> classes = e.shape_classes();
    if (std::find(classes.begin(), classes.end(), shape_class) == classes.end()) {
        std::string known;
        for (const std::string &c : classes) known += (known.empty() ? "" : ", ") + c;
        throw std::invalid_argument(variant_key + " has no shape class " + excerpt(shape_class) + " (known: " + known + ")");
    }
    return e.space(facts, shape_class);
}

std::vector<std::string> knob_space_variants() {
    std::vector<std::string> keys;
    for (const auto &[key, e] : entries()) keys.push_back(key);
    return keys;
}

void check_record_in_space(const ScheduleRecord &r, const TargetFacts &facts, const std::string &db_path) {
    try {
        knob_space(r.variant, facts, r.shape_class).resolve(r.knobs);
    } catch (const std::invalid_argument &e) {
        throw Error(path_text(db_path) + ": record " + r.target + "/" + r.variant + "/" + r.shape_class +
                    (r.workload.empty() ? "" : "/" + r.workload) + ": " + e.what());
    }
}

void check_record_knobs(const ScheduleRecord &r, const std::string &db_path) {
    TargetFacts facts;
    if (!target_facts_for_key(r.target, facts)) return;
    check_record_in_space(r, facts, db_path);
}

std::vector<std::string> knob_space_shape_classes(const std::string &variant_key) {
    return entry(variant_key).shape_classes();
}

}  // namespace convforge
