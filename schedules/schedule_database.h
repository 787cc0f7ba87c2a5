// The schedule database: knob values keyed by (target, variant, shape class),
// read when kernels are emitted. A missing record means target defaults.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace convforge {

struct ScheduleRecord {
    std::string target;       // TargetFacts::database_key, e.g. "x86-64-avx2"
    std::string variant;      // the KernelPlan's variant key, "conv"
    std::string shape_class;  // "dense" | "grouped" | "pointwise"
    std::string workload;     // KernelPlan::workload of the one layer it was tuned on; "" = the whole class
    std::map<std::string, int> knobs;
    std::string measured;     // what the values were measured on, one line
    // Written by `convforge tune` (absent in hand-written records):
    std::string hardware;     // CPU model and features
    std::string version, date;
    int batch = 0, height = 0, width = 0, threads = 0;
    double median_ms = 0, gflops = 0, default_ms = 0;
    std::string baseline;     // the autoscheduler timed beside it ("adams2019"), if any
    double baseline_ms = 0;
};

// Every field equal (doubles compared exactly): what `text` writes, `parse` reads
// back. A new field belongs here as well as in the reader and the writer.
bool operator==(const ScheduleRecord &a, const ScheduleRecord &b);
inline bool operator!=(const ScheduleRecord &a, const ScheduleRecord &b) { return !(a == b); }

// The batch and input size a kernel will run at (0: not known).
struct RunSize {
    int batch = 0, height = 0, width = 0;
    double work() const { return double(batch) * height * width; }
};
// "N,H,W", as `emit --estimate` takes it.
std::string run_size_text(const RunSize &size);

class ScheduleDatabase {
public:
    // Throws convforge::Error naming the file, the record and the problem.
    static ScheduleDatabase load(const std::string &path);
    // The same from text; `origin` prefixes every message.
    static ScheduleDatabase parse(const std::string &text, const std::string &origin);

    // The record for exactly `workload` (of several tuned at different batch and
    // input sizes, the one nearest `size` in batch x height x width, or with no
    // size the one tuned on the most work), else the one for the whole shape class.
    const ScheduleRecord *find(const std::string &target, const std::string &variant, const std::string &shape_class,
                               const std::string &workload = "", const RunSize &size = {}) const;
    // Adds `record`, replacing one with the same key (target, variant, shape class,
    // workload, batch, height, width); `save` writes the file atomically.
    void put(const ScheduleRecord &record);
    void save(const std::string &path) const;
    // The file `save` writes: one record a line. Throws Error (prefixed with
    // `origin`) where `load` would refuse it: past kMaxScheduleDatabaseBytes, or
    // not parsing back (a value or nesting limit of the JSON reader).
    std::string text(const std::string &origin) const;

    // Read-merge-write for concurrent writers (`convforge tune`): under an
    // exclusive lock on `path` (see DatabaseLock in the .cpp: a hidden
    // ".NAME.convforge-lock" file beside it, removed on release), loads the
    // database there (none: an empty one), lets `change` edit it (and throw to
    // refuse the result), checks the text as `text` does and replaces the file
    // atomically. Writers of one path queue on the lock, so none loses another's
    // records. Readers take no lock: the rename shows them the old file or the
    // new one, whole. `path`'s directory must exist and `path` must be a regular
    // file or absent (a link there is refused, not followed).
    static void update(const std::string &path, const std::function<void(ScheduleDatabase &)> &change);
    // All of `update` but the write (the lock is taken and released): whether an
    // update would succeed now, its directory writable included.
    static void check_update(const std::string &path, const std::function<void(ScheduleDatabase &)> &change);
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
