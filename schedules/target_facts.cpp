#include "target_facts.h"

namespace convforge {

TargetFacts target_facts(const Halide::Target &t) {
    if (t.has_feature(Halide::Target::CUDA)) return {ScheduleFamily::Cuda, "cuda", 1, 0};
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

}  // namespace convforge
