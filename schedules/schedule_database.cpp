#include "schedule_database.h"

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <set>
#include <sstream>
#include <thread>
#include <tuple>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "cleanup_on_signal.h"
#include "file_io.h"
#include "size_limits.h"
#include "message_text.h"
#include "strict_json.h"
#include "convforge/convforge.h"

namespace convforge {

namespace {

using json = nlohmann::json;

constexpr int kMaxKnobValue = 4096;
constexpr size_t kMaxNameLength = 64;
constexpr size_t kMaxMeasuredLength = 1024;

std::string record_key(const ScheduleRecord &r) {
    return r.target + "/" + r.variant + "/" + r.shape_class + "/" + r.workload + "/b" + std::to_string(r.batch) + "-h" +
           std::to_string(r.height) + "-w" + std::to_string(r.width);
}

RunSize run_size_of(const ScheduleRecord &r) { return {r.batch, r.height, r.width}; }

// How far apart two run sizes are: the ratio of their work, in either direction
// (a record tuned at batch 8 serves batch 6 better than batch 1 does).
double size_distance(const RunSize &a, const RunSize &b) {
    if (a.work() <= 0 || b.work() <= 0) return a.work() == b.work() ? 0 : 1e300;
    return std::fabs(std::log(a.work() / b.work()));
}

// Names travel into the generator's "target@knob:value,..;.." text: anything but
// these characters could smuggle in other knobs or sections.
bool is_plain_name(const std::string &name, const char *extra) {
    if (name.empty() || name.size() > kMaxNameLength) return false;
    for (char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || std::strchr(extra, c);
        if (!ok || c == '\0') return false;
    }
    return true;
}

std::string string_field(const json &record, const char *name, const std::string &at, bool required = true) {
    if (!record.contains(name)) {
        if (required) throw Error(at + ": missing field '" + name + "'");
        return "";
    }
    const json &v = record.at(name);
    if (!v.is_string()) throw Error(at + ": field '" + name + "' must be a string, got " + json_excerpt(v));
    const std::string text = v.get<std::string>();
    const std::string field = name;
    if (field == "measured" || field == "hardware") {  // free text, printed by `convforge list`: one bounded line
        if (text.size() > kMaxMeasuredLength || escaped(text) != text)
            throw Error(at + ": field '" + field + "' must be one line of at most " + std::to_string(kMaxMeasuredLength) +
                        " characters without control characters or '\\'");
    } else if (!is_plain_name(text, field == "version" || field == "date" ? "-.:" : "-")) {
        throw Error(at + ": field '" + name + "' is " + excerpt(text) + ", not a name of lowercase letters, digits, '_' and '-'");
    }
    return text;
}

ScheduleRecord parse_record(const json &r, const std::string &at) {
    if (!r.is_object()) throw Error(at + " is " + json_excerpt(r) + ", not an object");
    for (const auto &item : r.items()) {
        static const std::set<std::string> known = {"target",  "variant",   "shape_class", "workload", "knobs",
                                                    "measured", "hardware", "version",     "date",     "batch",
                                                    "height",  "width",     "threads",     "median_ms", "gflops",
                                                    "default_ms", "baseline", "baseline_ms"};
        if (!known.count(item.key())) throw Error(at + ": unknown field " + excerpt(item.key()));
    }
    ScheduleRecord rec;
    rec.target = string_field(r, "target", at);
    rec.variant = string_field(r, "variant", at);
    rec.shape_class = string_field(r, "shape_class", at);
    rec.measured = string_field(r, "measured", at, false);
    rec.workload = string_field(r, "workload", at, false);
    rec.hardware = string_field(r, "hardware", at, false);
    rec.version = string_field(r, "version", at, false);
    rec.date = string_field(r, "date", at, false);
    rec.baseline = string_field(r, "baseline", at, false);
    for (auto [name, slot] : {std::pair<const char *, int *>{"batch", &rec.batch}, {"height", &rec.height},
                              {"width", &rec.width}, {"threads", &rec.threads}}) {
        if (!r.contains(name)) continue;
        const json &v = r.at(name);
        if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() > limits::kMaxDimension)
            throw Error(at + ": field '" + name + "' must be an integer from 0 to 2^30, got " + json_excerpt(v));
        *slot = v.get<int>();
    }
    for (auto [name, slot] : {std::pair<const char *, double *>{"median_ms", &rec.median_ms}, {"gflops", &rec.gflops},
                              {"default_ms", &rec.default_ms}, {"baseline_ms", &rec.baseline_ms}}) {
        if (!r.contains(name)) continue;
        const json &v = r.at(name);
        if (!v.is_number() || !(v.get<double>() >= 0) || v.get<double>() > 1e12)
            throw Error(at + ": field '" + name + "' must be a number from 0 to 1e12, got " + json_excerpt(v));
        *slot = v.get<double>();
    }
    if (!r.contains("knobs") || !r.at("knobs").is_object()) throw Error(at + ": field 'knobs' must be an object");
    for (const auto &[name, value] : r.at("knobs").items()) {
        if (!is_plain_name(name, ""))
            throw Error(at + ": knob " + excerpt(name) + " is not a name of lowercase letters, digits and '_'");
        const bool in_range = value.is_number_integer() && value.get<int64_t>() >= 0 && value.get<int64_t>() <= kMaxKnobValue;
        if (!in_range)
            throw Error(at + ": knob " + excerpt(name) + " must be an integer from 0 to " + std::to_string(kMaxKnobValue) +
                        ", got " + json_excerpt(value));
        rec.knobs[name] = value.get<int>();
    }
    return rec;
}

// How long an update waits for another writer's lock. A writer holds it only for
// its read-merge-write (milliseconds); one stuck for this long is stopped or hung.
constexpr double kLockWaitSeconds = 60;

std::string describe(const std::string &path) { return "schedule database '" + path_text(path) + "'"; }

// The exclusive lock writers of one database take around their read-merge-write:
// flock() on ".NAME.convforge-lock" beside it, created if missing (never through a
// link) and removed on release, so it leaves nothing behind (a writer killed while
// holding it leaves the empty file, which the next writer reuses and removes).
// The database itself cannot carry the lock: each write renames a new file over
// it, and a writer waiting on the old file would then lock a file nobody else
// uses. The removal has the same hazard, so after locking, a writer checks that
// its file is still the one at the lock path and otherwise locks that one.
class DatabaseLock {
public:
    // `db_path`'s directory exists.
    explicit DatabaseLock(const std::string &db_path) : db_path_(db_path), path_(hidden_path_beside(db_path, "lock")) {
        const auto t0 = std::chrono::steady_clock::now();
        for (;;) {
            fd_ = ::open(path_.c_str(), O_RDONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0666);
            if (fd_ < 0) fail("cannot be created");
            struct stat held;
            if (::fstat(fd_, &held) != 0 || !S_ISREG(held.st_mode)) fail("is not a regular file", false);
            while (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
                if (errno != EWOULDBLOCK && errno != EINTR) fail("cannot be locked");
                if (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() > kLockWaitSeconds)
                    fail("has been held by another writer for more than " + std::to_string(int(kLockWaitSeconds)) + " s",
                         false);
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
            }
            struct stat now;
            if (::lstat(path_.c_str(), &now) == 0 && now.st_dev == held.st_dev && now.st_ino == held.st_ino) {
                // Held now, so a signal may remove it (never while waiting: the
                // file would then be another writer's held lock).
                const cleanup::DeferSignals defer;
                on_signal_ = cleanup::OnSignal(path_, cleanup::Removal::File);
                return;
            }
            ::close(fd_);  // its holder removed it on release: lock the file there now
        }
    }
    ~DatabaseLock() {
        on_signal_.release();
        ::unlink(path_.c_str());  // still holding the lock: a waiter on this file sees it gone and retries
        ::close(fd_);
    }
    DatabaseLock(const DatabaseLock &) = delete;
    DatabaseLock &operator=(const DatabaseLock &) = delete;

private:
    [[noreturn]] void fail(const std::string &what, bool with_errno = true) {
        const std::string reason = with_errno ? std::string(": ") + std::strerror(errno) : "";
        if (fd_ >= 0) ::close(fd_);
        throw Error(describe(db_path_) + ": its writers' lock file '" + path_text(path_) + "' " + what + reason);
    }

