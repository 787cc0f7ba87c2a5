#include "target_facts.h"

namespace convforge {

TargetFacts target_facts(const Halide::Target &t) {
    // Halide compiles a target naming both APIs for CUDA.
    if (t.has_feature(Halide::Target::CUDA)) return {ScheduleFamily::Gpu, "cuda", 1, 0, GpuApi::Cuda};
    if (t.has_feature(Halide::Target::OpenCL)) return {ScheduleFamily::Gpu, "opencl", 1, 0, GpuApi::OpenCL};
    if (t.arch == Halide::Target::ARM) {
        // AArch64 NEON has 32 vector registers; 32-bit ARM has 16 quad registers.
        return {ScheduleFamily::Arm, t.bits == 64 ? "arm-64" : "arm-32", t.natural_vector_size<float>(), t.bits == 64 ? 32 : 16};
    }
    const bool avx512 = t.has_feature(Halide::Target::AVX512_Skylake) || t.has_feature(Halide::Target::AVX512);
    const std::string key = avx512                                   ? "x86-64-avx512"
                            : t.has_feature(Halide::Target::AVX2)   ? "x86-64-avx2"
                            : t.has_feature(Halide::Target::SSE41)  ? "x86-64-sse41"
                                                                    : "x86-64";
    return {ScheduleFamily::X86, key, t.natural_vector_size<float>(), avx512 ? 32 : 16};
}

namespace {

// One Halide target per database key.
const std::vector<std::string> &representative_targets() {
    static const std::vector<std::string> targets = {
        "x86-64-linux-avx-avx2-avx512-avx512_skylake-f16c-fma-sse41", "x86-64-linux-avx-avx2-f16c-fma-sse41",
        "x86-64-linux-sse41", "x86-64-linux", "arm-64-linux", "arm-32-linux", "x86-64-linux-cuda",
        "x86-64-linux-opencl"};
    return targets;
}

}  // namespace

bool target_facts_for_key(const std::string &key, TargetFacts &facts) {
    for (const std::string &t : representative_targets()) {
        const TargetFacts f = target_facts(Halide::Target(t));
        if (f.database_key == key) {
            facts = f;
            return true;
        }
    }
    return false;
}

std::vector<std::string> database_keys() {
    std::vector<std::string> keys;
    for (const std::string &t : representative_targets()) keys.push_back(target_facts(Halide::Target(t)).database_key);
    return keys;
}

}  // namespace convforge
