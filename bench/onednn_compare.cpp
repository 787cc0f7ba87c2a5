// convforge's plain conv (and folded DO-Conv) against the anchors a user would
// otherwise run, timed in one run: PyTorch's nn.Conv2d on NCHW and channels_last
// tensors (Debian's python3-torch, in a worker process), oneDNN called as PyTorch
// calls it (format_tag::any for source, weights and destination, the reorders from
// and to NCHW inside the timed call), and oneDNN on NCHW and NHWC user layouts.
// Prints a markdown table: ms (median of interleaved rounds), GFLOP/s, % of the
// measured fp32 peak and convforge's time over PyTorch NCHW's and over the fastest
// anchor's. convforge's time is the whole NCHW-in, NCHW-out call.
//
// usage: convforge_vs_onednn [--quick] [--no-pytorch]
#include <omp.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>

#include <oneapi/dnnl/dnnl.hpp>

#include "convforge/convforge.h"
#include "fp32_peak.h"
#include "../runtime/src/random_weights.h"

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

// One run of a contender, returning its time in ms.
using Contender = std::function<double()>;

Contender timed(std::function<void()> body) {
    return [body] {
        const auto t0 = std::chrono::steady_clock::now();
        body();
        return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    };
}

// Times several contenders in interleaved rounds (one run of each per round), so a
// noisy stretch of the machine hits all of them alike; returns each median in ms.
std::vector<double> interleaved_medians_ms(const std::vector<Contender> &contenders, int rounds) {
    for (const auto &fn : contenders)
        for (int i = 0; i < 3; ++i) fn();
    std::vector<std::vector<double>> times(contenders.size());
    for (int r = 0; r < rounds; ++r) {
        for (size_t c = 0; c < contenders.size(); ++c) times[c].push_back(contenders[c]());
    }
    std::vector<double> medians;
    for (auto &t : times) {
        std::sort(t.begin(), t.end());
        medians.push_back(t[t.size() / 2]);
    }
    return medians;
}

// PyTorch's nn.Conv2d in a python3 worker kept for the whole run: it builds the
// layer when told a shape, then runs one forward pass per request and reports the
// time it measured itself (so the pipe's latency is not counted).
class PyTorchWorker {
public:
    PyTorchWorker() {
        int to_child[2], from_child[2];
        if (pipe(to_child) != 0 || pipe(from_child) != 0) throw std::runtime_error("pipe");
        pid_ = fork();
        if (pid_ == 0) {
            dup2(to_child[0], 0);
            dup2(from_child[1], 1);
            close(to_child[1]);
            close(from_child[0]);
            execl("/usr/bin/python3", "python3", "-c", kScript, (char *)nullptr);
            _exit(127);
        }
        close(to_child[0]);
        close(from_child[1]);
        to_ = fdopen(to_child[1], "w");
        from_ = fdopen(from_child[0], "r");
        try {
            ok_ = request("hello") == "ready";
        } catch (const std::exception &) {
            ok_ = false;
        }
    }
    ~PyTorchWorker() {
        if (to_) fclose(to_);
        if (from_) fclose(from_);
        if (pid_ > 0) waitpid(pid_, nullptr, 0);
    }
    bool ok() const { return ok_; }
    std::string version() { return request("version"); }
    // channels_last: PyTorch's NHWC memory format for input, weights and output.
    void setup(const Shape &s, int batch, int threads, bool channels_last) {
        request("setup " + std::to_string(s.channels) + " " + std::to_string(s.size) + " " + std::to_string(s.stride) +
                " " + std::to_string(s.kernel) + " " + std::to_string(s.groups) + " " + std::to_string(batch) + " " +
                std::to_string(threads) + " " + (channels_last ? "1" : "0"));
    }
    double run() { return std::stod(request("run")); }

private:
    std::string request(const std::string &line) {
        std::fprintf(to_, "%s\n", line.c_str());
        std::fflush(to_);
        char reply[256];
        if (!std::fgets(reply, sizeof reply, from_)) throw std::runtime_error("the PyTorch worker stopped");
        std::string text = reply;
        while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
        return text;
    }

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

