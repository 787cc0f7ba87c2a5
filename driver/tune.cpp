#include "tune.h"


#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>

#include <nlohmann/json.hpp>

#include "Halide.h"
#include "checked_size.h"
#include "message_text.h"
#include "random_weights.h"
#include "variant.h"
#include "../schedules/knob_space_registry.h"
#include "../schedules/schedule_database.h"
#include "convforge/convforge.h"
#include "emit.h"
#include "host_cpu.h"
#include "kernel_loader.h"

namespace convforge {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

std::string knob_text(const KnobValues &k) {
    std::string text;
    for (const auto &[name, value] : k) text += (text.empty() ? "" : " ") + name + "=" + std::to_string(value);
    return text;
}

std::string hardware_text() {
    const HostCpu cpu = host_cpu();
    std::string features;
    for (const char *f : {"sse4_1", "avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile", "asimd", "sve"}) {
        if (cpu.has_flag(f)) features += std::string(features.empty() ? "" : " ") + f;
    }
    std::string text = (cpu.model_name.empty() ? "unknown CPU" : cpu.model_name) + " (" + features + "), " +
                       std::to_string(cpu.logical_cpus) + " CPUs";
    for (char &c : text) {
        if (c == '\\' || static_cast<unsigned char>(c) < 0x20) c = ' ';
    }
    return text;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

class Tuner {
public:
    explicit Tuner(const TuneOptions &o) : o_(o), t0_(Clock::now()) {}

    void run() {
        if (o_.db_path.empty()) throw Error("tune: no --db given");
        spec_ = load_layer_spec(o_.spec_path);
        const VariantDefinition &variant = find_variant(spec_.variant);
        plan_ = variant.layer_kernel(spec_);
        target_ = target_to_tune(o_.target);
        facts_ = target_facts(Halide::Target(target_));
        space_ = knob_space(plan_.variant, facts_, plan_.shape_class);
        input_.shape = {o_.batch, spec_.in_channels, o_.height, o_.width};
        const auto out_shape = output_shape(spec_, input_.shape);
        gflop_ = 2.0 * variant.multiply_adds(spec_, out_shape) * 1e-9;
        check_database_before_search();

        set_num_threads(o_.threads);
        layer_ = prepare_layer(spec_, random_weights(spec_, 4321));
        input_.data.resize(size_t(element_count(input_.shape, "input")));
        std::mt19937 rng(99);
        std::uniform_real_distribution<float> dist(-1, 1);
        for (float &v : input_.data) v = dist(rng);

        const ScratchDirectory scratch;
        dir_ = scratch.path();
        search();
        if (!o_.baseline.empty()) load_baseline();
        confirm();
        write_record();
    }

private:
    // Candidates run in this process: the target must be one this CPU runs, and
    // the one `emit` compiles for it (a sub-target of the shipped x86-64 library,
    // whose records key what users link). Checked before anything is compiled:
    // another target would fail every candidate, the fallback first.
    std::string target_to_tune(const std::string &requested) const {
        try {
            return target_to_run_here(plan_, requested);
        } catch (const Error &e) {
            throw Error("tune: candidates are compiled for and run on this CPU: " + std::string(e.what()));
        }
    }

    // Everything the write at the end needs, checked before the search spends the
    // budget: the directory, the file there (a link is refused), the lock (the
    // directory is writable), the database as it is, and the database with this
    // layer's record put in (the readers' checks and size limit), placeholder
    // timings standing in for the search's.
    void check_database_before_search() const {
        try {
            const ScheduleRecord placeholder = tuned_record(space_.defaults(), 1e4, 1e4, o_.baseline.empty() ? 0 : 1e4);
            ScheduleDatabase::check_update(o_.db_path, [&](ScheduleDatabase &db) { merge(db, placeholder); });
        } catch (const Error &e) {
            throw Error(std::string("tune: ") + e.what() + " (checked before searching; nothing was tuned)");
        }
    }

    // `rec` put into `db` (replacing the record of the same layer and size), and
    // every record checked as `list` checks it: no reader refuses what tune writes.
    void merge(ScheduleDatabase &db, const ScheduleRecord &rec) const {
        db.put(rec);
        for (const ScheduleRecord &r : db.records()) check_record_knobs(r, o_.db_path);
    }

    struct Result {
        bool ok = false;
        double ms = 0;
        std::string note;
    };

    void search() {
        const uint64_t point_count = space_.point_count();
        std::cerr << "convforge tune: " << plan_.variant << " " << plan_.shape_class << " " << plan_.workload << " on "
                  << facts_.database_key << " (" << target_ << "), batch " << o_.batch << " " << o_.height << "x"
                  << o_.width << ": " << point_count << " candidates keep the rules, budget " << o_.budget_seconds
                  << " s\n";
        const KnobValues fallback = space_.defaults();
        const Result first = evaluate(fallback, true);
        if (!first.ok) throw Error("tune: the fallback schedule itself failed: " + first.note);
        default_ms_ = first.ms;
        KnobValues current = fallback;
        stand_on(current);

        // Hill climbing over the declared candidates: from the best point so far
        // try every neighbour (one knob one candidate step away), move while one is
        // faster; when none is, restart from an untried point. In a small space
        // this ends up trying everything; in a large one it spends the budget
        // around the good regions instead of uniformly.
        std::mt19937 rng(7);
        // Held only once the budget has room for more than the fallback (SAConv's
        // dense space is half a million points).
        std::vector<KnobValues> points;
        if (point_count > 1 && !out_of_budget()) points = space_.points();
        while (results_.size() < points.size() && !out_of_budget()) {
            bool moved = false;
            for (const KnobValues &n : neighbours(current, points)) {
                if (out_of_budget()) break;
                if (results_.count(n)) continue;
                const Result r = evaluate(n, false);
                if (r.ok && r.ms < results_.at(current).ms) {
                    stand_on(current = n);
                    moved = true;
                }
            }
            if (moved) continue;
            std::vector<KnobValues> untried;
            for (const KnobValues &p : points) {
                if (!results_.count(p)) untried.push_back(p);
            }
            if (untried.empty()) break;
            const KnobValues restart = untried[std::uniform_int_distribution<size_t>(0, untried.size() - 1)(rng)];
            if (evaluate(restart, false).ok) stand_on(current = restart);
        }
        std::cerr << "\n";
    }

    // One knob one candidate step away; where that step alone breaks a rule (say,
    // turning chunking off while its band knob is set), the point keeping the rules
    // with that knob at that value that differs from `at` in the fewest other knobs.
    std::vector<KnobValues> neighbours(const KnobValues &at, const std::vector<KnobValues> &points) const {
        std::vector<KnobValues> out;
        for (const Knob &k : space_.knobs()) {
            const auto pos = std::find(k.candidates.begin(), k.candidates.end(), at.at(k.name)) - k.candidates.begin();
            for (long step : {-1L, 1L}) {
                const long i = long(pos) + step;
                if (i < 0 || i >= long(k.candidates.size())) continue;
                const int value = k.candidates[size_t(i)];
                const KnobValues *nearest = nullptr;
                size_t nearest_changes = 0;
                for (const KnobValues &p : points) {
                    if (p.at(k.name) != value) continue;
                    size_t changes = 0;
                    for (const auto &[name, v] : p) changes += at.at(name) != v;
                    if (!nearest || changes < nearest_changes) nearest = &p, nearest_changes = changes;
                }
                if (nearest) out.push_back(*nearest);
            }
        }
        return out;
    }

    // The search stops early enough to leave the confirmation its share.
    bool out_of_budget() const {
        // The planted wrong candidate (the second compiled) is always tried, on any machine speed.
        if (o_.test_wrong_candidate && compiled_ < 2) return false;
        const double spent = seconds_since(t0_);
        const double per_candidate = results_.empty() ? 0 : spent / double(results_.size());
        const double finalists = double(std::min(results_.size() + 1, kConfirmed + 1));
        return spent + per_candidate * (1 + finalists) > o_.budget_seconds;
    }

    // A candidate's time in the search. On a shared machine, timings taken seconds
    // apart differ by more than neighbouring candidates do (1.5x within minutes on
    // 2-core VMs), so a candidate is timed in interleaved rounds beside the point
    // the climb stands on (the incumbent) and scores the incumbent's score times
    // their ratio: every comparison the climb makes is taken in one stretch, and
    // the scores chain back to the fallback's own time.
    Result evaluate(const KnobValues &knobs, bool is_fallback) {
        Result r;
        ++compiled_;
        const bool wrong = o_.test_wrong_candidate && compiled_ == 2;
        try {
            const std::string name = "candidate_" + std::to_string(compiled_);
            auto loaded = compile(name, &knobs, wrong);
            const EmittedKernel &kernel = loaded->kernel();
            Tensor y;
            run_layer_with(layer_, input_, y, kernel);
            if (is_fallback) {
                reference_ = y;
            } else if (const std::string bad = mismatch(y); !bad.empty()) {
                throw Error("output differs from the fallback schedule's: " + bad);
            }
            if (is_fallback) {
                r.ms = interleaved_medians({&kernel})[0];
            } else {
                const std::vector<double> ms = interleaved_medians({&kernel, &incumbent_->kernel()});
                r.ms = results_.at(incumbent_knobs_).ms * ms[0] / ms[1];
            }
            r.ok = true;
            last_ = std::move(loaded);
        } catch (const std::exception &e) {
            r.note = e.what();
            std::cerr << "\nconvforge tune: rejected " << knob_text(knobs) << ": " << r.note << "\n";
            if (wrong) std::cerr << "convforge tune: (that candidate was made wrong on purpose: --test-wrong-candidate)\n";
        }
        results_[knobs] = r;
        if (r.ok && (best_ms_ == 0 || r.ms < best_ms_)) {
            best_ms_ = r.ms;
            best_ = knobs;
        }
        std::fprintf(stderr, "\r[tune] %zu tried, best %.3f ms (%s), %.0f s left   ", results_.size(), best_ms_,
                     knob_text(best_).c_str(), std::max(0.0, o_.budget_seconds - seconds_since(t0_)));
        std::fflush(stderr);
        return r;
    }

    // The climb stands on `knobs`, the point evaluated last: its kernel is the incumbent.
    void stand_on(const KnobValues &knobs) {
        incumbent_ = std::move(last_);
        incumbent_knobs_ = knobs;
    }

    // The layer compiled and loaded in its own scratch directory `name`, with
    // `knobs` as its one record (none: an empty database). `wrong`: another
    // epilogue's kernel (--test-wrong-candidate); an autoscheduled one instead of
    // convforge's schedule for the baseline.
    std::unique_ptr<LoadedKernel> compile(const std::string &name, const KnobValues *knobs, bool wrong = false,
                                          bool autoscheduled = false) {
        const std::string base = dir_ + "/" + name;
        std::filesystem::create_directory(base);
        ScheduleDatabase db;
        if (knobs) db.put(record_for(*knobs));
        db.save(base + "/db.json");
        std::vector<std::string> extra;
        if (autoscheduled)
            extra = {"--autoscheduler", o_.baseline, "--estimate", run_size_text({o_.batch, o_.height, o_.width})};
        const double timeout = autoscheduled ? o_.baseline_timeout_seconds : o_.compile_timeout_seconds;
        return std::make_unique<LoadedKernel>(KernelBuild{o_.self, o_.linker, timeout},
                                              wrong ? wrong_spec(base) : o_.spec_path, target_, base + "/db.json", base,
                                              name, extra);
    }

    // The same layer scheduled by the autoscheduler, checked like a candidate and
    // timed in the confirmation rounds beside the tuned and fallback kernels.
    void load_baseline() {
        std::cerr << "convforge tune: compiling the " << o_.baseline << " baseline (its search takes a while)\n";
        try {
            baseline_ = compile("baseline", nullptr, false, true);
            Tensor y;
            run_layer_with(layer_, input_, y, baseline_->kernel());
            if (const std::string bad = mismatch(y); !bad.empty()) throw Error("output differs: " + bad);
        } catch (const std::exception &e) {
            baseline_.reset();
            std::cerr << "convforge tune: the " << o_.baseline << " baseline failed: " << e.what() << "\n";
        }
    }

    // Candidates timed minutes apart on a shared machine are compared across its
    // noisy stretches. The fastest few, the fallback and the baseline are loaded
    // together and timed in interleaved rounds (one turn of each per round), so a
    // noisy stretch hits all of them alike; the record takes these medians.
    void confirm() {
        std::vector<std::pair<double, KnobValues>> ranked;
        for (const auto &[knobs, r] : results_) {
            if (r.ok && knobs != space_.defaults()) ranked.push_back({r.ms, knobs});
        }
        std::sort(ranked.begin(), ranked.end());
        std::vector<KnobValues> finalists = {space_.defaults()};
        for (size_t i = 0; i < ranked.size() && finalists.size() < 1 + kConfirmed; ++i) finalists.push_back(ranked[i].second);
        std::vector<std::unique_ptr<LoadedKernel>> loaded;
        std::vector<const EmittedKernel *> kernels;
        for (size_t i = 0; i < finalists.size(); ++i) {
            loaded.push_back(compile("finalist_" + std::to_string(i), &finalists[i]));
            kernels.push_back(&loaded.back()->kernel());
        }
        if (baseline_) kernels.push_back(&baseline_->kernel());
        std::cerr << "convforge tune: confirming the fastest " << finalists.size() - 1 << " against the fallback"
                  << (baseline_ ? " and the baseline" : "") << " in interleaved rounds\n";
        const std::vector<double> ms = interleaved_medians(kernels);
        for (size_t i = 0; i < finalists.size(); ++i)
            std::fprintf(stderr, "  %-40s search %.3f ms, interleaved %.3f ms%s\n", knob_text(finalists[i]).c_str(),
                         results_.at(finalists[i]).ms, ms[i], i == 0 ? " (fallback)" : "");
        if (baseline_) std::fprintf(stderr, "  %-40s interleaved %.3f ms\n", o_.baseline.c_str(), ms.back());
        best_ = finalists[0];
        best_ms_ = default_ms_ = ms[0];
        for (size_t i = 1; i < finalists.size(); ++i) {
            if (ms[i] < best_ms_) best_ms_ = ms[i], best_ = finalists[i];
        }
        if (baseline_) baseline_ms_ = ms.back();
        confirmed_ = finalists.size();
    }

    // Each round runs every kernel for about 20 ms (at least once); the median of
    // each kernel's runs over `repeats` rounds, after a warm-up round.
    std::vector<double> interleaved_medians(const std::vector<const EmittedKernel *> &kernels) {
        Tensor y;
        std::vector<int> runs;
        for (const EmittedKernel *k : kernels) {
            const auto t0 = Clock::now();
            run_layer_with(layer_, input_, y, *k);
            runs.push_back(std::max(1, int(0.02 / std::max(1e-6, seconds_since(t0)))));
        }
        std::vector<std::vector<double>> times(kernels.size());
        for (int round = 0; round <= o_.repeats; ++round) {
            for (size_t i = 0; i < kernels.size(); ++i) {
                for (int r = 0; r < runs[i]; ++r) {
                    const auto t0 = Clock::now();
                    run_layer_with(layer_, input_, y, *kernels[i]);
                    if (round > 0) times[i].push_back(seconds_since(t0) * 1e3);
                }
            }
        }
        std::vector<double> medians;
        for (const auto &t : times) medians.push_back(median(t));
        return medians;
    }

    // The record `emit` looks up for this layer on the tuned target.
    ScheduleRecord record_for(const KnobValues &knobs) const {
        ScheduleRecord rec;
        rec.target = facts_.database_key;
        rec.variant = plan_.variant;
        rec.shape_class = plan_.shape_class;
        rec.workload = plan_.workload;
        rec.knobs = knobs;
        return rec;
    }

    // The same layer with another activation: a kernel that computes something else.
    std::string wrong_spec(const std::string &base) const {
        std::ifstream in(o_.spec_path);
        nlohmann::json j = nlohmann::json::parse(in);
        const bool relu = j.contains("epilogue") && j["epilogue"].value("activation", "identity") == "relu";
        j["epilogue"]["activation"] = relu ? "identity" : "relu";
        const std::string path = base + "/wrong_spec.json";
        std::ofstream(path) << j.dump();
        return path;
    }

    // Another schedule sums in another order: float32 rounding then differs by a
    // fraction of the output's magnitude, not of each element's (an output near zero
    // is a cancellation of terms as large as the rest). A wrong schedule (a tap, a
    // channel or a tile missing) is off by far more than 1e-5 of the largest output.
    std::string mismatch(const Tensor &y) const {
        if (y.shape != reference_.shape) return "shape";
        double largest = 0;
        for (float r : reference_.data) largest = std::max(largest, std::fabs(double(r)));
        const double tolerance = 1e-4 + 1e-5 * largest;
        for (size_t i = 0; i < y.data.size(); ++i) {
            const double g = y.data[i], r = reference_.data[i];
            if (!(std::fabs(g - r) <= tolerance + 1e-4 * std::fabs(r)))
                return "element " + std::to_string(i) + " is " + std::to_string(g) + ", not " + std::to_string(r) +
                       " (outputs up to " + std::to_string(largest) + ")";
        }
        return "";
    }

    // The record of `knobs` for this layer, batch, size and machine, with its timings.
    ScheduleRecord tuned_record(const KnobValues &knobs, double best_ms, double default_ms, double baseline_ms) const {
        ScheduleRecord rec = record_for(knobs);
        rec.hardware = hardware_text();
        rec.version = "0.1";
        rec.date = utc_now("%Y-%m-%d");
        rec.batch = o_.batch;
        rec.height = o_.height;
        rec.width = o_.width;
        rec.threads = o_.threads;
        rec.median_ms = best_ms;
        rec.default_ms = default_ms;
        rec.gflops = gflop_ / (best_ms * 1e-3);
        rec.baseline = baseline_ms > 0 ? o_.baseline : "";
        rec.baseline_ms = baseline_ms;
        char measured[512];
        std::snprintf(measured, sizeof measured,
                      "convforge tune, %s threads, batch %d %dx%d: %.3f ms (%.1f GFLOP/s), fallback knobs %.3f ms%s%s; "
                      "%zu candidates in %.0f s, the fastest %zu timed again beside the fallback in interleaved rounds",
                      o_.threads ? std::to_string(o_.threads).c_str() : "all", o_.batch, o_.height, o_.width, best_ms,
                      rec.gflops, default_ms, baseline_ms > 0 ? (", " + o_.baseline).c_str() : "",
                      baseline_ms > 0 ? (" " + std::to_string(baseline_ms).substr(0, 6) + " ms").c_str() : "",
                      results_.size(), seconds_since(t0_), confirmed_ > 0 ? confirmed_ - 1 : 0);
        rec.measured = measured;
        return rec;
    }

    // Read-merge-write under the database's lock: the file as other tunes left it
    // meanwhile, with this record put in; refused whole (the file left as it was)
    // where a reader would refuse the result.
    void write_record() {
        if (best_ms_ == 0) throw Error("tune: no candidate ran");
        const ScheduleRecord rec = tuned_record(best_, best_ms_, default_ms_, baseline_ms_);
        try {
            ScheduleDatabase::update(o_.db_path, [&](ScheduleDatabase &db) { merge(db, rec); });
        } catch (const Error &e) {
            throw Error(std::string("tune: ") + e.what() + "; the result (" + knob_text(best_) + ", " +
                        std::to_string(best_ms_) + " ms) was not written");
        }
        std::cout << "tuned " << rec.target << "/" << rec.variant << "/" << rec.shape_class << "/" << rec.workload << ": "
                  << knob_text(best_) << ", " << best_ms_ << " ms (fallback knobs " << default_ms_ << " ms, "
                  << default_ms_ / best_ms_ << "x";
        if (baseline_ms_ > 0) std::cout << "; " << o_.baseline << " " << baseline_ms_ << " ms, " << baseline_ms_ / best_ms_ << "x";
        std::cout << "), written to " << o_.db_path << "\n";
    }

    const TuneOptions &o_;
    Clock::time_point t0_;
    LayerSpec spec_;
    KernelPlan plan_;
    std::string target_, dir_;
    TargetFacts facts_{};
    KnobSpace space_;
    PreparedLayer layer_;
    Tensor input_, reference_;
    double gflop_ = 0, default_ms_ = 0, best_ms_ = 0, baseline_ms_ = 0;
    KnobValues best_;
    std::map<KnobValues, Result> results_;
    int compiled_ = 0;
    static constexpr size_t kConfirmed = 4;  // candidates timed again beside the fallback
    size_t confirmed_ = 0;
    std::unique_ptr<LoadedKernel> baseline_;
    std::unique_ptr<LoadedKernel> last_, incumbent_;  // the kernel evaluated last; the climb's
    KnobValues incumbent_knobs_;
};

}  // namespace

void tune(const TuneOptions &options) { Tuner(options).run(); }

}  // namespace convforge
