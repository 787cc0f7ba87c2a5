// A variant's kernel against what its users run today and against convforge's own
// plain conv, in one run: the repo's PyTorch module of the variant
// (reference/variants/<variant>.py: eval, no_grad, Debian's python3-torch, the same
// threads) and PyTorch's conv of the same shape, each in a worker process timing
// itself; convforge's variant and plain conv as a user links them (emitted for
// this machine with the schedule database's record for that batch and size, by
// the `convforge` executable, and loaded into this process). All four run in
// interleaved rounds on the same random weights (every key, the optional ones
// too). At the four benchmark shapes (C -> C, 3 x 3: 64 56x56, 128 28x28,
// 256 14x14, 128 56x56 stride 2), batch 1 and 8, 1 and 2 threads; prints a
// markdown table of medians in ms and their ratios; with --json PATH it also writes
// the same rows, with the run's CPU, threads and date, as one JSON document
// (bench/plot.py draws it).
//
// usage: convforge_vs_pytorch --variant NAME [--fields JSON] [--quick] [--convforge PATH] [--db PATH]
//                             [--target TARGET] [--json PATH]
// (--fields: the variant's own spec fields, e.g. '"bits": 8, "activation_bits": 8'
// for DSConv, whose bits have no default; --target: one target this CPU runs, as
// `convforge bench --target` takes it, e.g. another sub-target of the x86-64
// library than its best (the AVX2 one on an AVX-512 machine), with that
// sub-target's records; PyTorch keeps its own dispatch)
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "convforge/convforge.h"
#include "../driver/interleaved.h"
#include "python_worker.h"
#include "../driver/emit.h"
#include "../driver/host_cpu.h"
#include "../driver/kernel_loader.h"
#include "random_weights.h"
#include "variant.h"
#include "../schedules/schedule_database.h"

namespace {

using namespace convforge;

struct Shape {
    int channels, size, stride;
    std::string name() const {
        return std::to_string(channels) + "→" + std::to_string(channels) + " " + std::to_string(size) + "x" +
               std::to_string(size) + " s" + std::to_string(stride);
    }
};

const Shape kShapes[] = {{64, 56, 1}, {128, 28, 1}, {256, 14, 1}, {128, 56, 2}};

// Every field but the geometry and `fields` at its default: the variant's own
// (SPConv's ratio 0.5 and 2 groups) and no bias (SPConv takes none; the conv's
// costs nothing).
std::string spec_json(const std::string &variant, const Shape &s, const std::string &fields) {
    return "{\"variant\": \"" + variant + "\", \"in_channels\": " + std::to_string(s.channels) +
           ", \"out_channels\": " + std::to_string(s.channels) + ", \"kernel_size\": 3, \"stride\": " +
           std::to_string(s.stride) + (fields.empty() ? "" : ", " + fields) + "}";
}

// Runs reference/torch_reference.forward on a spec and weights it is told of.
std::string worker_script() {
    return std::string(R"PY(
import json, struct, sys, time
import numpy as np, torch
sys.path.insert(0, ")PY") + CONVFORGE_SOURCE_DIR + R"PY(/reference")
import torch_reference

def load_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    types = {"F32": np.float32, "I8": np.int8, "I64": np.int64, "I32": np.int32}
    out = {}
    for key, e in header.items():
        if key == "__metadata__":
            continue
        a, b = e["data_offsets"]
        out[key] = torch.from_numpy(np.frombuffer(data[8 + n + a:8 + n + b], dtype=types[e["dtype"]]).reshape(e["shape"]).copy())
    return out

spec = w = x = None
for line in sys.stdin:
    cmd = line.split()
    if cmd[0] == "hello":
        out = "ready"
    elif cmd[0] == "version":
        out = torch.__version__
    elif cmd[0] == "setup":
        with open(cmd[1]) as f:
            spec = json.load(f)
        w = load_safetensors(cmd[2])
        n, h, width, threads = (int(v) for v in cmd[3:7])
        torch.set_num_threads(threads)
        x = torch.rand(n, spec["in_channels"], h, width)
        out = "ok"
    else:
        with torch.no_grad():
            t0 = time.perf_counter()
            torch_reference.forward(spec, w, x)
            out = "%.6f" % ((time.perf_counter() - t0) * 1e3)
    sys.stdout.write(out + "\n")
    sys.stdout.flush()
)PY";
}

// One layer's side of the comparison: its spec and weights on disk (for
// PyTorch), prepared, and its kernel emitted for this machine at one batch.
struct Layer {
    std::string spec_path, weights_path;
    PreparedLayer prepared;
    std::unique_ptr<LoadedKernel> kernel;