    std::string db_path_, path_;
    int fd_ = -1;
    cleanup::OnSignal on_signal_;
};

void locked_update(const std::string &path, const std::function<void(ScheduleDatabase &)> &change, bool write) {
    const std::string dir = existing_parent_directory(path, "schedule database");
    // A stale lock file opens without write access to the directory: ask first.
    if (::access(dir.c_str(), W_OK | X_OK) != 0)
        throw Error(describe(path) + ": directory '" + path_text(dir) + "' is not writable: " + std::strerror(errno));
    require_replaceable(path, "schedule database");  // a link or a device there: refused, not locked beside
    const DatabaseLock lock(path);
    // Under the lock: what the last writer left, not what was there when this
    // writer started.
    const bool exists = require_replaceable(path, "schedule database") >= 0;
    ScheduleDatabase db = exists ? ScheduleDatabase::load(path) : ScheduleDatabase();
    change(db);
    const std::string text = db.text(describe(path));
    if (write) write_file_atomically(path, {{text.data(), text.size()}}, "schedule database");
}

}  // namespace

bool operator==(const ScheduleRecord &a, const ScheduleRecord &b) {
    const auto fields = [](const ScheduleRecord &r) {
        return std::tie(r.target, r.variant, r.shape_class, r.workload, r.knobs, r.measured, r.hardware, r.version,
                        r.date, r.batch, r.height, r.width, r.threads, r.median_ms, r.gflops, r.default_ms, r.baseline,
                        r.baseline_ms);
    };
    return fields(a) == fields(b);
}

