// convforge: the command-line driver. emit | run | bench | list | keys | tune.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <random>

#include <nlohmann/json.hpp>

#include "convforge/convforge.h"
#include "../runtime/src/checked_size.h"
#include "../runtime/src/cleanup_on_signal.h"
#include "../runtime/src/limits.h"
#include "../runtime/src/message_text.h"
#include "../runtime/src/random_weights.h"
#include "../runtime/src/variants/variant.h"
#include "../bench/interleaved.h"
#include "emit.h"
#include "emit_command.h"
#include "kernel_loader.h"
#include "tune.h"
#include "../schedules/knob_space_registry.h"
#include "../schedules/schedule_database.h"

namespace {

using namespace convforge;

struct RunOptions {
    std::string spec, weights, input, output;
    int threads = 0;
    bool allow_nonfinite = false;
};

constexpr int kMaxThreads = 1024;

// Seconds from `lo` to `hi`. CLI::Range lets NaN through (every comparison with it
// is false), and a NaN budget never runs out.
CLI::Validator seconds_range(double lo, double hi) {
    const std::string range = number_text(lo) + " to " + number_text(hi);
    return CLI::Validator(
        [lo, hi, range](std::string &text) -> std::string {
            char *end = nullptr;
            const double v = std::strtod(text.c_str(), &end);
            if (text.empty() || *end != '\0' || !std::isfinite(v) || v < lo || v > hi)
                return "value " + excerpt(text) + " is not a number of seconds from " + range;
            return "";
        },
        "SECONDS in [" + range + "]");
}

struct BenchOptions {
    std::string spec, weights;
    int batch = 1, height = 56, width = 56, threads = 0, repeats = 30;
    bool json = false;
    bool builtin = false;  // time the shape-generic built-in kernels `run` uses
    std::string db = CONVFORGE_SCHEDULE_DB, linker = "c++";
    std::string target;                // a sub-target to time other than this CPU's best (empty: its best)
    std::vector<std::string> against;  // databases whose kernels are timed beside db's, interleaved
};

// The kernel `emit` makes for this layer on this machine, with the record it
// would use, compiled and loaded: what a user who links the layer runs.
struct EmittedForBench {
    std::string target, schedule;
    ScratchDirectory scratch;
    std::unique_ptr<LoadedKernel> loaded;

