#include "halide_hooks.h"

#include <cstdint>
#include <mutex>

#include "HalideRuntime.h"

#if defined(__aarch64__) && defined(__linux__)
#include <asm/hwcap.h>
#include <sys/auxv.h>
#endif

namespace {
thread_local std::string last_error_on_this_thread;
std::mutex last_error_mutex;
std::string last_error_anywhere;
}  // namespace

extern "C" void halide_error(void *, const char *msg) {
    last_error_on_this_thread = msg;
    std::lock_guard<std::mutex> lock(last_error_mutex);
    last_error_anywhere = msg;
}

#if defined(__aarch64__) && defined(__linux__)
// Only the dot-product feature is vetoed; the rest is Halide's own answer.
extern "C" int halide_can_use_target_features(int count, const uint64_t *features) {
    const int dot_product = halide_target_feature_arm_dot_prod;
    const bool wants_dot_product = dot_product / 64 < count && ((features[dot_product / 64] >> (dot_product % 64)) & 1);
    if (wants_dot_product && !(getauxval(AT_HWCAP) & HWCAP_ASIMDDP)) return 0;
    return halide_default_can_use_target_features(count, features);
}
#endif

namespace convforge {

std::string take_halide_error() {
    std::string msg = last_error_on_this_thread;
    if (msg.empty()) {
        std::lock_guard<std::mutex> lock(last_error_mutex);
        msg = last_error_anywhere;
    }
    last_error_on_this_thread.clear();
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    return msg.empty() ? "unknown Halide error" : msg;
}

}  // namespace convforge
