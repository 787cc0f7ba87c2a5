#include "kernel_loader.h"

#include <cstdio>
#include <cstdlib>

#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <vector>

#include "Halide.h"
#include "emit.h"
#include "cleanup_on_signal.h"
#include "message_text.h"
#include "variant.h"

namespace convforge {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// How a child ended.
struct ChildResult {
    bool timed_out = false;  // killed by run_child
    int exec_error = 0;      // errno of a program that could not be started
    int status = 0;          // as waitpid gives it
    bool ok() const { return !timed_out && !exec_error && WIFEXITED(status) && WEXITSTATUS(status) == 0; }
};

// Runs a command with its output in `log` and TMPDIR set to `temp_dir` (so a
// compiler's temporaries land in the caller's scratch directory); kills it (its
// whole process group) past `timeout` seconds.
// The child dies with this process: a fatal signal here kills its group (see
// cleanup_on_signal.h), and SIGKILL here reaches it by PR_SET_PDEATHSIG (which
// follows the forking thread: run_child is called from threads that outlive it).
ChildResult run_child(const std::vector<std::string> &args, double timeout, const std::string &log,
                      const std::string &temp_dir) {
    // Everything the child needs is made before fork: after it, only system calls.
    std::vector<char *> argv;
    for (const std::string &a : args) argv.push_back(const_cast<char *>(a.c_str()));
    argv.push_back(nullptr);
    std::vector<std::string> env_storage;
    for (char **e = environ; *e; ++e) {
        if (std::strncmp(*e, "TMPDIR=", 7) != 0) env_storage.push_back(*e);
    }
    env_storage.push_back("TMPDIR=" + temp_dir);
    std::vector<char *> envp;
    for (std::string &e : env_storage) envp.push_back(e.data());
    envp.push_back(nullptr);
    int exec_pipe[2];  // carries errno when exec fails; closed by a successful exec
    if (::pipe2(exec_pipe, O_CLOEXEC) != 0) throw Error("cannot start a child process: " + std::string(std::strerror(errno)));
    // The child inherits unwritten stdio buffers; it must not write them a second time.
    std::fflush(nullptr);
    const pid_t parent = ::getpid();
    pid_t pid;
    std::optional<cleanup::ChildOnSignal> on_signal;
    {
        // A signal waits until the child is registered (in every thread) and, in
        // this one, until the child has put back the default handlers.
        const cleanup::DeferSignals defer;
        sigset_t handled, before;
        cleanup::handled_signals(&handled);
        ::pthread_sigmask(SIG_BLOCK, &handled, &before);
        pid = ::fork();
        if (pid == 0) {
            ::setpgid(0, 0);
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (::getppid() != parent) ::_exit(127);  // the parent died before prctl took hold
            cleanup::reset_signal_handlers_in_child();
            ::pthread_sigmask(SIG_SETMASK, &before, nullptr);
            // Close-on-exec: the program sees them only as its standard streams.
            const int in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
            const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
            if (in >= 0) ::dup2(in, STDIN_FILENO);
            if (out >= 0) {
                ::dup2(out, STDOUT_FILENO);
                ::dup2(out, STDERR_FILENO);
            }
            ::execvpe(argv[0], argv.data(), envp.data());
            const int error = errno;
            (void)!::write(exec_pipe[1], &error, sizeof error);
            ::_exit(127);
        }
        const int fork_error = errno;
        ::close(exec_pipe[1]);
        if (pid > 0) {
            ::setpgid(pid, pid);  // as the child does: whichever runs first
            on_signal.emplace(pid);
        }
        ::pthread_sigmask(SIG_SETMASK, &before, nullptr);
        if (pid < 0) {
            ::close(exec_pipe[0]);
            throw Error("cannot start a child process: " + std::string(std::strerror(fork_error)));
        }
    }
    ChildResult result;
    ssize_t got;
    while ((got = ::read(exec_pipe[0], &result.exec_error, sizeof result.exec_error)) < 0 && errno == EINTR) {
    }
    ::close(exec_pipe[0]);
    if (got != ssize_t(sizeof result.exec_error)) result.exec_error = 0;
    // The child is waited for without reaping it (WNOWAIT), so its pid and process
    // group stay its own until the registration is gone.
    const auto t0 = Clock::now();
    siginfo_t info{};
    for (;;) {
        info.si_pid = 0;
        if (::waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0 && errno != EINTR) break;
        if (info.si_pid == pid) break;
        if (seconds_since(t0) > timeout) {
            ::kill(-pid, SIGKILL);
            ::kill(pid, SIGKILL);
            result.timed_out = true;
        }
        ::usleep(20000);
    }
    on_signal->release();
    // A child that cannot be waited for (SIGCHLD ignored by whoever started this
    // process reaps it at once) has not succeeded, whatever its status says.
    result.status = -1;
    while (::waitpid(pid, &result.status, 0) < 0) {
        if (errno == EINTR) continue;
        result.status = -1;
        break;
    }
    return result;
}

// The line of a failed command's output that says why: the first error line that
// is not a summary of others ("collect2: error: ld returned 1 exit status"), else
// the last line that is not a warning. One line, escaped and bounded.
std::string reason_line(const std::string &path) {
    std::ifstream in(path);
    std::string line, first_error, last;
    while (std::getline(in, line)) {
        if (line.empty() || line.find("warning:") != std::string::npos) continue;
        if (line.find("collect2: error: ld returned") != std::string::npos) continue;
        if (first_error.empty() && (line.find("error:") != std::string::npos || line.find("Error:") != std::string::npos))
            first_error = line;
        last = line;
    }
    const std::string reason = first_error.empty() ? last : first_error;
    if (reason.empty()) return "no output";
    constexpr size_t kMaxReasonChars = 300;
    return reason.size() > kMaxReasonChars ? escaped(reason.substr(0, kMaxReasonChars)) + "..." : escaped(reason);
}

// The failure of a child that ran `program`, in one line.
std::string child_failure(const std::string &program, const ChildResult &r, const std::string &log) {
    if (r.exec_error)
        return "'" + path_text(program) + "' was not found or could not be run (" + std::strerror(r.exec_error) + ")";
    if (r.status == -1) return "its exit status could not be read (" + reason_line(log) + ")";
    if (WIFSIGNALED(r.status))
        return "killed by signal " + std::to_string(WTERMSIG(r.status)) + " (" + reason_line(log) + ")";
    return reason_line(log);
}

// What a child leaves in `dir` when it is killed: emit's staging directory.
void remove_staging_left_in(const std::string &dir) {
    std::error_code ec;
    for (const auto &entry : std::filesystem::directory_iterator(dir, ec)) {
        if (entry.path().filename().string().rfind(".convforge-staging-", 0) == 0)
            cleanup::remove_tree(entry.path().c_str());
    }
}

}  // namespace

