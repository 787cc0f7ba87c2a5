#include "schedule_database.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "Halide.h"

namespace convforge {

ScheduleDatabase ScheduleDatabase::load(const std::string &path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("schedule database '" + path + "' cannot be opened");
    ScheduleDatabase db;
    try {
        const nlohmann::json doc = nlohmann::json::parse(in);
        for (const auto &r : doc.at("records")) {
            ScheduleRecord rec;
            rec.target = r.at("target").get<std::string>();
            rec.variant = r.at("variant").get<std::string>();
            rec.shape_class = r.at("shape_class").get<std::string>();
            for (const auto &[name, value] : r.at("knobs").items()) rec.knobs[name] = value.get<int>();
            rec.measured = r.value("measured", "");
            db.records_.push_back(std::move(rec));
        }
    } catch (const nlohmann::json::exception &e) {
        throw std::runtime_error("schedule database '" + path + "': " + e.what());
    }
    return db;
}

const ScheduleRecord *ScheduleDatabase::find(const std::string &target, const std::string &variant,
                                             const std::string &shape_class) const {
    for (const auto &r : records_) {
        if (r.target == target && r.variant == variant && r.shape_class == shape_class) return &r;
    }
    return nullptr;
}

std::string schedule_target_key(const Halide::Target &t) {
    if (t.has_feature(Halide::Target::CUDA)) return "cuda";
    if (t.arch == Halide::Target::ARM) return t.bits == 64 ? "arm-64" : "arm-32";
    if (t.has_feature(Halide::Target::AVX512_Skylake) || t.has_feature(Halide::Target::AVX512)) return "x86-64-avx512";
    if (t.has_feature(Halide::Target::AVX2)) return "x86-64-avx2";
    if (t.has_feature(Halide::Target::SSE41)) return "x86-64-sse41";
    return "x86-64";
}

std::string knob_section(const std::string &target_key, const std::map<std::string, int> &knobs) {
    std::string text = target_key + "@";
    bool first = true;
    for (const auto &[name, value] : knobs) {
        text += (first ? "" : ",") + name + ":" + std::to_string(value);
        first = false;
    }
    return text;
}

std::string knob_section_for(const std::string &text, const std::string &target_key) {
    std::stringstream sections(text);
    std::string section;
    while (std::getline(sections, section, ';')) {
        const auto colon = section.find('@');
        if (colon != std::string::npos && section.substr(0, colon) == target_key) return section.substr(colon + 1);
    }
    return "";
}

}  // namespace convforge
