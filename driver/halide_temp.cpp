#include "halide_temp.h"

#include <cstdlib>
#include <cstring>
#include <mutex>

#include <dlfcn.h>

namespace convforge {

namespace {

std::mutex g_mutex;
std::string g_parent;  // "" when no HalideTempDirectory exists

}  // namespace

HalideTempDirectory::HalideTempDirectory(const std::string &parent) {
    const std::lock_guard<std::mutex> lock(g_mutex);
    g_parent = parent;
}

HalideTempDirectory::~HalideTempDirectory() {
    const std::lock_guard<std::mutex> lock(g_mutex);
    g_parent.clear();
}

}  // namespace convforge

// Interposes libc's mkdtemp for the whole process (this definition in the
// executable comes before libc's; the real one is found with RTLD_NEXT). Only the
// exact template of Halide's Internal::dir_make_temp() is taken elsewhere; every
// other call is passed on unchanged. Halide sizes its buffer for "/tmp/XXXXXX" and
// builds its path from the pointer mkdtemp returns, so the longer path is
// returned in storage of this thread's own, as the caller copies it at once.
// (Halide's file_make_temp() uses mkstemps with a template it then reads back from
// its own buffer, which leaves no room for another directory; convforge's
// commands never reach it: Hexagon and debug-level code generation only.)
extern "C" char *mkdtemp(char *templ) {
    using Mkdtemp = char *(*)(char *);
    static const auto real = reinterpret_cast<Mkdtemp>(dlsym(RTLD_NEXT, "mkdtemp"));
    if (!templ || std::strcmp(templ, "/tmp/XXXXXX") != 0) return real(templ);
    std::string parent;
    {
        const std::lock_guard<std::mutex> lock(convforge::g_mutex);
        parent = convforge::g_parent;
    }
    if (parent.empty()) {
        const char *tmpdir = std::getenv("TMPDIR");
        if (tmpdir && *tmpdir) parent = tmpdir;
    }
    if (!parent.empty()) {
        thread_local std::string moved;
        moved = parent + "/XXXXXX";
        if (real(moved.data())) return moved.data();
    }
    return real(templ);  // no other place, or it cannot be written: /tmp, as Halide asked
}
