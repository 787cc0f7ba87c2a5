// convforge's plain conv (and folded DO-Conv) against the anchors a user would
// otherwise run, timed in one run: PyTorch's nn.Conv2d on NCHW and channels_last
// tensors (Debian's python3-torch, in a worker process), oneDNN called as PyTorch
// calls it (format_tag::any for source, weights and destination, the reorders from
// and to NCHW inside the timed call), and oneDNN on NCHW and NHWC user layouts.
// Prints a markdown table: ms (median of interleaved rounds), GFLOP/s, % of the
// measured fp32 peak and convforge's time over PyTorch NCHW's and over the fastest
// anchor's. convforge's time is the whole NCHW-in, NCHW-out call.
//
// By default convforge runs its built-in shape-generic kernels (what `convforge run`
// uses). With --emitted it runs what a user links instead: per layer and batch the
// kernel `convforge emit` makes on the fallback knobs, with the schedule database's
// record (`--db`), and scheduled by Halide's Adams2019 autoscheduler, each compiled
// by the `convforge` executable (`--convforge`, default: beside this one) and
// loaded into this process, timed in the same rounds as the anchors.
//
// usage: convforge_vs_onednn [--quick] [--no-pytorch] [--emitted [--convforge PATH] [--db PATH]]
#include <omp.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>

#include <oneapi/dnnl/dnnl.hpp>

#include "convforge/convforge.h"
#include "fp32_peak.h"
#include "../driver/interleaved.h"
#include "python_worker.h"
#include "../driver/emit.h"
#include "../driver/kernel_loader.h"
#include "../schedules/schedule_database.h"
#include "random_weights.h"

namespace {

using namespace convforge;

// C -> C channels, size x size input, padding (k - 1) / 2.
struct Shape {
    int channels, size, stride, kernel = 3, groups = 1;
    std::string name() const {
        std::string text = std::to_string(channels) + "→" + std::to_string(channels) + " " + std::to_string(size) +
                           "x" + std::to_string(size) + " s" + std::to_string(stride);
        if (kernel != 3) text += " k" + std::to_string(kernel);
        if (groups == channels) text += " depthwise";
        return text;
    }
    int out_size() const { return (size + 2 * ((kernel - 1) / 2) - kernel) / stride + 1; }
};

// PyTorch's nn.Conv2d in a python3 worker kept for the whole run: it builds the
// layer when told a shape, then runs one forward pass per request and reports the
// time it measured itself (so the pipe's latency is not counted).
class PyTorchWorker {
public:
    PyTorchWorker() : worker_(kScript) {}
    bool ok() const { return worker_.ok(); }
    std::string version() { return worker_.request("version"); }
    // channels_last: PyTorch's NHWC memory format for input, weights and output.
    void setup(const Shape &s, int batch, int threads, bool channels_last) {
        worker_.request("setup " + std::to_string(s.channels) + " " + std::to_string(s.size) + " " +
                        std::to_string(s.stride) + " " + std::to_string(s.kernel) + " " + std::to_string(s.groups) + " " +
                        std::to_string(batch) + " " + std::to_string(threads) + " " + (channels_last ? "1" : "0"));
    }
    double run() { return std::stod(worker_.request("run")); }

private:
    static constexpr const char *kScript = R"PY(
import sys, time, torch
conv = x = None
for line in sys.stdin:
    cmd = line.split()
    if cmd[0] == "hello":
        out = "ready"
    elif cmd[0] == "version":
        out = torch.__version__
    elif cmd[0] == "setup":
        c, size, stride, k, groups, batch, threads, cl = (int(v) for v in cmd[1:])
        torch.set_num_threads(threads)
        conv = torch.nn.Conv2d(c, c, k, stride=stride, padding=(k - 1) // 2, groups=groups, bias=True).eval()
        x = torch.rand(batch, c, size, size)
        if cl:
            conv = conv.to(memory_format=torch.channels_last)
            x = x.contiguous(memory_format=torch.channels_last)
        out = "ok"
    else:
        with torch.no_grad():
            t0 = time.perf_counter()
            conv(x)
            out = "%.6f" % ((time.perf_counter() - t0) * 1e3)
    sys.stdout.write(out + "\n")
    sys.stdout.flush()
)PY";

