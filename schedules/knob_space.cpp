#include "knob_space.h"

#include <algorithm>
#include <sstream>
#include <stdexcept>

namespace convforge {

namespace {

std::string candidates_text(const Knob &k) {
    std::string text;
    for (int v : k.candidates) text += (text.empty() ? "" : ", ") + std::to_string(v);
    return text;
}

}  // namespace

KnobSpace &KnobSpace::knob(const std::string &name, const std::string &meaning, int default_value,
                           std::vector<int> candidates, std::optional<int> in_older_records) {
    const int older = in_older_records.value_or(default_value);
    for (int v : {default_value, older})
        if (std::find(candidates.begin(), candidates.end(), v) == candidates.end()) candidates.push_back(v);
    std::sort(candidates.begin(), candidates.end());
    candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
    knobs_.push_back({name, meaning, std::move(candidates), default_value, older});
    return *this;
}

KnobSpace &KnobSpace::rule(const std::string &text, std::function<bool(const KnobValues &)> holds) {
    rules_.push_back({text, std::move(holds)});
    return *this;
}

KnobValues KnobSpace::defaults() const {
    KnobValues values;
    for (const Knob &k : knobs_) values[k.name] = k.default_value;
    return values;
}

KnobValues KnobSpace::resolve(const KnobValues &given) const {
    KnobValues values = defaults();
    if (!given.empty())
        for (const Knob &k : knobs_) values[k.name] = k.value_in_older_records;
    for (const auto &[name, value] : given) {
        const auto k = std::find_if(knobs_.begin(), knobs_.end(), [&](const Knob &d) { return d.name == name; });
        if (k == knobs_.end()) {
            std::string known;
            for (const Knob &d : knobs_) known += (known.empty() ? "" : ", ") + d.name;
            throw std::invalid_argument("unknown knob '" + name + "' (this schedule's knobs: " + known + ")");
        }
        if (!std::binary_search(k->candidates.begin(), k->candidates.end(), value))
            throw std::invalid_argument("knob '" + name + "' is " + std::to_string(value) +
                                        ", not one of its declared values (" + candidates_text(*k) + ")");
        values[name] = value;
    }
    for (const KnobRule &r : rules_) {
        if (!r.holds(values)) {
            std::string text;
            for (const auto &[name, value] : values) text += (text.empty() ? "" : ", ") + name + " " + std::to_string(value);
            throw std::invalid_argument("knobs " + text + " break the rule: " + r.text);
        }
    }
    return values;
}

uint64_t KnobSpace::size() const {
    uint64_t n = 1;
    for (const Knob &k : knobs_) n *= k.candidates.size();
    return n;
}

std::vector<KnobValues> KnobSpace::points() const {
    std::vector<KnobValues> out;
    KnobValues current;
    std::function<void(size_t)> walk = [&](size_t i) {
        if (i == knobs_.size()) {
            for (const KnobRule &r : rules_) {
                if (!r.holds(current)) return;
            }
            out.push_back(current);
            return;
        }
        for (int v : knobs_[i].candidates) {
            current[knobs_[i].name] = v;
            walk(i + 1);
        }
    };
    walk(0);
    return out;
}

KnobValues parse_knob_text(const std::string &text) {
    KnobValues values;
    std::stringstream items(text);
    std::string item;
    while (std::getline(items, item, ',')) {
        if (item.empty()) continue;
        const auto colon = item.find(':');
        if (colon == std::string::npos) throw std::invalid_argument("knob '" + item + "' is not name:value");
        const std::string name = item.substr(0, colon), value = item.substr(colon + 1);
        size_t used = 0;
        int parsed = 0;
        try {
            parsed = std::stoi(value, &used);
        } catch (const std::exception &) {
            used = 0;
        }
        if (name.empty() || used != value.size() || parsed < 0)
            throw std::invalid_argument("knob '" + item + "' needs a name and a non-negative integer");
        if (!values.emplace(name, parsed).second) throw std::invalid_argument("knob '" + name + "' given twice");
        values[name] = parsed;
    }
    return values;
}

}  // namespace convforge