std::string run_size_text(const RunSize &size) {
    return std::to_string(size.batch) + "," + std::to_string(size.height) + "," + std::to_string(size.width);
}

ScheduleDatabase ScheduleDatabase::load(const std::string &path) {
    return parse(read_text_file(path, "schedule database", limits::kMaxScheduleDatabaseBytes), describe(path));
}

ScheduleDatabase ScheduleDatabase::parse(const std::string &text, const std::string &origin) {
    const json doc = parse_json_strict(text, origin);
    if (!doc.is_object() || !doc.contains("records") || doc.size() != 1 || !doc.at("records").is_array())
        throw Error(origin + ": must be an object whose one field, 'records', is an array");
    ScheduleDatabase db;
    const json &records = doc.at("records");
    std::set<std::string> keys;
    for (size_t i = 0; i < records.size(); ++i) {
        const std::string at = origin + ": record " + std::to_string(i);
        ScheduleRecord rec = parse_record(records[i], at);
        const std::string key = record_key(rec);
        if (!keys.insert(key).second) throw Error(at + " repeats the key " + excerpt(key));
        db.records_.push_back(std::move(rec));
    }
    return db;
}

const ScheduleRecord *ScheduleDatabase::find(const std::string &target, const std::string &variant,
                                             const std::string &shape_class, const std::string &workload,
                                             const RunSize &size) const {
    const ScheduleRecord *whole_class = nullptr, *best = nullptr;
    for (const auto &r : records_) {
        if (r.target != target || r.variant != variant || r.shape_class != shape_class) continue;
        if (r.workload.empty() && (!whole_class || run_size_of(r).work() > run_size_of(*whole_class).work())) whole_class = &r;
        if (workload.empty() || r.workload != workload) continue;
        const bool better = !best || (size.work() > 0
                                          ? size_distance(run_size_of(r), size) < size_distance(run_size_of(*best), size)
                                          : run_size_of(r).work() > run_size_of(*best).work());
        if (better) best = &r;
    }
    return best ? best : whole_class;
}

void ScheduleDatabase::put(const ScheduleRecord &record) {
    for (auto &r : records_) {
        if (record_key(r) == record_key(record)) {
            r = record;
            return;
        }
    }
    records_.push_back(record);
}

std::string ScheduleDatabase::text(const std::string &origin) const {
    json records = json::array();
    for (const auto &r : records_) {
        json j = {{"target", r.target}, {"variant", r.variant}, {"shape_class", r.shape_class}, {"knobs", r.knobs}};
        if (!r.workload.empty()) j["workload"] = r.workload;
        if (!r.measured.empty()) j["measured"] = r.measured;
        if (!r.hardware.empty()) j["hardware"] = r.hardware;
        if (!r.version.empty()) j["version"] = r.version;
        if (!r.date.empty()) j["date"] = r.date;
        if (!r.baseline.empty()) j["baseline"] = r.baseline;
        for (auto [name, value] : {std::pair<const char *, int>{"batch", r.batch}, {"height", r.height},
                                   {"width", r.width}, {"threads", r.threads}})
            if (value) j[name] = value;
        for (auto [name, value] : {std::pair<const char *, double>{"median_ms", r.median_ms}, {"gflops", r.gflops},
                                   {"default_ms", r.default_ms}, {"baseline_ms", r.baseline_ms}})
            if (value > 0) j[name] = value;
        records.push_back(j);
    }
    // One record a line: reviewable diffs when tuned records are shipped.
    std::string text = "{\n  \"records\": [\n";
    for (size_t i = 0; i < records.size(); ++i) text += "    " + records[i].dump() + (i + 1 < records.size() ? ",\n" : "\n");
    text += "  ]\n}\n";
    // What is written must read back: `load`'s size limit, then the parser's.
    if (text.size() > limits::kMaxScheduleDatabaseBytes)
        throw Error(origin + " would be " + std::to_string(text.size()) + " bytes, more than the " +
                    std::to_string(limits::kMaxScheduleDatabaseBytes) + " a schedule database may hold");
    parse(text, origin + " as it would be written");
    return text;
}

void ScheduleDatabase::save(const std::string &path) const {
    const std::string bytes = text(describe(path));
    write_file_atomically(path, {{bytes.data(), bytes.size()}}, "schedule database");
}

void ScheduleDatabase::update(const std::string &path, const std::function<void(ScheduleDatabase &)> &change) {
    locked_update(path, change, true);
}

void ScheduleDatabase::check_update(const std::string &path, const std::function<void(ScheduleDatabase &)> &change) {
    locked_update(path, change, false);
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
