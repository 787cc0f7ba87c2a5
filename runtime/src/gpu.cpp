// CUDA presence check. A library built for a -cuda target aborts without a GPU, so
// the runtime asks the driver itself (dlopen, never a link-time dependency) and
// falls back to the CPU kernels when there is no usable device.
#include <dlfcn.h>

#include <cstdlib>

#include "convforge/convforge.h"

namespace convforge {

namespace {

bool probe_cuda() {
    const char *force_cpu = std::getenv("CONVFORGE_FORCE_CPU");
    if (force_cpu && *force_cpu && std::string(force_cpu) != "0") return false;
#ifndef CONVFORGE_HAVE_CUDA_KERNELS
    return false;
#else
    void *lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!lib) return false;
    using InitFn = int (*)(unsigned);
    using CountFn = int (*)(int *);
    auto init = reinterpret_cast<InitFn>(dlsym(lib, "cuInit"));
    auto count = reinterpret_cast<CountFn>(dlsym(lib, "cuDeviceGetCount"));
    int devices = 0;
    const bool ok = init && count && init(0) == 0 && count(&devices) == 0 && devices > 0;
    return ok;  // the library stays loaded: Halide's CUDA runtime uses it next
#endif
}

}  // namespace

bool gpu_available() {
    static const bool available = probe_cuda();
    return available;
}

}  // namespace convforge
