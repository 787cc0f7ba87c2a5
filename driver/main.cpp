// convforge: the command-line driver. Each command declares all its options in
// one add_<command>() function (emit's, shared with convforge-gen, in
// emit_command.cpp); main adds them and runs the one the command line names.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <random>

#include <nlohmann/json.hpp>

#include "convforge/convforge.h"
#include "checked_size.h"
#include "cleanup_on_signal.h"
#include "size_limits.h"
#include "message_text.h"
#include "random_weights.h"
#include "variant.h"
#include "command.h"
#include "emit.h"
#include "emit_command.h"
#include "interleaved.h"
#include "kernel_loader.h"
#include "tune.h"
#include "../schedules/knob_space_registry.h"
#include "../schedules/schedule_database.h"

namespace {

using namespace convforge;

// --- What several commands share: one spelling, one check, one text each. ---

constexpr int kMaxThreads = 1024;

void add_spec_option(CLI::App &cmd, std::string &path) {
    cmd.add_option("--spec", path, "layer spec JSON")->required();
}

void add_threads_option(CLI::App &cmd, int &threads) {
    // CLI::NonNegativeNumber would print the double maximum (309 digits) when it rejects.
    cmd.add_option("--threads", threads, "CPU threads (0 = all cores)")->check(CLI::Range(0, kMaxThreads));
}

// --batch, --height, --width: the input size a layer is run at.
void add_run_size_options(CLI::App &cmd, int &batch, int &height, int &width, bool required) {
    const CLI::Range dimension_range(int64_t(1), limits::kMaxDimension);
    auto add = [&](const char *name, int &value, const char *help) {
        CLI::Option *option = cmd.add_option(name, value, help)->check(dimension_range);
        if (required) {
            option->required();
        } else {
            option->capture_default_str();
        }
    };
    add("--batch", batch, "batch size");
    add("--height", height, "input height");
    add("--width", width, "input width");
}

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

// --- run ---

struct RunOptions {
    std::string spec, weights, input, output;
    int threads = 0;
    bool allow_nonfinite = false;
};

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

Command add_run_command(CLI::App &app) {
    auto o = std::make_shared<RunOptions>();
    CLI::App *cmd = app.add_subcommand("run", "Run a layer on an input with this machine's compiled kernels");
    add_spec_option(*cmd, o->spec);
    cmd->add_option("--weights", o->weights, "PyTorch state_dict as safetensors")->required();
    cmd->add_option("--input", o->input, "NCHW float32 .npy")->required();
    cmd->add_option("--output", o->output, "NCHW float32 .npy to write")->required();
    add_threads_option(*cmd, o->threads);
    cmd->add_flag("--allow-nonfinite", o->allow_nonfinite,
                  "run an input holding NaN or Inf anyway (the outputs they reach are unspecified)");
    return {cmd, [o] { return run_command(*o); }};
}

// --- bench ---

struct BenchOptions {
    std::string spec, weights;
    int batch = 1, height = 56, width = 56, threads = 0, repeats = 30;
    bool json = false;
    bool builtin = false;  // time the shape-generic built-in kernels `run` uses
    std::string db = CONVFORGE_SCHEDULE_DB, linker = "c++";
    std::string target;                // --target, as target_to_run_here reads it (empty: this CPU's best sub-target)
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
            throw Error("--target picks the target the emitted kernel is compiled for; the built-in kernels have their own");
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

Command add_bench_command(CLI::App &app) {
    auto o = std::make_shared<BenchOptions>();
    CLI::App *cmd = app.add_subcommand("bench", "Time the forward pass of a layer's compiled kernel");
    add_spec_option(*cmd, o->spec);
    cmd->add_option("--weights", o->weights, "weights (random when omitted)");
    add_run_size_options(*cmd, o->batch, o->height, o->width, true);
    add_threads_option(*cmd, o->threads);
    cmd->add_option("--repeats", o->repeats, "timed repeats")->check(CLI::Range(1, 100000))->capture_default_str();
    cmd->add_flag("--json", o->json, "print one JSON object");
    cmd->add_flag("--builtin", o->builtin,
                  "time the shape-generic built-in kernels `run` uses (default: the kernel `emit` makes for "
                  "this layer on this machine, with its best record)");
    add_db_option(*cmd, o->db, "the records `emit` would compile the timed kernel with");
    cmd->add_option("--linker", o->linker, "C++ compiler that links the emitted kernel")->capture_default_str();
    cmd->add_option("--target", o->target, run_here_target_help());
    cmd->add_option("--against", o->against,
                    "another schedule database (repeatable): its kernel is timed beside --db's in interleaved "
                    "rounds (--repeats of them), and each one's ratio to --db's printed");
    return {cmd, [o] { return bench_command(*o); }};
}

// --- keys ---

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

Command add_keys_command(CLI::App &app) {
    auto spec = std::make_shared<std::string>();
    auto json = std::make_shared<bool>(false);
    CLI::App *cmd = app.add_subcommand("keys", "List the state_dict entries a layer's weight file must hold");
    add_spec_option(*cmd, *spec);
    cmd->add_flag("--json", *json, "print one JSON array");
    return {cmd, [spec, json] { return keys_command(*spec, *json); }};
}

// --- list ---

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
                std::cout << "; " << space.point_count() << " / " << space.size() << "\n";
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
        std::cout << "targets:\n" << target_names_text();
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

Command add_list_command(CLI::App &app) {
    auto db = std::make_shared<std::string>(CONVFORGE_SCHEDULE_DB);
    CLI::App *cmd = app.add_subcommand("list", "List variants, targets and schedule records");
    add_db_option(*cmd, *db, "the records to list, each checked against its schedule's knob space");
    return {cmd, [db] { return list_command(*db); }};
}

// --- tune (the search itself: tune.cpp) ---

Command add_tune_command(CLI::App &app) {
    auto o = std::make_shared<TuneOptions>();
    o->db_path = CONVFORGE_SCHEDULE_DB;
    CLI::App *cmd = app.add_subcommand("tune", "Search a layer's knob space on this machine and record the best");
    add_spec_option(*cmd, o->spec_path);
    cmd->add_option("--target", o->target, run_here_target_help());
    add_run_size_options(*cmd, o->batch, o->height, o->width, false);
    cmd->add_option("--budget", o->budget_seconds, "seconds to spend")
        ->check(seconds_range(1, 86400))
        ->capture_default_str();
    cmd->add_option("--compile-timeout", o->compile_timeout_seconds, "seconds one candidate may compile")
        ->check(seconds_range(1, 3600))
        ->capture_default_str();
    add_threads_option(*cmd, o->threads);
    cmd->add_option("--repeats", o->repeats,
                    "interleaved timing rounds per candidate (about 20 ms of it and of the incumbent each)")
        ->check(CLI::Range(3, 10000))
        ->capture_default_str();
    add_db_option(*cmd, o->db_path, "the records to read and to write the best knobs into");
    cmd->add_option("--linker", o->linker, "C++ compiler that links candidates into shared libraries")
        ->capture_default_str();
    cmd->add_option("--baseline", o->baseline, "also time the layer as an autoscheduler schedules it, the same way")
        ->check(CLI::IsMember({"adams2019"}));
    cmd->add_flag("--test-wrong-candidate", o->test_wrong_candidate)->group("");
    return {cmd, [o] {
                return guarded("tune", [&] {
                    o->self = std::filesystem::read_symlink("/proc/self/exe").string();
                    tune(*o);
                });
            }};
}

}  // namespace

int main(int argc, char **argv) {
    // Ctrl-C, SIGTERM, SIGHUP and SIGPIPE remove what a command made before it dies.
    cleanup::install_signal_handlers();
    CLI::App app{"convforge: compile and run plug-and-play convolution variants"};
    app.require_subcommand(1);
    const std::vector<Command> commands = {add_emit_command(app, CONVFORGE_SCHEDULE_DB),
                                           add_run_command(app),
                                           add_bench_command(app),
                                           add_list_command(app),
                                           add_keys_command(app),
                                           add_tune_command(app)};
    CLI11_PARSE(app, argc, argv);
    for (const Command &command : commands) {
        if (command.cli->parsed()) return command.run();
    }
    return 1;
}
