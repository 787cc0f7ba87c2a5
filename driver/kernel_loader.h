// Compiling a layer's kernel as `emit` would, in a child process, and loading it
// into this process: how `tune` tries candidates and `bench` times what a user
// links. Needs a C++ compiler to link the shared library (`linker`), and this
// executable to export its Halide runtime (ENABLE_EXPORTS), which the loaded
// kernel then uses as a linked application's kernel does.
#pragma once

#include <string>
#include <vector>

#include "convforge/convforge.h"
#include "cleanup_on_signal.h"

namespace convforge {

struct KernelPlan;

// The Halide target a kernel of `plan` is compiled for to run here when --target
// is `requested`: one target, named as `emit --target` names each (checked by the
// same function, with the same messages) that this CPU runs. A named library
// (x86-64-linux, arm-64-linux) stands for the sub-target this CPU picks from it;
// a Halide target string must be this machine's own target or a sub-target of
// the shipped x86-64 library this CPU can run (the AVX2 one on an AVX-512 CPU),
// so another sub-target than its best can be timed and tuned here. Empty:
// this_machine_target(plan). Throws Error listing the sub-targets, or naming
// the feature this CPU lacks.
std::string target_to_run_here(const KernelPlan &plan, const std::string &requested);
// What target_to_run_here accepts: the --target help of the commands that run
// a kernel here (bench, tune).
std::string run_here_target_help();

struct KernelBuild {
    std::string self;            // this executable
    std::string linker = "c++";
    double timeout_seconds = 90; // per compile and per link
};

// A kernel library compiled and loaded; unloaded when destroyed.
class LoadedKernel {
public:
    // Emits `spec_path` for `halide_target` with the records of `schedule_db`
    // into `dir` (which must exist) as `name`, links and loads it, each step in a
    // child process. Throws Error naming the step that failed (quoting the line of
    // its output that says why) or timed out.
    LoadedKernel(const KernelBuild &build, const std::string &spec_path, const std::string &halide_target,
                 const std::string &schedule_db, const std::string &dir, const std::string &name,
                 const std::vector<std::string> &extra_emit_args = {});
    ~LoadedKernel();
    LoadedKernel(const LoadedKernel &) = delete;
    LoadedKernel &operator=(const LoadedKernel &) = delete;

    const EmittedKernel &kernel() const { return kernel_; }

private:
    void *handle_ = nullptr;
    EmittedKernel kernel_;
};

// A private scratch directory, removed with everything in it when destroyed or
// when a fatal signal ends the process (cleanup_on_signal.h).
class ScratchDirectory {
public:
    ScratchDirectory();  // under TMPDIR (else /tmp)
    explicit ScratchDirectory(const std::string &parent);
    ~ScratchDirectory();
    ScratchDirectory(const ScratchDirectory &) = delete;
    ScratchDirectory &operator=(const ScratchDirectory &) = delete;
    const std::string &path() const { return path_; }

private:
    std::string path_;
    cleanup::OnSignal on_signal_;
};

}  // namespace convforge
