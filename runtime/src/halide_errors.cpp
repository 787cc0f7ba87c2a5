#include "halide_errors.h"

#include <mutex>

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
