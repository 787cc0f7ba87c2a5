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
    const auto at = std::lower_bound(knobs_by_name_.begin(), knobs_by_name_.end(), name,
                                     [&](size_t i, const std::string &n) { return knobs_[i].name < n; });
    if (at != knobs_by_name_.end() && knobs_[*at].name == name)
        throw std::logic_error("knob '" + name + "' declared twice in one space");
    knobs_by_name_.insert(at, knobs_.size());
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
    // One merge of two name-ordered walks, `given` and the declarations: the tuner
    // and the tests resolve every point of spaces of half a million.
    const auto unknown = [&](const std::string &name) {
        std::string known;
        for (const Knob &d : knobs_) known += (known.empty() ? "" : ", ") + d.name;
        return std::invalid_argument("unknown knob '" + name + "' (this schedule's knobs: " + known + ")");
    };
    KnobValues values;
    auto g = given.begin();
    for (size_t i : knobs_by_name_) {
        const Knob &k = knobs_[i];
        if (g != given.end() && g->first < k.name) throw unknown(g->first);
        int value = given.empty() ? k.default_value : k.value_in_older_records;
        if (g != given.end() && g->first == k.name) {
            value = g->second;
            ++g;
            if (!std::binary_search(k.candidates.begin(), k.candidates.end(), value))
                throw std::invalid_argument("knob '" + k.name + "' is " + std::to_string(value) +
                                            ", not one of its declared values (" + candidates_text(k) + ")");
        }
        values.emplace_hint(values.end(), k.name, value);
    }
    if (g != given.end()) throw unknown(g->first);
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

void KnobSpace::for_each_point(const std::function<void(const KnobValues &)> &visit) const {
    // Walks the assignments knob by knob and checks each rule as soon as the knobs it
    // reads are set, so a broken rule cuts off every assignment below it (SAConv's dense
    // space has 9.8 million assignments of which 5% keep the rules). A rule is first
    // checked at the depth where it answers on the defaults; where it reads a knob that
    // is not set yet (std::out_of_range: a branch the defaults did not take), it waits
    // for whole assignments from then on. Points come in the order of a plain walk.
    const size_t depth_of_leaf = knobs_.size();
    std::vector<std::vector<size_t>> rules_at(depth_of_leaf + 1);
    KnobValues partial;
    for (size_t r = 0; r < rules_.size(); ++r) {
        size_t depth = 0;
        for (partial.clear(); depth < depth_of_leaf; partial[knobs_[depth].name] = knobs_[depth].default_value, ++depth) {
            try {
                rules_[r].holds(partial);
                break;
            } catch (const std::out_of_range &) {
            }
        }
        rules_at[depth].push_back(r);
    }
    KnobValues current;
    std::function<void(size_t)> walk = [&](size_t depth) {
        std::vector<size_t> &checks = rules_at[depth];
        for (size_t i = 0; i < checks.size();) {
            try {
                if (!rules_[checks[i]].holds(current)) return;
                ++i;
            } catch (const std::out_of_range &) {
                if (depth == depth_of_leaf) throw;
                rules_at[depth_of_leaf].push_back(checks[i]);
                checks.erase(checks.begin() + static_cast<std::ptrdiff_t>(i));
            }
        }
        if (depth == depth_of_leaf) {
            visit(current);
            return;
        }
        const Knob &k = knobs_[depth];
        for (int v : k.candidates) {
            current[k.name] = v;
            walk(depth + 1);
        }
        current.erase(k.name);
    };
    walk(0);
}

std::vector<KnobValues> KnobSpace::points() const {
    std::vector<KnobValues> out;
    for_each_point([&](const KnobValues &p) { out.push_back(p); });
    return out;
}

uint64_t KnobSpace::point_count() const {
    uint64_t n = 0;
    for_each_point([&](const KnobValues &) { ++n; });
    return n;
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
