// What convforge's schedules need to know about a Halide target, decided in one
// place: which schedule file applies, its schedule database key, and the SIMD
// facts the default knobs derive from.
#pragma once

#include <string>
#include <vector>

#include "Halide.h"

namespace convforge {

// The CPU schedules of x86 and ARM, or the GPU schedules every GPU API runs.
enum class ScheduleFamily { X86, Arm, Gpu };
// Which GPU API a GPU target compiles for: what the GPU schedules may use beyond
// gpu_tile and GPUShared (warp lanes and shuffles, DP4A: CUDA only in Halide 14).
enum class GpuApi { None, Cuda, OpenCL };

struct TargetFacts {
    ScheduleFamily family;
    std::string database_key;  // "x86-64-avx512", "x86-64-avx2", "x86-64-sse41", "arm-64", "cuda", "opencl", ...
    int vector_floats;         // float lanes of one SIMD vector (1 on a GPU)
    int vector_registers;      // SIMD registers the register tiles may use (0 on a GPU)
    GpuApi gpu_api = GpuApi::None;
};

// Floats in one cache line (64 bytes on every CPU convforge targets): parallel
// tasks that keep accumulators in memory own whole lines, or cores fight over them.
constexpr int kCacheLineFloats = 16;

TargetFacts target_facts(const Halide::Target &target);

// The facts behind a schedule-database target key ("x86-64-avx2", "cuda", ...),
// for checking records without a target at hand; false for a key no target has.
bool target_facts_for_key(const std::string &key, TargetFacts &facts);
// Every key a convforge target can have, most capable x86 first.
std::vector<std::string> database_keys();

}  // namespace convforge
