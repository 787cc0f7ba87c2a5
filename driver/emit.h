// `convforge emit`: compiles a layer (or the shape-generic kernels the runtime
// itself links) to a static library + header per target, plus the Halide runtime.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace Halide {
struct Target;
}

namespace convforge {

struct KernelPlan;
class ScheduleDatabase;
struct ScheduleRecord;
struct RunSize;

struct EmitOptions {
    std::string spec_path;        // emit one layer, geometry fixed from its spec
    std::string builtin_kernel;   // or: a shape-generic kernel the runtime links, by name
    std::string targets;          // comma-separated, each named once
    std::string out_dir;
    std::string name;             // function and file name
    std::string schedule_db;      // knob records; missing ones fall back to defaults
    bool with_kernel = true;
    bool with_runtime = true;
    bool flat = false;            // one target, written into out_dir itself, not out_dir/<target>/
    // "N,H,W": the batch and input size the kernel will mostly run at. Of the
    // records tuned for this layer, the one nearest it is used; an autoscheduler
    // plans for it.
    std::string estimate;
    // A tuning baseline: the layer scheduled by a Halide autoscheduler plugin
    // ("adams2019") instead of convforge's schedules.
    std::string autoscheduler;
};

// Convforge's target names and what Halide target each stands for.
struct NamedTarget {
    const char *name;
    const char *halide_target;
    const char *runtime_target;
    const char *about;
};
const std::vector<NamedTarget> &named_targets();

// A target as every command's --target names one: a name of named_targets(),
// `host` (this machine's exact features) or a Halide target string.
struct ResolvedTarget {
    std::string halide_target;   // what a kernel is compiled for (a named x86-64 library: its sub-targets)
    std::string runtime_target;  // what the Halide runtime library is compiled for
};
// Throws Error "unknown target 'NAME' (known: ...)".
ResolvedTarget resolve_target(const std::string &name);
// The names of a comma-separated --target list; throws Error on an empty or repeated one.
std::vector<std::string> parse_target_list(const std::string &list);
// The names resolve_target knows, one an indented line ("  NAME: what it is\n"),
// without the Halide target strings it also takes.
std::string target_names_text();
// The Halide targets a kernel of `plan` is compiled for under the named target
// `name` (resolved to `halide_target`): for kernels of int8 dot products,
// x86-64-linux gains the VNNI sub-target and arm-64-linux the dot-product one,
// each ahead of the rest.
// `native` stands for this_machine_target(plan) alone (on AArch64: the ARM library).
std::string targets_for_plan(const std::string &name, const std::string &halide_target, const KernelPlan &plan);
// The same, one Halide target an element, best first.
std::vector<std::string> halide_targets(const std::string &name, const KernelPlan &plan);
// The sub-target of the shipped x86-64 library this CPU runs for kernels of
// `plan` (those of int8 dot products have one more), else this machine's own
// target: what a kernel is tuned and timed for by default, and what `native` emits.
std::string this_machine_target(const KernelPlan &plan);
std::string this_machine_target();  // for kernels without int8 dot products
// The first feature `candidate` needs that `host` lacks, as Halide names it, or empty.
std::string missing_feature(const Halide::Target &candidate, const Halide::Target &host);

// The record a kernel of `plan` runs with on `target_key` at `size`: its own
// variant's, else its fallback variant's (KernelPlan::fallback_variant); null
// where neither has one (the target's default knobs).
const ScheduleRecord *record_for(const ScheduleDatabase &db, const std::string &target_key, const KernelPlan &plan,
                                 const RunSize &size);

// Throws std::runtime_error naming the problem; writes what it wrote to `log` and
// schedule-database misses to `warnings`.
void emit(const EmitOptions &options, std::ostream &log, std::ostream &warnings);

}  // namespace convforge