    EmittedForBench(const LayerSpec &spec, const BenchOptions &o, const std::string &db_path) {
        const KernelPlan plan = find_variant(spec.variant).layer_kernel(spec);
        target = target_to_run_here(plan, o.target);
        const std::string key = target_facts(Halide::Target(target)).database_key;
        const ScheduleDatabase db = ScheduleDatabase::load(db_path);
        const RunSize size{o.batch, o.height, o.width};
        const ScheduleRecord *rec = record_for(db, key, plan, size);
        schedule = !rec ? "fallback knobs (no record for " + key + "/" + plan.variant + "/" + plan.shape_class + ")"
                        : (rec->workload.empty() ? "shape-class record " : "workload record ") + key + "/" + rec->variant +
                              "/" + plan.shape_class + (rec->workload.empty() ? "" : "/" + rec->workload) +
                              (rec->batch ? " tuned at batch " + std::to_string(rec->batch) + " " +
                                                std::to_string(rec->height) + "x" + std::to_string(rec->width)
                                          : "");
        // The record emit picks when told the size the layer runs at.
        const KernelBuild build{std::filesystem::read_symlink("/proc/self/exe").string(), o.linker, 300};
        loaded = std::make_unique<LoadedKernel>(build, o.spec, target, db_path, scratch.path(), "bench_layer",
                                                std::vector<std::string>{"--estimate", run_size_text(size)});
    }
};

int fail(const std::string &command, const std::string &message) {
    std::cerr << "convforge " << command << ": error: " << message << "\n";
    return 1;
}

// The commands' one exit path for failures: a message naming the problem.
template <typename Body>
int guarded(const char *command, Body body) {
    try {
        body();
    } catch (const std::bad_alloc &) {
        return fail(command, "out of memory");
    } catch (const std::exception &e) {
        return fail(command, e.what());
    }
    return 0;
}

// NaN or Inf in an input is almost always a bug upstream, and the kernels (no
// strict floating point) leave the outputs it reaches unspecified: `run` refuses it.
void require_finite_input(const Tensor &x, const std::string &path) {
    for (size_t i = 0; i < x.data.size(); ++i) {
        if (std::isfinite(x.data[i])) continue;
        std::string index;
        size_t rest = i;
        for (int d = 3; d >= 0; --d) {
            index = std::to_string(rest % size_t(x.shape[d])) + (d == 3 ? "" : ", ") + index;
            rest /= size_t(x.shape[d]);
        }
        throw Error("input '" + path_text(path) + "' holds " + (std::isnan(x.data[i]) ? "NaN" : "Inf") + " at (" + index +
                    ") (NCHW); pass --allow-nonfinite to run it anyway");
    }
}

int run_command(const RunOptions &o) {
    return guarded("run", [&] {
        set_num_threads(o.threads);
        const LayerSpec spec = load_layer_spec(o.spec);
        const PreparedLayer layer = prepare_layer(spec, load_safetensors(o.weights));
        const Tensor x = load_npy(o.input);
        if (!o.allow_nonfinite) require_finite_input(x, o.input);
        save_npy(o.output, run_layer(layer, x));
    });
}

double gflop(const LayerSpec &s, const std::vector<int64_t> &out_shape) {
    return 2.0 * find_variant(s.variant).multiply_adds(s, out_shape) * 1e-9;
}

// The kernels emit makes with --db and with each --against database, timed in
// interleaved rounds (interleaved.h): setting a record by hand, their ratios are
// what holds on a machine whose speed drifts between separate runs.
void bench_against(const LayerSpec &spec, const PreparedLayer &layer, const Tensor &x,
                   const std::vector<int64_t> &out_shape, const BenchOptions &o) {
    if (o.builtin) throw Error("--against compares emitted kernels; it cannot be combined with --builtin");
    std::vector<std::string> dbs{o.db};
    dbs.insert(dbs.end(), o.against.begin(), o.against.end());
    std::vector<std::unique_ptr<EmittedForBench>> kernels;
    std::vector<Tensor> outputs(dbs.size());
    std::vector<Contender> contenders;
    for (size_t i = 0; i < dbs.size(); ++i) {
        kernels.push_back(std::make_unique<EmittedForBench>(spec, o, dbs[i]));
        const EmittedKernel &kernel = kernels.back()->loaded->kernel();
        Tensor &y = outputs[i];
        contenders.push_back(timed([&layer, &x, &y, &kernel] { run_layer_with(layer, x, y, kernel); }));
    }
    const std::vector<double> ms = interleaved_medians_ms(contenders, o.repeats);
    nlohmann::json rows = nlohmann::json::array();
    for (size_t i = 0; i < dbs.size(); ++i) {
        const double gf = gflop(spec, out_shape) / (ms[i] * 1e-3);
        if (o.json) {
            rows.push_back({{"db", dbs[i]}, {"median_ms", ms[i]}, {"ratio_to_db", ms[i] / ms[0]}, {"gflops", gf},
                            {"schedule", kernels[i]->schedule}});
        } else {
            std::printf("%-40s median %.3f ms (%.3fx --db's), %.1f GFLOP/s: %s\n", dbs[i].c_str(), ms[i], ms[i] / ms[0],
                        gf, kernels[i]->schedule.c_str());
        }
    }
    if (o.json) {
        std::cout << nlohmann::json({{"variant", spec.variant}, {"batch", o.batch}, {"height", o.height},
                                     {"width", o.width}, {"threads", o.threads}, {"rounds", o.repeats},
                                     {"kernel", "emitted for " + kernels[0]->target}, {"databases", rows}})
                         .dump()
                  << "\n";
    } else {
        std::printf("%s %dx%dx%dx%d, threads %d, %d interleaved rounds, kernels emitted for %s\n", spec.variant.c_str(),
                    o.batch, spec.in_channels, o.height, o.width, o.threads, o.repeats, kernels[0]->target.c_str());
    }
}

int bench_command(const BenchOptions &o) {
    return guarded("bench", [&] {
        if (o.builtin && !o.target.empty())
            throw Error("--target picks the emitted kernel's sub-target; the built-in kernels have their own");
        set_num_threads(o.threads);
        const LayerSpec spec = load_layer_spec(o.spec);
        Tensor x;
        x.shape = {o.batch, spec.in_channels, o.height, o.width};
        const auto out_shape = output_shape(spec, x.shape);  // checks every size before allocating
        std::mt19937 rng(1234);
        const WeightMap weights = o.weights.empty() ? random_weights(spec, 1234) : load_safetensors(o.weights);
        const PreparedLayer layer = prepare_layer(spec, weights);
        x.data.resize(size_t(element_count(x.shape, "input")));
        std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
        for (float &v : x.data) v = dist(rng);

        if (!o.against.empty()) return bench_against(spec, layer, x, out_shape, o);
        const std::unique_ptr<EmittedForBench> emitted =
            o.builtin ? nullptr : std::make_unique<EmittedForBench>(spec, o, o.db);
        auto forward = [&](Tensor &y) {
            if (emitted) {
                run_layer_with(layer, x, y, emitted->loaded->kernel());
            } else {
                run_layer(layer, x, y);
            }
        };
        const std::string kernel = emitted ? "emitted for " + emitted->target : "built-in";
        const std::string schedule = emitted ? emitted->schedule : "built-in kernels' shape-class records";
        const std::string device = !emitted && gpu_available() ? "cuda" : "cpu";

        Tensor y;
        for (int i = 0; i < 3; ++i) forward(y);
        std::vector<double> times;
        for (int i = 0; i < o.repeats; ++i) {
            const auto t0 = std::chrono::steady_clock::now();
            forward(y);
            times.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
        }
        std::sort(times.begin(), times.end());
        const double median = times[times.size() / 2], best = times.front();
        const double gf = gflop(spec, out_shape) / (median * 1e-3);
        if (o.json) {
            nlohmann::json j = {{"variant", spec.variant}, {"batch", o.batch}, {"height", o.height},
                                {"width", o.width}, {"threads", o.threads}, {"repeats", o.repeats},
                                {"median_ms", median}, {"min_ms", best}, {"gflops", gf},
                                {"device", device}, {"kernel", kernel}, {"schedule", schedule}};
            std::cout << j.dump() << "\n";
        } else {
            std::printf("%s %dx%dx%dx%d: median %.3f ms, min %.3f ms, %.1f GFLOP/s (%s, threads %d; kernel %s, %s)\n",
                        spec.variant.c_str(), o.batch, spec.in_channels, o.height, o.width, median, best, gf,
                        device.c_str(), o.threads, kernel.c_str(), schedule.c_str());
        }
    });
}

// The state_dict entries a layer reads: a user's checklist, and what the golden-data
// maker fills with random values.
int keys_command(const std::string &spec_path, bool as_json) {
    return guarded("keys", [&] {
        const LayerSpec spec = load_layer_spec(spec_path);
        nlohmann::json keys = nlohmann::json::array();
        const std::vector<WeightForm> forms = expected_weight_forms(spec);
        for (const WeightForm &form : forms) {
            if (!as_json && forms.size() > 1)
                std::cout << (&form == &forms.front() ? "" : "\n") << "the " << form.name << " form"
                          << (&form == &forms.front() ? " (the default)" : "") << ":\n";
            for (const ExpectedTensor &e : form.tensors) {
                const std::string range =
                    e.value_range ? " in [" + std::to_string(e.value_range->first) + ", " +
                                        std::to_string(e.value_range->second) + "]"
                                  : "";
                if (as_json) {
                    nlohmann::json entry = {{"key", e.key},           {"shape", e.shape}, {"dtype", e.dtype},
                                            {"optional", e.optional}, {"form", form.name}};
                    if (e.value_range) entry["range"] = {e.value_range->first, e.value_range->second};
                    keys.push_back(entry);
                } else {
                    std::cout << e.key << " " << e.dtype << " " << shape_text(e.shape) << range
                              << (e.optional ? " (optional)" : "") << "\n";
                }
            }
        }
        if (as_json) std::cout << keys.dump() << "\n";
    });
}

// Every schedule's declared knobs per target key: default, candidates, rules.
void print_knob_spaces() {
    std::cout << "knob spaces (knob=default {candidates}; assignments keeping the rules / all):\n";
    for (const std::string &variant : knob_space_variants())
        for (const std::string &shape_class : knob_space_shape_classes(variant))
            for (const std::string &key : database_keys()) {
                TargetFacts facts;
                target_facts_for_key(key, facts);
                const KnobSpace space = knob_space(variant, facts, shape_class);
                std::cout << "  " << variant << " " << shape_class << " on " << key << ":";
                for (const Knob &k : space.knobs()) {
                    std::cout << " " << k.name << "=" << k.default_value << " {";
                    for (size_t i = 0; i < k.candidates.size(); ++i) std::cout << (i ? "," : "") << k.candidates[i];
                    std::cout << "}";
                }
                std::cout << "; " << space.points().size() << " / " << space.size() << "\n";
                for (const KnobRule &r : space.rules()) std::cout << "    rule: " << r.text << "\n";
            }
}

int list_command(const std::string &db_path) {
    return guarded("list", [&] {
        std::cout << "variants:\n";
        for (const VariantDefinition *v : registered_variants()) {
            std::cout << "  " << v->name() << ": " << v->summary() << "\n";
            for (const VariantParam &p : v->params())
                std::cout << "    field '" << p.name << "' (" << (p.kind == FieldKind::Integer ? "integer" : p.kind == FieldKind::Boolean ? "boolean" : "number") << ")\n";
            for (const BuiltinKernel &k : v->builtin_kernels()) std::cout << "    built-in kernel " << k.name << "\n";
        }
        std::cout << "targets:\n";
        for (const auto &t : named_targets()) std::cout << "  " << t.name << ": " << t.about << "\n";
        std::cout << "  host: this machine's exact features (not for shipping)\n";
        std::cout << "schedule records (" << db_path << "):\n";
        const ScheduleDatabase db = ScheduleDatabase::load(db_path);
        for (const auto &r : db.records()) {
            check_record_knobs(r, db_path);
            std::cout << "  " << r.target << " " << r.variant << " " << r.shape_class
                      << (r.workload.empty() ? "" : " " + r.workload)
                      << (r.batch ? " batch " + std::to_string(r.batch) + " " + std::to_string(r.height) + "x" +
                                        std::to_string(r.width)
                                  : "")
                      << ":";
            for (const auto &[name, value] : r.knobs) std::cout << " " << name << "=" << value;
            if (!r.measured.empty()) std::cout << "  (" << r.measured << ")";  // one plain line: checked on load
            std::cout << "\n";
        }
        print_knob_spaces();
        std::cout << "gpu: " << (gpu_available() ? "CUDA device found" : "none (CPU kernels)") << "\n";
    });
}

}  // namespace

