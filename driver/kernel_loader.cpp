#include "kernel_loader.h"

#include <cstdio>
#include <cstdlib>

#include <dlfcn.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "Halide.h"
#include "emit.h"
#include "../runtime/src/message_text.h"
#include "../runtime/src/variants/variant.h"

namespace convforge {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// The sub-targets of the shipped x86-64 library for kernels of `plan`, best first.
std::vector<std::string> x86_sub_targets(const KernelPlan &plan) {
    std::vector<std::string> subs;
    for (const NamedTarget &t : named_targets()) {
        if (std::string(t.name) != "x86-64-linux") continue;
        std::stringstream list(targets_for_plan(t.name, t.halide_target, plan));
        std::string sub;
        while (std::getline(list, sub, ',')) subs.push_back(sub);
    }
    return subs;
}

// The first feature `candidate` needs that this CPU lacks, or empty.
std::string missing_feature(const Halide::Target &candidate, const Halide::Target &host) {
    for (int f = 0; f < Halide::Target::FeatureEnd; ++f) {
        const auto feature = Halide::Target::Feature(f);
        if (!candidate.has_feature(feature) || host.has_feature(feature)) continue;
        // Halide 14 names a feature only inside a target string.
        const Halide::Target bare(candidate.os, candidate.arch, candidate.bits);
        const std::string named = bare.with_feature(feature).to_string(), prefix = bare.to_string() + "-";
        return named.rfind(prefix, 0) == 0 ? named.substr(prefix.size()) : named;
    }
    return "";
}

// The sub-target of the shipped x86-64 library (for kernels of `plan`) this CPU
// runs, so the tuned kernel is compiled as the one users link; else this
// machine's own target.
std::string this_machine_target_impl(const KernelPlan &plan) {
    const Halide::Target host = Halide::get_host_target();
    if (host.arch == Halide::Target::ARM) return "arm-64-linux";
    for (const std::string &sub : x86_sub_targets(plan))
        if (missing_feature(Halide::Target(sub), host).empty()) return sub;
    return host.to_string();
}

// Runs a command with its output in `log`; kills it past `timeout` seconds.
// Returns its exit status, or -1 when it was killed.
int run_child(const std::vector<std::string> &args, double timeout, const std::string &log) {
    // The child inherits unwritten stdio buffers; its freopen would write them a second time.
    std::fflush(nullptr);
    const pid_t pid = fork();
    if (pid < 0) throw Error("tune: cannot start a child process");
    if (pid == 0) {
        FILE *out = std::freopen(log.c_str(), "w", stdout);
        if (out) dup2(fileno(stdout), STDERR_FILENO);
        std::vector<char *> argv;
        for (const std::string &a : args) argv.push_back(const_cast<char *>(a.c_str()));
        argv.push_back(nullptr);
        execvp(argv[0], argv.data());
        _exit(127);
    }
    const auto t0 = Clock::now();
    int status = 0;
    while (waitpid(pid, &status, WNOHANG) == 0) {
        if (seconds_since(t0) > timeout) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            return -1;
        }
        usleep(20000);
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string last_line(const std::string &path) {
    std::ifstream in(path);
    std::string line, last;
    while (std::getline(in, line)) {
        if (!line.empty() && line.find("warning:") == std::string::npos) last = line;
    }
    return last.substr(0, 300);
}

}  // namespace

std::string this_machine_target(const KernelPlan &plan) { return this_machine_target_impl(plan); }
std::string this_machine_target() { return this_machine_target_impl(KernelPlan()); }

std::string target_to_run_here(const KernelPlan &plan, const std::string &requested) {
    if (requested.empty()) return this_machine_target(plan);
    const Halide::Target host = Halide::get_host_target();
    if (host.arch != Halide::Target::X86)
        throw Error("target " + excerpt(requested) + ": only x86-64 hosts can run another sub-target (this one is " +
                    host.to_string() + ")");
    const std::vector<std::string> subs = x86_sub_targets(plan);
    if (std::find(subs.begin(), subs.end(), requested) == subs.end()) {
        std::string known;
        for (const std::string &sub : subs) known += (known.empty() ? "" : ", ") + sub;
        throw Error("target " + excerpt(requested) + " is not a sub-target of the x86-64 library for this kernel (known: " +
                    known + ")");
    }
    const std::string missing = missing_feature(Halide::Target(requested), host);
    if (!missing.empty()) throw Error("target " + excerpt(requested) + " needs " + missing + ", which this CPU lacks");
    return requested;
}

LoadedKernel::LoadedKernel(const KernelBuild &build, const std::string &spec_path, const std::string &halide_target,
                           const std::string &schedule_db, const std::string &dir, const std::string &name,
                           const std::vector<std::string> &extra_emit_args) {
    const std::string log = dir + "/" + name + ".log";
    std::vector<std::string> emit = {build.self, "emit", "--spec", spec_path, "--target", halide_target, "--out", dir,
                                     "--flat", "--no-runtime", "--name", name, "--schedule-db", schedule_db};
    emit.insert(emit.end(), extra_emit_args.begin(), extra_emit_args.end());
    const int rc = run_child(emit, build.timeout_seconds, log);
    if (rc == -1) throw Error("compiling took more than " + std::to_string(int(build.timeout_seconds)) + " s");
    if (rc != 0) throw Error("compiling failed: " + last_line(log));
    const std::string so = dir + "/" + name + ".so";
    if (run_child({build.linker, "-shared", "-o", so, "-Wl,--whole-archive", dir + "/" + name + ".a",
                   "-Wl,--no-whole-archive"},
                  build.timeout_seconds, log) != 0)
        throw Error("linking the kernel with '" + build.linker + "' failed: " + last_line(log));
    handle_ = dlopen(so.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle_) throw Error(std::string("loading the kernel failed: ") + dlerror());
    kernel_.argv = reinterpret_cast<int (*)(void **)>(dlsym(handle_, (name + "_argv").c_str()));
    kernel_.metadata =
        reinterpret_cast<const halide_filter_metadata_t *(*)()>(dlsym(handle_, (name + "_metadata").c_str()));
    if (!kernel_.argv || !kernel_.metadata) {
        dlclose(handle_);
        throw Error("the kernel library lacks " + name + "_argv or " + name + "_metadata");
    }
}

LoadedKernel::~LoadedKernel() { dlclose(handle_); }

ScratchDirectory::ScratchDirectory() {
    const std::string base = (std::filesystem::temp_directory_path() / "convforge-XXXXXX").string();
    std::vector<char> name(base.begin(), base.end());
    name.push_back('\0');
    if (!mkdtemp(name.data())) throw Error("cannot make a scratch directory under " + base);
    path_ = name.data();
}

ScratchDirectory::~ScratchDirectory() {
    // For profiling a loaded kernel (perf resolves its symbols from the file).
    if (std::getenv("CONVFORGE_KEEP_SCRATCH")) {
        std::fprintf(stderr, "convforge: kept %s (CONVFORGE_KEEP_SCRATCH)\n", path_.c_str());
        return;
    }
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
}

}  // namespace convforge