std::string target_to_run_here(const KernelPlan &plan, const std::string &requested) {
    const std::string here = this_machine_target(plan);
    if (requested.empty()) return here;
    const std::vector<std::string> names = parse_target_list(requested);
    if (names.size() != 1)
        throw Error("--target " + excerpt(requested) + " names " + std::to_string(names.size()) +
                    " targets; a kernel is compiled and run here for one");
    // Checked as emit checks each of its targets. A library of several sub-targets
    // stands for the one this CPU picks from it, as Halide's dispatch does.
    const std::vector<std::string> library = halide_targets(requested, plan);
    const Halide::Target host = Halide::get_host_target();
    std::string target = library.front();
    for (const std::string &sub : library) {
        const Halide::Target t(sub);
        if (t.arch == host.arch && t.bits == host.bits && missing_feature(t, host).empty()) {
            target = sub;
            break;
        }
    }
    if (target == here) return here;
    const std::string named = "target " + excerpt(requested) + (target == requested ? "" : " (" + target + ")");
    if (host.arch != Halide::Target::X86)
        throw Error(named + ": only x86-64 hosts can run another sub-target (this one is " + host.to_string() + ")");
    const std::vector<std::string> subs = halide_targets("x86-64-linux", plan);
    if (std::find(subs.begin(), subs.end(), target) == subs.end()) {
        std::string known;
        for (const std::string &sub : subs) known += (known.empty() ? "" : ", ") + sub;
        throw Error(named + " is not a sub-target of the x86-64 library for this kernel (known: " + known + ")");
    }
    const std::string missing = missing_feature(Halide::Target(target), host);
    if (!missing.empty()) throw Error(named + " needs " + missing + ", which this CPU lacks");
    return target;
}