int main(int argc, char **argv) {
    // Ctrl-C, SIGTERM, SIGHUP and SIGPIPE remove what a command made before it dies.
    cleanup::install_signal_handlers();
    CLI::App app{"convforge: compile and run plug-and-play convolution variants"};
    app.require_subcommand(1);

    EmitOptions emit_options;
    emit_options.schedule_db = CONVFORGE_SCHEDULE_DB;
    CLI::App *emit_cmd = add_emit_command(app, emit_options);

    RunOptions run_options;
    CLI::App *run_cmd = app.add_subcommand("run", "Run a layer on an input with this machine's compiled kernels");
    run_cmd->add_option("--spec", run_options.spec, "layer spec JSON")->required();
    run_cmd->add_option("--weights", run_options.weights, "PyTorch state_dict as safetensors")->required();
    run_cmd->add_option("--input", run_options.input, "NCHW float32 .npy")->required();
    run_cmd->add_option("--output", run_options.output, "NCHW float32 .npy to write")->required();
    // CLI::NonNegativeNumber would print the double maximum (309 digits) when it rejects.
    const CLI::Range thread_range(0, kMaxThreads), dimension_range(int64_t(1), limits::kMaxDimension);
    run_cmd->add_option("--threads", run_options.threads, "CPU threads (0 = all cores)")->check(thread_range);
    run_cmd->add_flag("--allow-nonfinite", run_options.allow_nonfinite,
                      "run an input holding NaN or Inf anyway (the outputs they reach are unspecified)");

    BenchOptions bench_options;
    CLI::App *bench_cmd = app.add_subcommand("bench", "Time the forward pass of a layer's compiled kernel");
    bench_cmd->add_option("--spec", bench_options.spec, "layer spec JSON")->required();
    bench_cmd->add_option("--weights", bench_options.weights, "weights (random when omitted)");
    bench_cmd->add_option("--batch", bench_options.batch, "batch size")->required()->check(dimension_range);
    bench_cmd->add_option("--height", bench_options.height, "input height")->required()->check(dimension_range);
    bench_cmd->add_option("--width", bench_options.width, "input width")->required()->check(dimension_range);
    bench_cmd->add_option("--threads", bench_options.threads, "CPU threads (0 = all cores)")->check(thread_range);
    bench_cmd->add_option("--repeats", bench_options.repeats, "timed repeats")
        ->check(CLI::Range(1, 100000))
        ->capture_default_str();
    bench_cmd->add_flag("--json", bench_options.json, "print one JSON object");
    bench_cmd->add_flag("--builtin", bench_options.builtin,
                        "time the shape-generic built-in kernels `run` uses (default: the kernel `emit` makes for "
                        "this layer on this machine, with its best record)");
    bench_cmd->add_option("--db", bench_options.db, "schedule database `emit` would read")->capture_default_str();
    bench_cmd->add_option("--linker", bench_options.linker, "C++ compiler that links the emitted kernel")
        ->capture_default_str();
    bench_cmd->add_option("--target", bench_options.target,
                          "time this sub-target of the x86-64 library (one this CPU runs, e.g. its AVX2 one) instead of "
                          "this CPU's best");
    bench_cmd->add_option("--against", bench_options.against,
                          "another schedule database (repeatable): its kernel is timed beside --db's in interleaved "
                          "rounds (--repeats of them), and each one's ratio to --db's printed");

    std::string list_db = CONVFORGE_SCHEDULE_DB;
    CLI::App *list_cmd = app.add_subcommand("list", "List variants, targets and schedule records");
    list_cmd->add_option("--schedule-db,--db", list_db, "schedule database JSON")->capture_default_str();

    std::string keys_spec;
    bool keys_json = false;
    CLI::App *keys_cmd = app.add_subcommand("keys", "List the state_dict entries a layer's weight file must hold");
    keys_cmd->add_option("--spec", keys_spec, "layer spec JSON")->required();
    keys_cmd->add_flag("--json", keys_json, "print one JSON array");

    TuneOptions tune_options;
    tune_options.db_path = CONVFORGE_SCHEDULE_DB;
    CLI::App *tune_cmd = app.add_subcommand("tune", "Search a layer's knob space on this machine and record the best");
    tune_cmd->add_option("--spec", tune_options.spec_path, "layer spec JSON")->required();
    tune_cmd->add_option("--target", tune_options.target,
                         "a sub-target of the x86-64-linux library this CPU runs (default: its best one)");
    tune_cmd->add_option("--batch", tune_options.batch, "batch size")->check(dimension_range)->capture_default_str();
    tune_cmd->add_option("--height", tune_options.height, "input height")->check(dimension_range)->capture_default_str();
    tune_cmd->add_option("--width", tune_options.width, "input width")->check(dimension_range)->capture_default_str();
    tune_cmd->add_option("--budget", tune_options.budget_seconds, "seconds to spend")
        ->check(seconds_range(1, 86400))
        ->capture_default_str();
    tune_cmd->add_option("--compile-timeout", tune_options.compile_timeout_seconds, "seconds one candidate may compile")
        ->check(seconds_range(1, 3600))
        ->capture_default_str();
    tune_cmd->add_option("--threads", tune_options.threads, "CPU threads (0 = all cores)")->check(thread_range);
    tune_cmd->add_option("--repeats", tune_options.repeats, "interleaved timing rounds per candidate (about 20 ms of it and of the incumbent each)")
        ->check(CLI::Range(3, 10000))
        ->capture_default_str();
    tune_cmd->add_option("--db", tune_options.db_path, "schedule database to read and update")->capture_default_str();
    tune_cmd->add_option("--linker", tune_options.linker, "C++ compiler that links candidates into shared libraries")
        ->capture_default_str();
    tune_cmd->add_option("--baseline", tune_options.baseline,
                         "also time the layer as an autoscheduler schedules it, the same way")
        ->check(CLI::IsMember({"adams2019"}));
    tune_cmd->add_flag("--test-wrong-candidate", tune_options.test_wrong_candidate)->group("");

    CLI11_PARSE(app, argc, argv);
    if (emit_cmd->parsed()) return run_emit_command(emit_options);
    if (run_cmd->parsed()) return run_command(run_options);
    if (bench_cmd->parsed()) return bench_command(bench_options);
    if (list_cmd->parsed()) return list_command(list_db);
    if (keys_cmd->parsed()) return keys_command(keys_spec, keys_json);
    if (tune_cmd->parsed()) {
        return guarded("tune", [&] {
            tune_options.self = std::filesystem::read_symlink("/proc/self/exe").string();
            tune(tune_options);
        });
    }
    return 1;
}
