// convforge runtime: load PyTorch weights for one layer, validate and fold them,
// and run the emitted kernels. Every failure throws convforge::Error with a
// message naming the file, key, shape or field at fault; nothing aborts.
//
// The API is the same for every variant: a variant is a name in LayerSpec, its own
// parameters are named values in LayerSpec::params, and what it folds and packs
// stays inside PreparedLayer. `convforge list` names the variants of this build.
//
//   auto spec    = convforge::load_layer_spec("layer.json");
//   auto weights = convforge::load_safetensors("layer.safetensors");
//   auto layer   = convforge::prepare_layer(spec, weights);   // validate + fold
//   auto y       = convforge::run_layer(layer, convforge::load_npy("x.npy"));
//   convforge::save_npy("y.npy", y);
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

struct halide_filter_metadata_t;

namespace convforge {

class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

enum class ActivationKind {
#define CONVFORGE_ACTIVATION(kind, name) kind,
#include "convforge/activations.def"
#undef CONVFORGE_ACTIVATION
};

struct EpilogueSpec {
    bool batchnorm = false;
    double bn_eps = 1e-5;
    ActivationKind activation = ActivationKind::Identity;
};

// One layer, as in the JSON layer spec; defaults already applied. The geometry is
// that of the nn.Conv2d the variant replaces.
struct LayerSpec {
    std::string variant;  // one of variant_names()
    int in_channels = 0, out_channels = 0, kernel_size = 0;
    int stride = 1, padding = 0, dilation = 1, groups = 1;
    bool bias = false;
    // The variant's own spec fields by name (DO-Conv's "d_mul", say); integer
    // fields hold whole numbers. A field left out takes the variant's default.
    std::map<std::string, double> params;
    EpilogueSpec epilogue;
};

LayerSpec parse_layer_spec(const std::string &json_text, const std::string &origin = "spec");
LayerSpec load_layer_spec(const std::string &path);
const char *activation_name(ActivationKind a);
// Every activation by its spec name ("identity", "relu", ...).
const std::map<std::string, ActivationKind> &activation_kinds();
// The variants this build compiles and runs, by spec name.
std::vector<std::string> variant_names();

// A float32 NCHW tensor.
struct Tensor {
    std::vector<int64_t> shape;
    std::vector<float> data;
};

// Readers take regular files only and check every size a file claims against its
// real size and the limits of docs/limits.md before allocating. Writers put the
// whole file under a unique name beside `path` and rename it into place: a failed
// save leaves nothing behind, concurrent saves to one path each succeed, and an
// existing `path` that is not a regular file (a link, a device) is refused. The
// directory must exist.
//
// NPY v1.0, dtype '<f4', C order, rank 4.
Tensor load_npy(const std::string &path);
void save_npy(const std::string &path, const Tensor &t);

// One safetensors entry; `bytes` is the raw little-endian data.
struct WeightTensor {
    std::string dtype;  // "F32", "I8" or "I64"
    std::vector<int64_t> shape;
    std::vector<uint8_t> bytes;
    std::vector<float> as_float() const;  // F32 only
};
using WeightMap = std::map<std::string, WeightTensor>;

WeightMap load_safetensors(const std::string &path);
void save_safetensors(const std::string &path, const WeightMap &weights);

struct LayerProgram;  // the kernel calls of a prepared layer (runtime/internal/layer_program.h)

// A layer whose weights are validated, folded (DO-Conv, BatchNorm) and packed for
// its kernels: everything a forward pass needs, immutable, cheap to copy, and
// safe to run from several threads at once.
class PreparedLayer {
public:
    const LayerSpec &spec() const { return spec_; }
    // The kernel calls of one forward pass and the packed weights they read
    // (opaque here: its layout is the runtime's and the variants' business).
    const LayerProgram &program() const;

private:
    friend PreparedLayer prepare_layer(const LayerSpec &, const WeightMap &);
    LayerSpec spec_;
    std::shared_ptr<const LayerProgram> program_;
};

// Checks the spec (as parse_layer_spec does, for specs built in code) and the
// weights: exact keys (the official state_dict names), dtypes and shapes, and no
// NaN or Inf; then folds and packs them as the variant's kernels read them.
PreparedLayer prepare_layer(const LayerSpec &spec, const WeightMap &weights);

// Output shape for an NCHW input shape; throws when the input does not fit the spec
// or its buffers would pass the size limits.
std::vector<int64_t> output_shape(const LayerSpec &spec, const std::vector<int64_t> &input_shape);

// A kernel library emitted by `convforge emit --spec` for one layer, whatever its
// variant, as the application linked it: Halide's generic entry points, which
// the runtime calls with the layer's folded weights after checking every
// argument's name, kind, type and rank against the kernel's own metadata.
//
//   #include "my_layer.h"   // emitted with --name my_layer
//   auto y = convforge::run_layer_with(layer, x, CONVFORGE_EMITTED_KERNEL(my_layer));
struct EmittedKernel {
    int (*argv)(void **args) = nullptr;
    const halide_filter_metadata_t *(*metadata)() = nullptr;
};
#define CONVFORGE_EMITTED_KERNEL(name) (::convforge::EmittedKernel{name##_argv, name##_metadata})

// Runs with the kernels built into this library (GPU when one is usable, else the
// CPU library matching this CPU). Outputs that a NaN or Inf in the input reaches
// are unspecified (the kernels are compiled without strict floating point; see
// docs/limits.md): check inputs that may hold them.
Tensor run_layer(const PreparedLayer &layer, const Tensor &input);
// Runs with the kernel the application linked itself, emitted for this layer's
// spec; it replaces the built-in kernel in every call of the forward pass (a
// layer with wide groups calls it once per group on channel slices: the kernel
// emitted for such a layer is that of one group). A kernel emitted for another
// layer refuses the call with an Error.
Tensor run_layer_with(const PreparedLayer &layer, const Tensor &input, const EmittedKernel &kernel);
// The same, writing into `output` and reusing its storage across calls.
void run_layer(const PreparedLayer &layer, const Tensor &input, Tensor &output);
void run_layer_with(const PreparedLayer &layer, const Tensor &input, Tensor &output, const EmittedKernel &kernel);

// Worker threads for CPU kernels; 0 = one per core. Not to be called while a
// layer is running on another thread.
void set_num_threads(int threads);
// True when a CUDA device is present and the CUDA kernels will be used.
bool gpu_available();

}  // namespace convforge