std::string run_here_target_help() {
    std::string names;
    for (const NamedTarget &t : named_targets()) names += std::string(t.name) + ", ";
    return "one target to compile the kernel for and run here, named as for emit --target (" + names +
           "host or a Halide target string), that this CPU runs: the library of its architecture (x86-64-linux, "
           "arm-64-linux) for the sub-target this CPU picks from it (the default), or another sub-target of the "
           "x86-64 library, e.g. x86-64-linux-avx-avx2-f16c-fma-sse41 (AVX2) on an AVX-512 CPU";
}

LoadedKernel::LoadedKernel(const KernelBuild &build, const std::string &spec_path, const std::string &halide_target,
                           const std::string &schedule_db, const std::string &dir, const std::string &name,
                           const std::vector<std::string> &extra_emit_args) {
    const std::string log = dir + "/" + name + ".log";
    // The children's TMPDIR: a directory of their own, removed whatever happens to them.
    const ScratchDirectory temp(dir);
    std::vector<std::string> emit = {build.self, "emit", "--spec", spec_path, "--target", halide_target, "--out", dir,
                                     "--flat", "--no-runtime", "--name", name, "--db", schedule_db};
    emit.insert(emit.end(), extra_emit_args.begin(), extra_emit_args.end());
    const ChildResult compiled = run_child(emit, build.timeout_seconds, log, temp.path());
    if (compiled.timed_out) {
        remove_staging_left_in(dir);
        throw Error("compiling took more than " + std::to_string(int(build.timeout_seconds)) + " s");
    }
    if (!compiled.ok()) throw Error("compiling failed: " + child_failure(build.self, compiled, log));
    const std::string so = dir + "/" + name + ".so";
    const ChildResult linked = run_child({build.linker, "-shared", "-o", so, "-Wl,--whole-archive",
                                          dir + "/" + name + ".a", "-Wl,--no-whole-archive"},
                                         build.timeout_seconds, log, temp.path());
    const std::string linking = "linking the kernel with '" + path_text(build.linker) + "'";
    if (linked.timed_out)
        throw Error(linking + " took more than " + std::to_string(int(build.timeout_seconds)) + " s");
    if (!linked.ok()) throw Error(linking + " failed: " + child_failure(build.linker, linked, log));
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

ScratchDirectory::ScratchDirectory() : ScratchDirectory(std::filesystem::temp_directory_path().string()) {}

ScratchDirectory::ScratchDirectory(const std::string &parent) {
    const std::string base = (std::filesystem::path(parent) / "convforge-XXXXXX").string();
    std::vector<char> name(base.begin(), base.end());
    name.push_back('\0');
    const cleanup::DeferSignals defer;  // made and registered before a signal acts
    if (!mkdtemp(name.data())) throw Error("cannot make a scratch directory under '" + path_text(parent) + "': " + std::strerror(errno));
    path_ = name.data();
    on_signal_ = cleanup::OnSignal(path_, cleanup::Removal::Tree);
}

ScratchDirectory::~ScratchDirectory() {
    // For profiling a loaded kernel (perf resolves its symbols from the file).
    if (std::getenv("CONVFORGE_KEEP_SCRATCH")) {
        on_signal_.release();
        std::fprintf(stderr, "convforge: kept %s (CONVFORGE_KEEP_SCRATCH)\n", path_.c_str());
        return;
    }
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
    on_signal_.release();
}

}  // namespace convforge
