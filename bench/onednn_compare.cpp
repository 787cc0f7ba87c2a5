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

namespace {

using namespace convforge;

struct Shape {
    int channels, size, stride;
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

WeightTensor f32_tensor(std::vector<int64_t> shape, std::mt19937 &rng) {
    size_t n = 1;
    for (auto d : shape) n *= size_t(d);
    std::vector<float> v(n);
    std::uniform_real_distribution<float> dist(-0.1f, 0.1f);
    for (float &f : v) f = dist(rng);
    WeightTensor t;
    t.dtype = "F32";
    t.shape = std::move(shape);
    t.bytes.resize(n * 4);
    std::memcpy(t.bytes.data(), v.data(), n * 4);
    return t;
}

// oneDNN forward inference, src/dst in `layout` as the user holds them; weights
// reordered once into oneDNN's preferred format (not timed, like convforge's folding).
class OneDnnConv {
public:
    OneDnnConv(const Shape &s, int batch, const std::vector<float> &weights, dnnl::memory::format_tag layout)
        : eng_(dnnl::engine::kind::cpu, 0), strm_(eng_) {
        using namespace dnnl;
        const int C = s.channels, H = s.size, k = 3, out = (H + 2 - k) / s.stride + 1;
        memory::dims src_dims = {batch, C, H, H}, w_dims = {C, C, k, k}, b_dims = {C}, dst_dims = {batch, C, out, out};
        auto src_md = memory::desc(src_dims, memory::data_type::f32, layout);
        auto dst_md = memory::desc(dst_dims, memory::data_type::f32, layout);
        auto w_any = memory::desc(w_dims, memory::data_type::f32, memory::format_tag::any);
        auto b_md = memory::desc(b_dims, memory::data_type::f32, memory::format_tag::x);
        convolution_forward::desc desc(prop_kind::forward_inference, algorithm::convolution_direct, src_md, w_any,
                                       b_md, dst_md, {s.stride, s.stride}, {1, 1}, {1, 1});
        convolution_forward::primitive_desc pd(desc, eng_);
        memory user_w({w_dims, memory::data_type::f32, memory::format_tag::oihw}, eng_,
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
    const Shape shapes[] = {{64, 56, 1}, {128, 28, 1}, {256, 14, 1}, {128, 56, 2}};
    std::mt19937 rng(7);

    const double peak[3] = {0, bench::measured_fp32_peak_gflops(1), bench::measured_fp32_peak_gflops(2)};
    std::printf("fp32 peak, measured with a register-only %s loop (best of 3): 1 thread %.0f GFLOP/s, 2 threads %.0f GFLOP/s\n\n",
                bench::peak_isa(), peak[1], peak[2]);

    std::printf("| layer | batch | threads | convforge conv ms | GFLOP/s | %% peak | folded DO-Conv ms | oneDNN NCHW ms | oneDNN NHWC ms | conv / best oneDNN | DO-Conv / best oneDNN |\n");
    std::printf("|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (const Shape &s : shapes) {
        for (int batch : {1, 8}) {
            for (int threads : {1, 2}) {
                set_num_threads(threads);
                omp_set_num_threads(threads);
                LayerSpec spec;
                spec.in_channels = spec.out_channels = s.channels;
                spec.kernel_size = 3;
                spec.padding = 1;
                spec.stride = s.stride;
                spec.bias = true;
                WeightMap w;
                w["weight"] = f32_tensor({s.channels, s.channels, 3, 3}, rng);
                w["bias"] = f32_tensor({s.channels}, rng);
                const PreparedLayer conv = prepare_layer(spec, w);

                LayerSpec dspec = spec;
                dspec.variant = Variant::DoConv;
                dspec.d_mul = 9;
                WeightMap dw;
                dw["W"] = f32_tensor({s.channels, s.channels, 9}, rng);
                dw["D"] = f32_tensor({s.channels, 9, 9}, rng);
                dw["bias"] = w["bias"];
                const PreparedLayer doconv = prepare_layer(dspec, dw);

                Tensor x;
                x.shape = {batch, s.channels, s.size, s.size};
                x.data.assign(size_t(batch) * s.channels * s.size * s.size, 0.5f);
                OneDnnConv nchw(s, batch, w["weight"].as_float(), dnnl::memory::format_tag::nchw);
                OneDnnConv nhwc(s, batch, w["weight"].as_float(), dnnl::memory::format_tag::nhwc);
                Tensor y;  // preallocated, as oneDNN's destination is
                const auto ms = interleaved_medians_ms({[&] { run_layer(conv, x, y); }, [&] { run_layer(doconv, x, y); },
                                                        [&] { nchw.run(); }, [&] { nhwc.run(); }},
                                                       repeats);
                const double conv_ms = ms[0], doconv_ms = ms[1], nchw_ms = ms[2], nhwc_ms = ms[3];

                const int out = (s.size + 2 - 3) / s.stride + 1;
                const double gflop = 2.0 * batch * s.channels * s.channels * 9.0 * out * out * 1e-9;
                const double gflops = gflop / (conv_ms * 1e-3);
                const double best_onednn = std::min(nchw_ms, nhwc_ms);
                std::printf("| %d→%d %dx%d s%d | %d | %d | %.3f | %.1f | %.0f%% | %.3f | %.3f | %.3f | %.2f× | %.2f× |\n",
                            s.channels, s.channels, s.size, s.size, s.stride, batch, threads, conv_ms, gflops,
                            100.0 * gflops / peak[threads], doconv_ms, nchw_ms, nhwc_ms, conv_ms / best_onednn,
                            doconv_ms / best_onednn);
                std::fflush(stdout);
            }
        }
    }
    return 0;
}