    Layer(const std::string &variant, const std::string &fields, const Shape &s, int batch, const std::string &dir,
          const KernelBuild &build, const std::string &db, const std::string &forced_target) {
        spec_path = dir + "/" + variant + ".json";
        weights_path = dir + "/" + variant + ".safetensors";
        std::ofstream(spec_path) << spec_json(variant, s, fields);
        const LayerSpec spec = load_layer_spec(spec_path);
        const WeightMap w = random_weights(spec, 20261202, true);
        save_safetensors(weights_path, w);
        prepared = prepare_layer(spec, w);
        const std::string target = target_to_run_here(find_variant(spec.variant).layer_kernel(spec), forced_target);
        kernel = std::make_unique<LoadedKernel>(build, spec_path, target, db, dir, variant,
                                                std::vector<std::string>{"--estimate", run_size_text({batch, s.size, s.size})});
    }
};

std::string ratio(double a, double b) {
    char text[32];
    std::snprintf(text, sizeof text, "%.2f×", a / b);
    return text;
}

// The CPU as /proc/cpuinfo names it (family and model too: VMs often report only
// "AMD EPYC"), for the JSON document.
nlohmann::json cpu_json() {
    const HostCpu cpu = host_cpu();
    const auto number = [](const std::optional<int> &v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
    return {{"model_name", cpu.model_name.empty() ? "unknown" : cpu.model_name}, {"cpu_family", number(cpu.family)},
            {"model", number(cpu.model)}, {"logical_cpus", cpu.logical_cpus}};
}

// Writes the document to a file beside `path`, then renames it over `path`, so a
// reader never sees half of it.
void write_json(const std::string &path, const nlohmann::json &doc) {
    const std::string partial = path + ".partial";
    {
        std::ofstream out(partial);
        out << doc.dump(2) << "\n";
        out.close();
        if (!out) throw Error("cannot write " + partial);
    }
    std::error_code ec;
    std::filesystem::rename(partial, path, ec);
    if (ec) {
        std::filesystem::remove(partial, ec);
        throw Error("cannot write " + path);
    }
}

}  // namespace

