// convforge runtime: load PyTorch weights for one layer, validate and fold them,
// and run the emitted kernels. Every failure throws convforge::Error with a
// message naming the file, key, shape or field at fault; nothing aborts.
//
//   auto spec    = convforge::load_layer_spec("layer.json");
//   auto weights = convforge::load_safetensors("layer.safetensors");
//   auto layer   = convforge::prepare_layer(spec, weights);   // validate + fold
//   auto y       = convforge::run_layer(layer, convforge::load_npy("x.npy"));
//   convforge::save_npy("y.npy", y);
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

struct halide_buffer_t;

namespace convforge {

class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

enum class Variant { Conv, DoConv, SaConv, SpConv, CondConv, OdConv, DsConv };
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

// One layer, as in the JSON layer spec; defaults already applied.
struct LayerSpec {
    Variant variant = Variant::Conv;
    int in_channels = 0, out_channels = 0, kernel_size = 0;
    int stride = 1, padding = 0, dilation = 1, groups = 1;
    bool bias = false;
    int d_mul = 0;  // doconv only
    EpilogueSpec epilogue;
};

LayerSpec parse_layer_spec(const std::string &json_text, const std::string &origin = "spec");
LayerSpec load_layer_spec(const std::string &path);
const char *variant_name(Variant v);
const char *activation_name(ActivationKind a);
// Every activation by its spec name ("identity", "relu", ...).
const std::map<std::string, ActivationKind> &activation_kinds();
// Variants whose kernels exist in this build.
std::vector<Variant> supported_variants();

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

// A layer whose weights are validated, folded (DO-Conv, BatchNorm) and packed for
// the kernels. Holds everything a forward pass needs.
struct PreparedLayer {
    LayerSpec spec;
    int kernel_calls = 1;               // one per group when groups are wide, else 1
    int packed_channels = 0;            // output channels per call, rounded up
    std::vector<float> packed_weights;  // per call: [o / 16][ky][kx][c_in_group][o % 16]
    std::vector<float> bias;            // [out_channels]
};

// Checks the spec (as parse_layer_spec does, for specs built in code) and the
// weights: exact keys, dtypes and shapes, and no NaN or Inf.
PreparedLayer prepare_layer(const LayerSpec &spec, const WeightMap &weights);
// The plain conv kernel K [O, C/g, k, k] and bias [O] the layer folds to.
void folded_kernel(const LayerSpec &spec, const WeightMap &weights, std::vector<float> &kernel,
                   std::vector<float> &bias);

// Output shape for an NCHW input shape; throws when the input does not fit the spec
// or its buffers would pass the size limits.
std::vector<int64_t> output_shape(const LayerSpec &spec, const std::vector<int64_t> &input_shape);

// The ABI of every emitted conv kernel (see generators/conv_generator.cpp).
using ConvKernelFn = int (*)(halide_buffer_t *input, halide_buffer_t *weights, halide_buffer_t *bias,
                             int stride, int padding, int dilation, int groups, halide_buffer_t *output);

// Runs with the kernels built into this library (GPU when one is usable, else the
// CPU library matching this CPU). Outputs that a NaN or Inf in the input reaches
// are unspecified (the kernels are compiled without strict floating point; see
// docs/limits.md): check inputs that may hold them.
Tensor run_layer(const PreparedLayer &layer, const Tensor &input);
// Runs with a kernel the application linked itself, emitted by `convforge emit
// --spec` for this layer's spec. A layer with wide groups calls it once per group
// on channel slices (the emitted kernel is that of one group).
Tensor run_layer_with(const PreparedLayer &layer, const Tensor &input, ConvKernelFn kernel);
// The same, writing into `output` and reusing its storage across calls.
void run_layer(const PreparedLayer &layer, const Tensor &input, Tensor &output);
void run_layer_with(const PreparedLayer &layer, const Tensor &input, Tensor &output, ConvKernelFn kernel);

// Worker threads for CPU kernels; 0 = one per core. Not to be called while a
// layer is running on another thread.
void set_num_threads(int threads);
// True when a CUDA device is present and the CUDA kernels will be used.
bool gpu_available();

}  // namespace convforge