    PythonWorker worker_;
};

// oneDNN forward inference on NCHW or NHWC user tensors. With `layout` given, the
// primitive takes the user's layout for source and destination; with
// format_tag::any it picks its own (blocked) ones, as PyTorch lets it, and run()
// reorders the NCHW source in and the destination back out, inside the timed
// call, as PyTorch does. Weights are reordered once into the primitive's
// preferred format (not timed, like convforge's folding).
class OneDnnConv {
public:
    OneDnnConv(const Shape &s, int batch, const std::vector<float> &weights, dnnl::memory::format_tag layout)
        : eng_(dnnl::engine::kind::cpu, 0), strm_(eng_) {
        using namespace dnnl;
        const int C = s.channels, H = s.size, k = s.kernel, out = s.out_size(), g = s.groups, p = (k - 1) / 2;
        const bool any = layout == memory::format_tag::any;
        const memory::format_tag user_layout = any ? memory::format_tag::nchw : layout;
        memory::dims src_dims = {batch, C, H, H}, b_dims = {C}, dst_dims = {batch, C, out, out};
        memory::dims w_dims = g == 1 ? memory::dims{C, C, k, k} : memory::dims{g, C / g, C / g, k, k};
        auto user_src_md = memory::desc(src_dims, memory::data_type::f32, user_layout);
        auto user_dst_md = memory::desc(dst_dims, memory::data_type::f32, user_layout);
        auto w_any = memory::desc(w_dims, memory::data_type::f32, memory::format_tag::any);
        auto b_md = memory::desc(b_dims, memory::data_type::f32, memory::format_tag::x);
        auto src_md = any ? memory::desc(src_dims, memory::data_type::f32, memory::format_tag::any) : user_src_md;
        auto dst_md = any ? memory::desc(dst_dims, memory::data_type::f32, memory::format_tag::any) : user_dst_md;
        convolution_forward::desc desc(prop_kind::forward_inference, algorithm::convolution_direct, src_md, w_any,
                                       b_md, dst_md, {s.stride, s.stride}, {p, p}, {p, p});
        convolution_forward::primitive_desc pd(desc, eng_);
        memory user_w({w_dims, memory::data_type::f32, g == 1 ? memory::format_tag::oihw : memory::format_tag::goihw}, eng_,
                      const_cast<float *>(weights.data()));
        w_ = memory(pd.weights_desc(), eng_);
        reorder(user_w, w_).execute(strm_, user_w, w_);
        src_data_.assign(size_t(batch) * C * H * H, 0.5f);
        dst_data_.resize(size_t(batch) * C * out * out);
        bias_data_.assign(size_t(C), 0.1f);
        user_src_ = memory(user_src_md, eng_, src_data_.data());
        user_dst_ = memory(user_dst_md, eng_, dst_data_.data());
        b_ = memory(b_md, eng_, bias_data_.data());
        src_ = pd.src_desc() == user_src_md ? user_src_ : memory(pd.src_desc(), eng_);
        dst_ = pd.dst_desc() == user_dst_md ? user_dst_ : memory(pd.dst_desc(), eng_);
        if (src_ != user_src_) src_reorder_ = reorder(user_src_, src_);
        if (dst_ != user_dst_) dst_reorder_ = reorder(dst_, user_dst_);
        conv_ = convolution_forward(pd);
    }
    void run() {
        if (src_ != user_src_) src_reorder_.execute(strm_, user_src_, src_);
        conv_.execute(strm_, {{DNNL_ARG_SRC, src_}, {DNNL_ARG_WEIGHTS, w_}, {DNNL_ARG_BIAS, b_}, {DNNL_ARG_DST, dst_}});
        if (dst_ != user_dst_) dst_reorder_.execute(strm_, dst_, user_dst_);
        strm_.wait();
    }

private:
    dnnl::engine eng_;
    dnnl::stream strm_;
    dnnl::memory w_, src_, dst_, b_, user_src_, user_dst_;
    dnnl::reorder src_reorder_, dst_reorder_;
    std::vector<float> src_data_, dst_data_, bias_data_;
    dnnl::convolution_forward conv_;
};

LayerSpec conv_spec(const Shape &s) {
    LayerSpec spec;
    spec.variant = "conv";
    spec.in_channels = spec.out_channels = s.channels;
    spec.kernel_size = s.kernel;
    spec.padding = (s.kernel - 1) / 2;
    spec.stride = s.stride;
    spec.groups = s.groups;
    spec.bias = true;
    return spec;
}

double gflop(const Shape &s, int batch) {
    return 2.0 * batch * s.channels * (s.channels / s.groups) * s.kernel * s.kernel * double(s.out_size()) * s.out_size() *
           1e-9;
}

// What a user would otherwise run, for one shape, batch and thread count: oneDNN
// as PyTorch calls it, on NCHW and on NHWC, and PyTorch itself (when its workers run).
struct Anchors {
    OneDnnConv any, nchw, nhwc;
    PyTorchWorker *torch_nchw, *torch_cl;
    static constexpr const char *kHeader =
        "PyTorch NCHW ms | PyTorch channels_last ms | oneDNN any ms | oneDNN NCHW ms | oneDNN NHWC ms";
    static constexpr int kCount = 5;

