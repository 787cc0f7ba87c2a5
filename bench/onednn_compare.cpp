// convforge's plain conv (and folded DO-Conv) against oneDNN, timed in one run.
// Prints a markdown table: ms (median of interleaved rounds), GFLOP/s, % of the
// measured fp32 peak and the ratio convforge / oneDNN, oneDNN given NCHW and NHWC
// user layouts. convforge's time is the whole NCHW-in, NCHW-out call.
//
// usage: convforge_vs_onednn [--quick]
#include <omp.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>

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

// Times several contenders in interleaved rounds (one run of each per round), so a
// noisy stretch of the machine hits all of them alike; returns each median in ms.
std::vector<double> interleaved_medians_ms(const std::vector<std::function<void()>> &contenders, int rounds) {
    for (const auto &fn : contenders)
        for (int i = 0; i < 3; ++i) fn();
    std::vector<std::vector<double>> times(contenders.size());
    for (int r = 0; r < rounds; ++r) {
        for (size_t c = 0; c < contenders.size(); ++c) {
            const auto t0 = std::chrono::steady_clock::now();
            contenders[c]();
            times[c].push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
        }
    }
    std::vector<double> medians;
    for (auto &t : times) {
        std::sort(t.begin(), t.end());
        medians.push_back(t[t.size() / 2]);
    }
    return medians;
}

// oneDNN forward inference, src/dst in `layout` as the user holds them; weights
// reordered once into oneDNN's preferred format (not timed, like convforge's folding).
class OneDnnConv {
public:
    OneDnnConv(const Shape &s, int batch, const std::vector<float> &weights, dnnl::memory::format_tag layout)
        : eng_(dnnl::engine::kind::cpu, 0), strm_(eng_) {
        using namespace dnnl;
        const int C = s.channels, H = s.size, k = s.kernel, out = s.out_size(), g = s.groups, p = (k - 1) / 2;
        memory::dims src_dims = {batch, C, H, H}, b_dims = {C}, dst_dims = {batch, C, out, out};
        memory::dims w_dims = g == 1 ? memory::dims{C, C, k, k} : memory::dims{g, C / g, C / g, k, k};
        auto src_md = memory::desc(src_dims, memory::data_type::f32, layout);
        auto dst_md = memory::desc(dst_dims, memory::data_type::f32, layout);
        auto w_any = memory::desc(w_dims, memory::data_type::f32, memory::format_tag::any);
        auto b_md = memory::desc(b_dims, memory::data_type::f32, memory::format_tag::x);
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
        src_ = memory(src_md, eng_, src_data_.data());
        dst_ = memory(dst_md, eng_, dst_data_.data());
        b_ = memory(b_md, eng_, bias_data_.data());
        conv_ = convolution_forward(pd);
    }
    void run() {
        conv_.execute(strm_, {{DNNL_ARG_SRC, src_}, {DNNL_ARG_WEIGHTS, w_}, {DNNL_ARG_BIAS, b_}, {DNNL_ARG_DST, dst_}});
        strm_.wait();
    }

private:
    dnnl::engine eng_;
    dnnl::stream strm_;
    dnnl::memory w_, src_, dst_, b_;
    std::vector<float> src_data_, dst_data_, bias_data_;
    dnnl::convolution_forward conv_;
};

// Times one shape: convforge's conv, the same layer as DO-Conv (folded), oneDNN.
void print_row(const Shape &s, int batch, int threads, double peak, int repeats, std::mt19937 &rng) {
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
    OneDnnConv nchw(s, batch, w.at("weight").as_float(), dnnl::memory::format_tag::nchw);
    OneDnnConv nhwc(s, batch, w.at("weight").as_float(), dnnl::memory::format_tag::nhwc);
    Tensor y;  // preallocated, as oneDNN's destination is
    const auto ms = interleaved_medians_ms(
        {[&] { run_layer(conv, x, y); }, [&] { run_layer(doconv, x, y); }, [&] { nchw.run(); }, [&] { nhwc.run(); }},
        repeats);
    const double conv_ms = ms[0], doconv_ms = ms[1], nchw_ms = ms[2], nhwc_ms = ms[3];

    const double gflop = 2.0 * batch * C * Cg * k * k * double(s.out_size()) * s.out_size() * 1e-9;
    const double gflops = gflop / (conv_ms * 1e-3);
    const double best_onednn = std::min(nchw_ms, nhwc_ms);
    std::printf("| %s | %d | %d | %.3f | %.1f | %.0f%% | %.3f | %.3f | %.3f | %.2f× | %.2f× |\n", s.name().c_str(), batch,
                threads, conv_ms, gflops, 100.0 * gflops / peak, doconv_ms, nchw_ms, nhwc_ms, conv_ms / best_onednn,
                doconv_ms / best_onednn);
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
    const bool quick = argc > 1 && std::string(argv[1]) == "--quick";
    const int repeats = quick ? 5 : 25;
    // The shapes (dense 3x3), then shapes beyond it for reference.
    const Shape shapes[] = {{64, 56, 1}, {128, 28, 1}, {256, 14, 1}, {128, 56, 2}};
    const Shape extra_shapes[] = {{128, 56, 1, 3, 128}, {128, 56, 2, 3, 128}, {128, 56, 1, 1, 1}};
    std::mt19937 rng(7);

    const double peak[3] = {0, bench::measured_fp32_peak_gflops(1), bench::measured_fp32_peak_gflops(2)};
    std::printf("fp32 peak, measured with a register-only %s loop (best of 3): 1 thread %.0f GFLOP/s, 2 threads %.0f GFLOP/s\n\n",
                bench::peak_isa(), peak[1], peak[2]);

    const char *header =
        "| layer | batch | threads | convforge conv ms | GFLOP/s | %% peak | folded DO-Conv ms | oneDNN NCHW ms | "
        "oneDNN NHWC ms | conv / best oneDNN | DO-Conv / best oneDNN |\n|---|---|---|---|---|---|---|---|---|---|---|\n";
    std::printf(header);
    for (const Shape &s : shapes)
        for (int batch : {1, 8})
            for (int threads : {1, 2}) print_row(s, batch, threads, peak[threads], repeats, rng);
    std::printf("\nBeyond the issue's shapes (depthwise and pointwise), batch 8:\n\n");
    std::printf(header);
    for (const Shape &s : extra_shapes)
        for (int threads : {1, 2}) print_row(s, 8, threads, peak[threads], repeats, rng);
    return 0;
}