int main(int argc, char **argv) {
    std::string variant, fields, convforge_bin, forced_target, json_path, db = CONVFORGE_SCHEDULE_DB;
    bool quick = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--variant" && i + 1 < argc) {
            variant = argv[++i];
        } else if (a == "--fields" && i + 1 < argc) {
            fields = argv[++i];
        } else if (a == "--quick") {
            quick = true;
        } else if (a == "--convforge" && i + 1 < argc) {
            convforge_bin = argv[++i];
        } else if (a == "--db" && i + 1 < argc) {
            db = argv[++i];
        } else if (a == "--target" && i + 1 < argc) {
            forced_target = argv[++i];
        } else if (a == "--json" && i + 1 < argc) {
            json_path = argv[++i];
        } else {
            std::fprintf(stderr,
                         "usage: %s --variant NAME [--fields JSON] [--quick] [--convforge PATH] [--db PATH] [--target T] "
                         "[--json PATH]\n",
                         argv[0]);
            return 2;
        }
    }
    if (variant.empty() || variant == "conv") {
        std::fprintf(stderr, "convforge_vs_pytorch: give --variant, a variant other than conv (known: ");
        for (const std::string &v : variant_names()) std::fprintf(stderr, "%s ", v.c_str());
        std::fprintf(stderr, ")\n");
        return 2;
    }
    if (!json_path.empty()) {
        // Refused now, not after the whole run: a --json whose folder is missing.
        const std::filesystem::path parent = std::filesystem::path(json_path).parent_path();
        if (std::filesystem::path(json_path).filename().empty() || std::filesystem::is_directory(json_path) ||
            !std::filesystem::is_directory(parent.empty() ? std::filesystem::path(".") : parent)) {
            std::fprintf(stderr, "convforge_vs_pytorch: --json %s: not a file in an existing folder\n", json_path.c_str());
            return 2;
        }
    }
    if (convforge_bin.empty())
        convforge_bin = (std::filesystem::path(argv[0]).parent_path() / "convforge").string();
    try {
        // Every layer runs the conv too, so a forced target must be one of the conv's.
        if (!forced_target.empty()) target_to_run_here(KernelPlan(), forced_target);
        PythonWorker torch_variant(worker_script().c_str()), torch_conv(worker_script().c_str());
        if (!torch_variant.ok() || !torch_conv.ok()) throw Error("python3 with torch is not available");
        const int rounds = quick ? 5 : 21;
        const std::string torch_version = torch_variant.request("version");
        const std::string sub_target =
            forced_target.empty() ? this_machine_target() : forced_target + ", forced by --target";
        nlohmann::json rows = nlohmann::json::array();
        std::printf("%s%s against PyTorch %s (python3-torch) and convforge's conv; kernels emitted for this CPU's "
                    "sub-target of the x86-64 library (conv: %s), records from %s; medians of %d interleaved rounds\n\n",
                    variant.c_str(), fields.empty() ? "" : (" {" + fields + "}").c_str(), torch_version.c_str(),
                    sub_target.c_str(), db.c_str(), rounds);
        std::printf("| layer | batch | threads | convforge %s ms | convforge conv ms | %s / conv | PyTorch %s ms | "
                    "PyTorch conv ms | PyTorch %s / convforge %s |\n|---|---|---|---|---|---|---|---|---|\n",
                    variant.c_str(), variant.c_str(), variant.c_str(), variant.c_str(), variant.c_str());
        const KernelBuild build{convforge_bin, "c++", 900};
        for (const Shape &s : kShapes) {
            for (int batch : {1, 8}) {
                ScratchDirectory scratch;
                const Layer mine(variant, fields, s, batch, scratch.path(), build, db, forced_target);
                const Layer conv("conv", "", s, batch, scratch.path(), build, db, forced_target);
                Tensor x;
                x.shape = {batch, s.channels, s.size, s.size};
                x.data.assign(size_t(batch) * s.channels * s.size * s.size, 0.0f);
                for (size_t i = 0; i < x.data.size(); ++i) x.data[i] = float(i % 97) / 97.0f - 0.5f;
                Tensor y;
                for (int threads : {1, 2}) {
                    set_num_threads(threads);
                    for (auto [worker, layer] : {std::pair{&torch_variant, &mine}, {&torch_conv, &conv}})
                        worker->request("setup " + layer->spec_path + " " + layer->weights_path + " " +
                                        std::to_string(batch) + " " + std::to_string(s.size) + " " +
                                        std::to_string(s.size) + " " + std::to_string(threads));
                    const std::vector<double> ms = interleaved_medians_ms(
                        {timed([&] { run_layer_with(mine.prepared, x, y, mine.kernel->kernel()); }),
                         timed([&] { run_layer_with(conv.prepared, x, y, conv.kernel->kernel()); }),
                         [&] { return std::stod(torch_variant.request("run")); },
                         [&] { return std::stod(torch_conv.request("run")); }},
                        rounds);
                    std::printf("| %s | %d | %d | %.3f | %.3f | %s | %.3f | %.3f | %s |\n", s.name().c_str(), batch,
                                threads, ms[0], ms[1], ratio(ms[0], ms[1]).c_str(), ms[2], ms[3],
                                ratio(ms[2], ms[0]).c_str());
                    std::fflush(stdout);
                    rows.push_back({{"layer", s.name()},
                                    {"in_channels", s.channels},
                                    {"out_channels", s.channels},
                                    {"kernel_size", 3},
                                    {"height", s.size},
                                    {"width", s.size},
                                    {"stride", s.stride},
                                    {"batch", batch},
                                    {"threads", threads},
                                    {"convforge_variant_ms", ms[0]},
                                    {"convforge_conv_ms", ms[1]},
                                    {"pytorch_module_ms", ms[2]},
                                    {"pytorch_conv_ms", ms[3]},
                                    {"variant_over_conv", ms[0] / ms[1]},
                                    {"speedup_vs_pytorch_module", ms[2] / ms[0]},
                                    {"speedup_vs_pytorch_conv", ms[3] / ms[0]}});
                }
            }
        }
        if (!json_path.empty()) {
            write_json(json_path, {{"benchmark", "convforge_vs_pytorch"},
                                   {"variant", variant},
                                   {"fields", fields},
                                   {"date_utc", utc_now("%Y-%m-%dT%H:%M:%SZ")},
                                   {"cpu", cpu_json()},
                                   {"conv_target", sub_target},
                                   {"schedule_db", db},
                                   {"pytorch_version", torch_version},
                                   {"rounds", rounds},
                                   {"statistic", "median ms of interleaved rounds"},
                                   {"rows", rows}});
            std::fprintf(stderr, "convforge_vs_pytorch: wrote %s\n", json_path.c_str());
        }
    } catch (const std::exception &e) {
        std::fprintf(stderr, "convforge_vs_pytorch: error: %s\n", e.what());
        return 1;
    }
    return 0;
}