    Anchors(const Shape &s, int batch, int threads, const std::vector<float> &weights, PyTorchWorker *nchw_worker,
            PyTorchWorker *cl_worker)
        : any(s, batch, weights, dnnl::memory::format_tag::any), nchw(s, batch, weights, dnnl::memory::format_tag::nchw),
          nhwc(s, batch, weights, dnnl::memory::format_tag::nhwc), torch_nchw(nchw_worker), torch_cl(cl_worker) {
        if (torch_nchw) {
            torch_nchw->setup(s, batch, threads, false);
            torch_cl->setup(s, batch, threads, true);
        }
    }
    // In the order of kHeader; PyTorch's are absent without its workers.
    std::vector<Contender> contenders() {
        std::vector<Contender> c;
        if (torch_nchw) {
            c.push_back([this] { return torch_nchw->run(); });
            c.push_back([this] { return torch_cl->run(); });
        }
        c.push_back(timed([this] { any.run(); }));
        c.push_back(timed([this] { nchw.run(); }));
        c.push_back(timed([this] { nhwc.run(); }));
        return c;
    }
    // The anchors' cells from their medians, "-" for PyTorch's when absent.
    std::string cells(const std::vector<double> &ms) const {
        std::string text;
        size_t next = 0;
        for (int i = 0; i < kCount; ++i) {
            const bool present = torch_nchw || i >= 2;
            text += " | " + (present ? std::to_string(ms[next++]).substr(0, 6) : std::string("-"));
        }
        return text;
    }
    static double pytorch_nchw_ms(const std::vector<double> &ms, bool with_torch) { return with_torch ? ms[0] : 0; }
};

std::string ratio(double a, double b) {
    if (!(a > 0) || !(b > 0)) return "-";
    char text[32];
    std::snprintf(text, sizeof text, "%.2f×", a / b);
    return text;
}

Tensor constant_input(const Shape &s, int batch) {
    Tensor x;
    x.shape = {batch, s.channels, s.size, s.size};
    x.data.assign(size_t(batch) * s.channels * s.size * s.size, 0.5f);
    return x;
}

// convforge's contenders and the anchors timed in the same rounds: their medians
// (convforge's first, in order) and the fastest anchor's.
struct RowTimes {
    std::vector<double> convforge_ms, anchor_ms;
    double fastest_anchor_ms;
};

RowTimes time_beside_anchors(std::vector<Contender> contenders, Anchors &anchors, int repeats) {
    const size_t own = contenders.size();
    for (Contender &c : anchors.contenders()) contenders.push_back(std::move(c));
    const std::vector<double> ms = interleaved_medians_ms(contenders, repeats);
    RowTimes t{{ms.begin(), ms.begin() + own}, {ms.begin() + own, ms.end()}, 0};
    t.fastest_anchor_ms = *std::min_element(t.anchor_ms.begin(), t.anchor_ms.end());
    return t;
}

// Times one shape: convforge's built-in conv, the same layer as DO-Conv (folded), and the anchors.
void print_builtin_row(const Shape &s, int batch, int threads, double peak, int repeats, std::mt19937 &rng,
                       PyTorchWorker *torch_nchw, PyTorchWorker *torch_cl) {
    set_num_threads(threads);
    omp_set_num_threads(threads);
    const LayerSpec spec = conv_spec(s);
    const uint32_t seed = uint32_t(rng());
    const WeightMap w = random_weights(spec, seed);
    const PreparedLayer conv = prepare_layer(spec, w);
    LayerSpec dspec = spec;
    dspec.variant = "doconv";  // d_mul takes its default, k * k
    const PreparedLayer doconv = prepare_layer(dspec, random_weights(dspec, seed + 1));

    const Tensor x = constant_input(s, batch);
    Tensor y;  // preallocated, as oneDNN's destination is
    Anchors anchors(s, batch, threads, w.at("weight").as_float(), torch_nchw, torch_cl);
    const RowTimes t = time_beside_anchors(
        {timed([&] { run_layer(conv, x, y); }), timed([&] { run_layer(doconv, x, y); })}, anchors, repeats);
    const double conv_ms = t.convforge_ms[0], doconv_ms = t.convforge_ms[1];
    const double gflops = gflop(s, batch) / (conv_ms * 1e-3);
    std::printf("| %s | %d | %d | %.3f | %.1f | %.0f%% | %.3f%s | %s | %.2f× |\n", s.name().c_str(), batch, threads, conv_ms,
                gflops, 100.0 * gflops / peak, doconv_ms, anchors.cells(t.anchor_ms).c_str(),
                ratio(conv_ms, Anchors::pytorch_nchw_ms(t.anchor_ms, torch_nchw)).c_str(), conv_ms / t.fastest_anchor_ms);
    std::fflush(stdout);
}

// The kernels a user links for one layer at one batch: emitted on the fallback
// knobs (an empty database), with the database's record for that batch and size,
// and scheduled by Adams2019 with estimates of that batch and size.
struct EmittedKernels {
    ScratchDirectory scratch;
    std::unique_ptr<LoadedKernel> fallback, tuned, adams2019;