    pid_t pid_ = -1;
    FILE *to_ = nullptr, *from_ = nullptr;
    bool ok_ = false;
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

// Times one shape: convforge's conv, the same layer as DO-Conv (folded), and the anchors.
void print_row(const Shape &s, int batch, int threads, double peak, int repeats, std::mt19937 &rng,
               PyTorchWorker *torch_nchw, PyTorchWorker *torch_cl) {
    set_num_threads(threads);
    omp_set_num_threads(threads);
    const int C = s.channels, Cg = C / s.groups, k = s.kernel;
    LayerSpec spec;
    spec.variant = "conv";
    spec.in_channels = spec.out_channels = C;
    spec.kernel_size = k;
    spec.padding = (k - 1) / 2;
    spec.stride = s.stride;
    spec.groups = s.groups;
    spec.bias = true;
    const uint32_t seed = uint32_t(rng());
    const WeightMap w = random_weights(spec, seed);
    const PreparedLayer conv = prepare_layer(spec, w);

    LayerSpec dspec = spec;
    dspec.variant = "doconv";  // d_mul takes its default, k * k
    const PreparedLayer doconv = prepare_layer(dspec, random_weights(dspec, seed + 1));

    Tensor x;
    x.shape = {batch, C, s.size, s.size};
    x.data.assign(size_t(batch) * C * s.size * s.size, 0.5f);
    OneDnnConv any(s, batch, w.at("weight").as_float(), dnnl::memory::format_tag::any);
    OneDnnConv nchw(s, batch, w.at("weight").as_float(), dnnl::memory::format_tag::nchw);
    OneDnnConv nhwc(s, batch, w.at("weight").as_float(), dnnl::memory::format_tag::nhwc);
    Tensor y;  // preallocated, as oneDNN's destination is
    std::vector<Contender> contenders = {timed([&] { run_layer(conv, x, y); }), timed([&] { run_layer(doconv, x, y); }),
                                         timed([&] { any.run(); }), timed([&] { nchw.run(); }),
                                         timed([&] { nhwc.run(); })};
    if (torch_nchw) {
        torch_nchw->setup(s, batch, threads, false);
        torch_cl->setup(s, batch, threads, true);
        contenders.push_back([&] { return torch_nchw->run(); });
        contenders.push_back([&] { return torch_cl->run(); });
    }
    const auto ms = interleaved_medians_ms(contenders, repeats);
    const double conv_ms = ms[0], doconv_ms = ms[1];
    double fastest = *std::min_element(ms.begin() + 2, ms.end());

    const double gflop = 2.0 * batch * C * Cg * k * k * double(s.out_size()) * s.out_size() * 1e-9;
    const double gflops = gflop / (conv_ms * 1e-3);
    auto cell = [&](size_t i) { return i < ms.size() ? std::to_string(ms[i]).substr(0, 6) : std::string("-"); };
    const std::string vs_torch = torch_nchw ? std::to_string(conv_ms / ms[5]).substr(0, 4) + "×" : "-";
    std::printf("| %s | %d | %d | %.3f | %.1f | %.0f%% | %.3f | %s | %s | %s | %s | %s | %s | %.2f× |\n", s.name().c_str(),
                batch, threads, conv_ms, gflops, 100.0 * gflops / peak, doconv_ms, cell(5).c_str(), cell(6).c_str(),
                cell(2).c_str(), cell(3).c_str(), cell(4).c_str(), vs_torch.c_str(), conv_ms / fastest);
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
    bool quick = false, with_torch = true;
    for (int i = 1; i < argc; ++i) {
        quick = quick || std::string(argv[i]) == "--quick";
        with_torch = with_torch && std::string(argv[i]) != "--no-pytorch";
    }
    const int repeats = quick ? 5 : 25;
    // The issue's shapes (dense 3x3), then shapes beyond it for reference.
    const Shape shapes[] = {{64, 56, 1}, {128, 28, 1}, {256, 14, 1}, {128, 56, 2}};
    const Shape extra_shapes[] = {{128, 56, 1, 3, 128}, {128, 56, 2, 3, 128}, {128, 56, 1, 1, 1}};
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
    const char *header =
        "| layer | batch | threads | convforge conv ms | GFLOP/s | %% peak | folded DO-Conv ms | PyTorch NCHW ms | "
        "PyTorch channels_last ms | oneDNN any ms | oneDNN NCHW ms | oneDNN NHWC ms | conv / PyTorch NCHW | "
        "conv / fastest anchor |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
    std::printf(header);
    for (const Shape &s : shapes)
        for (int batch : {1, 8})
            for (int threads : {1, 2}) print_row(s, batch, threads, peak[threads], repeats, rng, torch_nchw.get(), torch_cl.get());
    std::printf("\nBeyond the issue's shapes (depthwise and pointwise), batch 8:\n\n");
    std::printf(header);
    for (const Shape &s : extra_shapes)
        for (int threads : {1, 2}) print_row(s, 8, threads, peak[threads], repeats, rng, torch_nchw.get(), torch_cl.get());
    return 0;
}
