#include "emit.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <map>
#include <sstream>
#include <stdexcept>

#include "Halide.h"
#include "../schedules/knob_space_registry.h"
#include "../schedules/schedule_database.h"
#include "../schedules/target_facts.h"
#include "convforge/convforge.h"
#include "size_limits.h"
#include "message_text.h"
#include "variant.h"
#include "halide_temp.h"
#include "output_transaction.h"

namespace convforge {

namespace {

// File systems take names of 255 bytes; a kernel's files add a suffix to it.
constexpr size_t kMaxNameLength = 128;

// x86-64 ships as one multi-target library: Halide tries the sub-targets in order
// at run time and takes the first this CPU supports; the last is the baseline.
// CUDA: capability 7.0 (Volta) is the oldest architecture still in data centres and
// needs nothing newer; the driver JIT-compiles the PTX for later GPUs (A100, H100).
// Its host part is the SSE4.1 baseline so the library loads on any x86-64 CPU.
const std::vector<NamedTarget> kTargets = {
    {"x86-64-linux",
     "x86-64-linux-avx-avx2-avx512-avx512_skylake-f16c-fma-sse41,x86-64-linux-avx-avx2-f16c-fma-sse41,x86-64-linux-sse41",
     "x86-64-linux", "x86-64: AVX-512, AVX2+FMA, SSE4.1, chosen at run time by CPU"},
    {"arm-64-linux", "arm-64-linux", "arm-64-linux", "AArch64 Linux with NEON"},
    {"x86-64-linux-cuda", "x86-64-linux-sse41-cuda-cuda_capability_70", "x86-64-linux-cuda",
     "NVIDIA GPU via CUDA, PTX for sm_70 and newer, x86-64 host"},
};

// Halide 14's only VNNI feature is avx512_sapphirerapids, which needs the whole
// AVX-512 chain named (../shared facts: without plain avx512 its dot-product
// wrappers do not link). Halide's dispatch takes it where the CPU has Cannon Lake
// features, VNNI and BF16 (Sapphire Rapids, Cooper Lake, Zen 4 and 5).
const char *const kX86DotProductTarget =
    "x86-64-linux-avx-avx2-avx512-avx512_skylake-avx512_cannonlake-avx512_sapphirerapids-f16c-fma-sse41";
// ARMv8.2's sdot. Halide 14's AArch64 runtime cannot tell whether a CPU has it;
// convforge's runtime answers that (runtime/src/halide_hooks.cpp), so Cortex-A53
// and A72 take the plain sub-target instead of dying on the first sdot.
const char *const kArmDotProductTarget = "arm-64-linux-arm_dot_prod";

}  // namespace

std::string targets_for_plan(const std::string &name, const std::string &halide_target, const KernelPlan &plan) {
    if (name == "native") {
        // Halide cannot tell whether an AArch64 CPU has sdot (the runtime can), so
        // the ARM library stays whole.
        if (Halide::get_host_target().arch == Halide::Target::ARM) return targets_for_plan("arm-64-linux", "arm-64-linux", plan);
        return this_machine_target(plan);
    }
    if (!plan.int8_dot_products) return halide_target;
    if (name == "x86-64-linux") return std::string(kX86DotProductTarget) + "," + halide_target;
    if (name == "arm-64-linux") return std::string(kArmDotProductTarget) + "," + halide_target;
    return halide_target;
}

const ScheduleRecord *record_for(const ScheduleDatabase &db, const std::string &target_key, const KernelPlan &plan,
                                 const RunSize &size) {
    if (const ScheduleRecord *own = db.find(target_key, plan.variant, plan.shape_class, plan.workload, size)) return own;
    if (plan.fallback_variant.empty()) return nullptr;
    return db.find(target_key, plan.fallback_variant, plan.shape_class, plan.workload, size);
}

namespace {

std::string with_feature(const std::string &targets, const std::string &feature) {
    std::stringstream in(targets);
    std::string one, out;
    while (std::getline(in, one, ',')) out += (out.empty() ? "" : ",") + one + "-" + feature;
    return out;
}

// Knob text for every sub-target from the schedule database, warning once per
// miss; a record whose knobs are outside the schedule's declared space is an
// error naming it, before anything is compiled.
std::string knobs_for(const std::string &targets, const KernelPlan &plan, const RunSize &size,
                      const ScheduleDatabase *db, const std::string &db_path, std::ostream &warnings) {
    std::stringstream in(targets);
    std::string one, text;
    while (std::getline(in, one, ',')) {
        const TargetFacts facts = target_facts(Halide::Target(one));
        const std::string &key = facts.database_key;
        const ScheduleRecord *rec = db ? record_for(*db, key, plan, size) : nullptr;
        if (!rec) {
            warnings << "convforge: warning: no schedule record for " << key << "/" << plan.variant << "/" << plan.shape_class
                << "; using target defaults\n";
            continue;
        }
        check_record_in_space(*rec, facts, db_path);
        text += (text.empty() ? "" : ";") + knob_section(key, rec->knobs);
    }
    return text;
}

int run_halide(const std::vector<std::string> &args) {
    std::vector<std::string> storage = {"convforge-emit"};
    storage.insert(storage.end(), args.begin(), args.end());
    std::vector<char *> argv;
    for (auto &s : storage) argv.push_back(s.data());
    argv.push_back(nullptr);
    std::ostringstream errors;
    int rc = 0;
    try {
        rc = Halide::Internal::generate_filter_main(int(storage.size()), argv.data(), errors);
    } catch (const std::exception &e) {
        throw std::runtime_error(std::string("Halide compilation failed: ") + e.what());
    }
    if (rc != 0) throw std::runtime_error("Halide compilation failed: " + errors.str());
    return rc;
}

// "N,H,W" of --estimate; {} when not given. Each part is digits alone, read
// without wrapping (sscanf's %d wraps 4294967297 to 1).
RunSize parse_run_size(const std::string &text) {
    if (text.empty()) return {};
    const std::string problem = "--estimate " + excerpt(text) + " is not N,H,W (three integers from 1 to 2^30)";
    std::vector<int> parts;
    std::stringstream in(text + ",");
    std::string part;
    while (std::getline(in, part, ',')) {
        int64_t value = 0;
        const auto [end, error] = std::from_chars(part.data(), part.data() + part.size(), value);
        if (part.empty() || error != std::errc() || end != part.data() + part.size() || value < 1 ||
            value > limits::kMaxDimension)
            throw std::runtime_error(problem);
        parts.push_back(int(value));
    }
    if (parts.size() != 3 || text.back() == ',') throw std::runtime_error(problem);
    return {parts[0], parts[1], parts[2]};
}

// Debian's Halide 14 ships its autoschedulers as plugins beside the library.
void add_autoscheduler(std::vector<std::string> &args, const EmitOptions &o, const RunSize &size) {
    if (o.autoscheduler != "adams2019") throw std::runtime_error("unknown autoscheduler " + excerpt(o.autoscheduler) + " (known: adams2019)");
    if (o.spec_path.empty()) throw std::runtime_error("an autoscheduled kernel needs --spec");
    if (size.work() <= 0) throw std::runtime_error("an autoscheduled kernel needs --estimate N,H,W");
    args.insert(args.begin(), {"-p", CONVFORGE_ADAMS2019_PLUGIN, "-s", "Adams2019"});
    args.insert(args.end(), {"auto_schedule=true", "estimate_batch=" + std::to_string(size.batch),
                             "estimate_height=" + std::to_string(size.height),
                             "estimate_width=" + std::to_string(size.width)});
}

}  // namespace

const std::vector<NamedTarget> &named_targets() { return kTargets; }

ResolvedTarget resolve_target(const std::string &name) {
    for (const auto &t : kTargets) {
        if (name == t.name) return {t.halide_target, t.runtime_target};
    }
    if (name == "host") {
        const std::string host = Halide::get_host_target().to_string();
        return {host, host};
    }
    if (name == "native") return resolve_target(Halide::get_host_target().arch == Halide::Target::ARM ? "arm-64-linux" : "x86-64-linux");
    if (!Halide::Target::validate_target_string(name)) {
        std::string known;
        for (const auto &t : kTargets) known += std::string(known.empty() ? "" : ", ") + t.name;
        throw Error("unknown target " + excerpt(name) + " (known: " + known + ", host, or a Halide target string)");
    }
    return {name, name};
}

std::string target_names_text() {
    std::string text;
    for (const auto &t : kTargets) text += std::string("  ") + t.name + ": " + t.about + "\n";
    return text + "  host: this machine's exact features (not for shipping)\n"
                  "  native: the sub-target of this machine's library (x86-64-linux, arm-64-linux) its CPU runs, alone:\n"
                  "          the same code as the library here, for builds that run where they are built\n";
}

std::vector<std::string> parse_target_list(const std::string &list) {
    std::vector<std::string> names;
    std::stringstream in(list);
    std::string name;
    while (std::getline(in, name, ',')) {
        if (name.empty()) throw Error("--target " + excerpt(list) + " has an empty target name");
        if (std::find(names.begin(), names.end(), name) != names.end())
            throw Error("--target lists " + excerpt(name) + " twice");
        names.push_back(name);
    }
    if (names.empty() || list.back() == ',') throw Error("--target " + excerpt(list) + " has an empty target name");
    return names;
}

namespace {

std::vector<std::string> split_target_list(const std::string &list) {
    std::vector<std::string> targets;
    std::stringstream in(list);
    std::string one;
    while (std::getline(in, one, ',')) targets.push_back(one);
    return targets;
}

}  // namespace

std::vector<std::string> halide_targets(const std::string &name, const KernelPlan &plan) {
    return split_target_list(targets_for_plan(name, resolve_target(name).halide_target, plan));
}

std::string missing_feature(const Halide::Target &candidate, const Halide::Target &host) {
    for (int f = 0; f < Halide::Target::FeatureEnd; ++f) {
        const auto feature = Halide::Target::Feature(f);
        if (!candidate.has_feature(feature) || host.has_feature(feature)) continue;
        // Halide 14 names a feature only inside a target string.
        const Halide::Target bare(candidate.os, candidate.arch, candidate.bits);
        const std::string named = bare.with_feature(feature).to_string(), prefix = bare.to_string() + "-";
        return named.rfind(prefix, 0) == 0 ? named.substr(prefix.size()) : named;
    }
    return "";
}

std::string this_machine_target(const KernelPlan &plan) {
    const Halide::Target host = Halide::get_host_target();
    if (host.arch == Halide::Target::ARM) return "arm-64-linux";
    for (const std::string &sub : halide_targets("x86-64-linux", plan))
        if (missing_feature(Halide::Target(sub), host).empty()) return sub;
    return host.to_string();
}

std::string this_machine_target() { return this_machine_target(KernelPlan()); }

void emit(const EmitOptions &o, std::ostream &log, std::ostream &warnings) {
    if (o.spec_path.empty() == o.builtin_kernel.empty() && o.with_kernel)
        throw std::runtime_error("give exactly one of --spec or --builtin");
    const std::vector<std::string> targets = parse_target_list(o.targets);
    if (o.flat && targets.size() != 1) throw std::runtime_error("--flat takes exactly one target");
    if (o.out_dir.empty()) throw std::runtime_error("--out is empty");
    if (o.name.empty()) throw std::runtime_error("no --name given");
    const bool identifier = !isdigit(static_cast<unsigned char>(o.name[0])) &&
                            std::all_of(o.name.begin(), o.name.end(),
                                        [](char c) { return isalnum(static_cast<unsigned char>(c)) || c == '_'; });
    if (!identifier || o.name.size() > kMaxNameLength)
        throw std::runtime_error("--name " + excerpt(o.name) + " is not a C identifier of at most " +
                                 std::to_string(kMaxNameLength) + " characters (letters, digits, '_')");
    const RunSize size = parse_run_size(o.estimate);
    KernelPlan plan;
    if (o.with_kernel) {
        if (o.spec_path.empty()) {
            plan = find_builtin_kernel(o.builtin_kernel).plan;
        } else {
            const LayerSpec spec = load_layer_spec(o.spec_path);
            plan = find_variant(spec.variant).layer_kernel(spec);
        }
    }

    std::unique_ptr<ScheduleDatabase> db;
    if (o.with_kernel && !o.schedule_db.empty()) db = std::make_unique<ScheduleDatabase>(ScheduleDatabase::load(o.schedule_db));

    // Every target name is checked before anything is compiled.
    std::vector<ResolvedTarget> resolved;
    for (const std::string &target_name : targets) resolved.push_back(resolve_target(target_name));

    // Everything is compiled into a private staging directory first; only when
    // every target has compiled are its files moved into place, one by one, each
    // replacing at most an earlier file of the same name. Nothing else under --out
    // is touched, and a failure leaves --out as it was.
    OutputTransaction out(o.out_dir);
    // Halide's own temporaries too, so that no failure or signal leaves them in /tmp.
    const HalideTempDirectory halide_temp(out.private_dir());
    for (size_t t = 0; t < targets.size(); ++t) {
        const auto &[halide_target, runtime_target] = resolved[t];
        const std::string dir = out.staging_dir(o.flat ? "" : targets[t]);
        if (o.with_kernel) {
            const std::string kernel_targets = targets_for_plan(targets[t], halide_target, plan);
            std::vector<std::string> args = {"-g", plan.generator, "-f", o.name, "-n", o.name, "-o", dir,
                                             "-e", "static_library,c_header",
                                             "target=" + with_feature(kernel_targets, "no_runtime")};
            const std::string knobs = knobs_for(kernel_targets, plan, size, db.get(), o.schedule_db, warnings);
            if (!knobs.empty()) args.push_back("knobs=" + knobs);  // GenGen rejects an empty value
            args.insert(args.end(), plan.params.begin(), plan.params.end());
            if (!o.autoscheduler.empty()) add_autoscheduler(args, o, size);
            run_halide(args);
        }
        if (o.with_runtime) {
            run_halide({"-r", "convforge_halide_runtime", "-o", dir, "-e", "static_library", "target=" + runtime_target});
        }
    }
    for (const std::string &written : out.commit()) log << "wrote " << written << "\n";
}

}  // namespace convforge
