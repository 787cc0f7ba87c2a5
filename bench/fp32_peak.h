// Measures this machine's fp32 FMA peak: independent vector FMAs, no memory.
#pragma once

namespace convforge::bench {

// GFLOP/s (best of 3 runs) of `threads` threads each running a register-resident FMA loop with the
// widest FMA this CPU has (AVX-512 or AVX2+FMA).
double measured_fp32_peak_gflops(int threads);
const char *peak_isa();

}  // namespace convforge::bench
