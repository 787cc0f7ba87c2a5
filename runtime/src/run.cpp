// Forward pass: wraps tensors as Halide buffers and calls a conv kernel.
#include <array>
#include <mutex>

#include "HalideBuffer.h"
#include "HalideRuntime.h"
#include "../../generators/kernel_contract.h"
#include "convforge/convforge.h"
#include "block_cache.h"
#include "checked_size.h"
#include "halide_errors.h"
#include "kernel_table.h"
#include "layer_limits.h"

namespace convforge {

namespace {

// Channels [c0, c0 + count) of an NCHW tensor as a Halide (x, y, c, n) buffer,
// without copying: the strides stay those of the whole tensor.
Halide::Runtime::Buffer<float> nchw_channel_slice(float *data, const std::vector<int64_t> &shape, int c0, int count) {
    const int N = int(shape[0]), C = int(shape[1]), H = int(shape[2]), W = int(shape[3]);
    halide_dimension_t dims[4] = {{0, W, 1, 0}, {0, H, W, 0}, {0, count, H * W, 0}, {0, N, C * H * W, 0}};
    return Halide::Runtime::Buffer<float>(data + size_t(c0) * H * W, 4, dims);
}

}  // namespace

void set_num_threads(int threads) {
    // Halide's pool keeps the workers it has started: shrinking it needs a restart.
    static std::mutex mutex;
    static int current = -1;
    std::lock_guard<std::mutex> lock(mutex);
    if (threads == current) return;
    if (current != -1) halide_shutdown_thread_pool();
    halide_set_num_threads(threads);
    current = threads;
}

namespace {

// The forward pass; a null `kernel` means the built-in one for the layer's path,
// picked only once the spec is checked (the kernel table is indexed by it).
void run(const PreparedLayer &layer, const Tensor &input, Tensor &out, ConvKernelFn kernel) {
    install_block_cache();
    const LayerSpec &s = layer.spec;
    if (&input == &out) throw Error("run_layer: the input and the output must be different tensors");
    const std::vector<int64_t> out_shape = output_shape(s, input.shape);  // checks the spec and every size first
    if (input.data.size() != size_t(element_count(input.shape, "input")))
        throw Error("input data does not match its shape");
    out.shape = out_shape;
    out.data.resize(size_t(element_count(out.shape, "output")));

    const KernelSplit split = kernel_split(s.groups, s.in_channels, s.out_channels, s.kernel_size, s.stride, s.padding);
    if (split.calls != layer.kernel_calls) throw Error("prepared layer does not match its spec (kernel calls)");
    if (!kernel) kernel = builtin_conv_kernel(split.path, s.epilogue.activation, gpu_available());
    const PackedWeightLayout layout(split.out_channels, s.in_channels / s.groups, s.kernel_size);
    const size_t call_floats = layout.floats();
    if (layer.packed_channels != layout.packed_channels ||
        layer.packed_weights.size() != call_floats * size_t(split.calls) || layer.bias.size() != size_t(s.out_channels))
        throw Error("prepared layer does not match its spec (weight sizes)");
    for (int call = 0; call < split.calls; ++call) {
        auto in_buf = nchw_channel_slice(const_cast<float *>(input.data.data()), input.shape,
                                         call * split.in_channels, split.in_channels);
        auto out_buf = nchw_channel_slice(out.data.data(), out.shape, call * split.out_channels, split.out_channels);
        const std::array<int, 5> w_extents = layout.extents();
        Halide::Runtime::Buffer<float> w_buf(const_cast<float *>(layer.packed_weights.data()) + call * call_floats,
                                            std::vector<int>(w_extents.begin(), w_extents.end()));
        Halide::Runtime::Buffer<float> b_buf(const_cast<float *>(layer.bias.data()) + call * split.out_channels,
                                            {split.out_channels});
        const int rc = kernel(in_buf.raw_buffer(), w_buf.raw_buffer(), b_buf.raw_buffer(), s.stride, s.padding,
                              s.dilation, split.groups, out_buf.raw_buffer());
        if (rc != 0) throw Error("kernel failed (" + std::to_string(rc) + "): " + take_halide_error());
        if (out_buf.copy_to_host() != 0) throw Error("copying the output back from the GPU failed: " + take_halide_error());
    }
}

}  // namespace

void run_layer_with(const PreparedLayer &layer, const Tensor &input, Tensor &out, ConvKernelFn kernel) {
    if (!kernel) throw Error("run_layer_with: no kernel given");
    run(layer, input, out, kernel);
}

Tensor run_layer_with(const PreparedLayer &layer, const Tensor &input, ConvKernelFn kernel) {
    Tensor out;
    run_layer_with(layer, input, out, kernel);
    return out;
}

void run_layer(const PreparedLayer &layer, const Tensor &input, Tensor &output) { run(layer, input, output, nullptr); }

Tensor run_layer(const PreparedLayer &layer, const Tensor &input) {
    Tensor out;
    run_layer(layer, input, out);
    return out;
}

}  // namespace convforge