    EmittedKernels(const Shape &s, int batch, const std::string &convforge_bin, const std::string &db) {
        const std::string spec = scratch.path() + "/layer.json", empty_db = scratch.path() + "/empty_db.json";
        std::ofstream(spec) << "{\"variant\": \"conv\", \"in_channels\": " << s.channels << ", \"out_channels\": " << s.channels
                            << ", \"kernel_size\": " << s.kernel << ", \"stride\": " << s.stride << ", \"padding\": "
                            << (s.kernel - 1) / 2 << ", \"groups\": " << s.groups << ", \"bias\": true}";
        std::ofstream(empty_db) << "{\"records\": []}";
        const std::string size = run_size_text({batch, s.size, s.size});
        const KernelBuild build{convforge_bin, "c++", 900};
        const std::string target = this_machine_target();
        fallback = std::make_unique<LoadedKernel>(build, spec, target, empty_db, scratch.path(), "fallback");
        tuned = std::make_unique<LoadedKernel>(build, spec, target, db, scratch.path(), "tuned",
                                               std::vector<std::string>{"--estimate", size});
        adams2019 = std::make_unique<LoadedKernel>(build, spec, target, empty_db, scratch.path(), "adams2019",
                                                   std::vector<std::string>{"--autoscheduler", "adams2019", "--estimate", size});
    }
};

void print_emitted_row(const Shape &s, int batch, int threads, double peak, int repeats, std::mt19937 &rng,
                       const EmittedKernels &kernels, PyTorchWorker *torch_nchw, PyTorchWorker *torch_cl) {
    set_num_threads(threads);
    omp_set_num_threads(threads);
    const LayerSpec spec = conv_spec(s);
    const WeightMap w = random_weights(spec, uint32_t(rng()));
    const PreparedLayer conv = prepare_layer(spec, w);
    const Tensor x = constant_input(s, batch);
    Tensor y;
    Anchors anchors(s, batch, threads, w.at("weight").as_float(), torch_nchw, torch_cl);
    std::vector<Contender> contenders;
    for (const LoadedKernel *k : {kernels.fallback.get(), kernels.tuned.get(), kernels.adams2019.get()})
        contenders.push_back(timed([&conv, &x, &y, k] { run_layer_with(conv, x, y, k->kernel()); }));
    const RowTimes t = time_beside_anchors(std::move(contenders), anchors, repeats);
    const double fallback_ms = t.convforge_ms[0], tuned_ms = t.convforge_ms[1], adams_ms = t.convforge_ms[2];
    const double gflops = gflop(s, batch) / (tuned_ms * 1e-3);
    std::printf("| %s | %d | %d | %.3f | %.3f | %.1f | %.0f%% | %.3f%s | %s | %s | %s | %.2f× |\n", s.name().c_str(), batch,
                threads, fallback_ms, tuned_ms, gflops, 100.0 * gflops / peak, adams_ms, anchors.cells(t.anchor_ms).c_str(),
                ratio(fallback_ms, tuned_ms).c_str(), ratio(adams_ms, tuned_ms).c_str(),
                ratio(tuned_ms, Anchors::pytorch_nchw_ms(t.anchor_ms, torch_nchw)).c_str(), tuned_ms / t.fastest_anchor_ms);
    std::fflush(stdout);
}

}  // namespace

