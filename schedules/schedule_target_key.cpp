// The schedule database's target key of a Halide target (kept apart from the
// database reader, which needs no Halide).
#include "Halide.h"
#include "schedule_database.h"

namespace convforge {

std::string schedule_target_key(const Halide::Target &t) {
    if (t.has_feature(Halide::Target::CUDA)) return "cuda";
    if (t.arch == Halide::Target::ARM) return t.bits == 64 ? "arm-64" : "arm-32";
    if (t.has_feature(Halide::Target::AVX512_Skylake) || t.has_feature(Halide::Target::AVX512)) return "x86-64-avx512";
    if (t.has_feature(Halide::Target::AVX2)) return "x86-64-avx2";
    if (t.has_feature(Halide::Target::SSE41)) return "x86-64-sse41";
    return "x86-64";
}

}  // namespace convforge
