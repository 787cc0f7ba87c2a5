#include "fp32_peak.h"

#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <vector>

namespace convforge::bench {

namespace {

constexpr long kIterations = 200'000'000 / 8;

// 10 independent accumulators cover FMA latency (4-5 cycles) x 2 pipes.
__attribute__((target("avx2,fma"))) double fma_loop_avx2() {
    __m256 acc[10];
    for (int i = 0; i < 10; ++i) acc[i] = _mm256_set1_ps(float(i));
    const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
    for (long it = 0; it < kIterations; ++it)
        for (int i = 0; i < 10; ++i) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
    float sink = 0;
    for (int i = 0; i < 10; ++i) sink += _mm256_cvtss_f32(acc[i]);
    return sink;
}

__attribute__((target("avx512f"))) double fma_loop_avx512() {
    __m512 acc[16];
    for (int i = 0; i < 16; ++i) acc[i] = _mm512_set1_ps(float(i));
    const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
    for (long it = 0; it < kIterations; ++it)
        for (int i = 0; i < 16; ++i) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
    alignas(64) float lanes[16];
    float sink = 0;
    for (int i = 0; i < 16; ++i) {
        _mm512_store_ps(lanes, acc[i]);
        sink += lanes[0];
    }
    return sink;
}

bool has_avx512() { return __builtin_cpu_supports("avx512f"); }

}  // namespace

const char *peak_isa() { return has_avx512() ? "AVX-512 FMA" : "AVX2 FMA"; }

namespace {

double one_peak_run(int threads) {
    const bool wide = has_avx512();
    const double flops_per_thread = double(kIterations) * (wide ? 16 * 16 : 10 * 8) * 2;
    std::vector<std::thread> pool;
    std::vector<double> sinks(static_cast<size_t>(threads), 0.0);
    const auto t0 = std::chrono::steady_clock::now();
    for (int t = 0; t < threads; ++t)
        pool.emplace_back([&, t] { sinks[size_t(t)] = wide ? fma_loop_avx512() : fma_loop_avx2(); });
    for (auto &th : pool) th.join();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    volatile double keep = sinks[0];
    (void)keep;
    return flops_per_thread * threads / seconds * 1e-9;
}

}  // namespace

double measured_fp32_peak_gflops(int threads) {
    double best = 0;
    for (int i = 0; i < 3; ++i) best = std::max(best, one_peak_run(threads));
    return best;
}

}  // namespace convforge::bench