int main(int argc, char **argv) {
    // libgomp's idle threads spin for milliseconds after each oneDNN call (long
    // `pause` on Zen), stealing a core from whatever runs next. Sleeping idle
    // threads cost oneDNN only a wake-up per call; libgomp reads this at start-up,
    // hence the re-exec.
    if (!std::getenv("OMP_WAIT_POLICY")) {
        setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
        execv("/proc/self/exe", argv);
    }
    bool quick = false, with_torch = true, emitted = false;
    std::string db = CONVFORGE_SCHEDULE_DB;
    std::string convforge_bin = (std::filesystem::read_symlink("/proc/self/exe").parent_path() / "convforge").string();
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        const bool has_value = i + 1 < argc;
        if (arg == "--quick") {
            quick = true;
        } else if (arg == "--no-pytorch") {
            with_torch = false;
        } else if (arg == "--emitted") {
            emitted = true;
        } else if (arg == "--db" && has_value) {
            db = argv[++i];
        } else if (arg == "--convforge" && has_value) {
            convforge_bin = argv[++i];
        } else {
            std::fprintf(stderr, "usage: convforge_vs_onednn [--quick] [--no-pytorch] [--emitted [--convforge PATH] [--db PATH]]\n");
            return 2;
        }
    }
    const int repeats = quick ? 5 : 25;
    // The issue's shapes (dense 3x3), then shapes beyond it for reference.
    const std::vector<Shape> shapes = {{64, 56, 1}, {128, 28, 1}, {256, 14, 1}, {128, 56, 2}};
    const std::vector<Shape> extra_shapes = {{128, 56, 1, 3, 128}, {128, 56, 2, 3, 128}, {128, 56, 1, 1, 1}};
    std::mt19937 rng(7);

    const double peak[3] = {0, bench::measured_fp32_peak_gflops(1), bench::measured_fp32_peak_gflops(2)};
    std::printf("fp32 peak, measured with a register-only %s loop (best of 3): 1 thread %.0f GFLOP/s, 2 threads %.0f GFLOP/s\n\n",
                bench::peak_isa(), peak[1], peak[2]);

    std::unique_ptr<PyTorchWorker> torch_nchw, torch_cl;
    if (with_torch) {
        torch_nchw = std::make_unique<PyTorchWorker>();
        torch_cl = std::make_unique<PyTorchWorker>();
        if (!torch_nchw->ok() || !torch_cl->ok()) {
            std::printf("(PyTorch not available: its columns are empty)\n\n");
            torch_nchw.reset();
            torch_cl.reset();
        } else {
            std::printf("PyTorch %s (python3-torch), oneDNN %d.%d\n\n", torch_nchw->version().c_str(),
                        dnnl_version()->major, dnnl_version()->minor);
        }
    }
    try {
        if (emitted) {
            std::printf("convforge: kernels emitted for %s; records from %s\n\n", this_machine_target().c_str(), db.c_str());
            std::printf("| layer | batch | threads | fallback ms | tuned ms | tuned GFLOP/s | %% peak | Adams2019 ms | %s | "
                        "fallback / tuned | Adams2019 / tuned | tuned / PyTorch NCHW | tuned / fastest anchor |\n"
                        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n",
                        Anchors::kHeader);
            std::vector<Shape> all = shapes;
            all.push_back(extra_shapes[0]);
            all.push_back(extra_shapes[2]);
            for (const Shape &s : all)
                for (int batch : {1, 8}) {
                    const EmittedKernels kernels(s, batch, convforge_bin, db);
                    for (int threads : {1, 2})
                        print_emitted_row(s, batch, threads, peak[threads], repeats, rng, kernels, torch_nchw.get(),
                                          torch_cl.get());
                }
            return 0;
        }
        const std::string header = std::string("| layer | batch | threads | convforge conv ms | GFLOP/s | % peak | folded "
                                               "DO-Conv ms | ") +
                                   Anchors::kHeader +
                                   " | conv / PyTorch NCHW | conv / fastest anchor |\n"
                                   "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
        std::printf("%s", header.c_str());
        for (const Shape &s : shapes)
            for (int batch : {1, 8})
                for (int threads : {1, 2})
                    print_builtin_row(s, batch, threads, peak[threads], repeats, rng, torch_nchw.get(), torch_cl.get());
        std::printf("\nBeyond the issue's shapes (depthwise and pointwise), batch 8:\n\n%s", header.c_str());
        for (const Shape &s : extra_shapes)
            for (int threads : {1, 2})
                print_builtin_row(s, 8, threads, peak[threads], repeats, rng, torch_nchw.get(), torch_cl.get());
    } catch (const std::exception &e) {
        std::fprintf(stderr, "convforge_vs_onednn: %s\n", e.what());
        return 1;
    }
    return 0;
}
