// Forward pass: wraps tensors as Halide buffers and calls a conv kernel.
#include <mutex>

#include "HalideBuffer.h"
#include "HalideRuntime.h"
#include "../../generators/kernel_contract.h"
#include "convforge/convforge.h"
#include "block_cache.h"
#include "halide_errors.h"
#include "kernel_table.h"

namespace convforge {

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

void run_layer_with(const PreparedLayer &layer, const Tensor &input, Tensor &out, ConvKernelFn kernel) {
    install_block_cache();
    const LayerSpec &s = layer.spec;
    out.shape = output_shape(s, input.shape);
    size_t expected = 1;
    for (int64_t d : input.shape) expected *= size_t(d);
    if (input.data.size() != expected) throw Error("input data does not match its shape");
    out.data.resize(size_t(out.shape[0] * out.shape[1] * out.shape[2] * out.shape[3]));

    const int k = s.kernel_size, cg = s.in_channels / s.groups;
    auto *in_data = const_cast<float *>(input.data.data());
    Halide::Runtime::Buffer<float> in_buf(in_data, {int(input.shape[3]), int(input.shape[2]), int(input.shape[1]), int(input.shape[0])});
    Halide::Runtime::Buffer<float> w_buf(const_cast<float *>(layer.packed_weights.data()),
                                        {kPackedChannelTile, cg, k, k, layer.packed_channels / kPackedChannelTile});
    Halide::Runtime::Buffer<float> b_buf(const_cast<float *>(layer.bias.data()), {int(layer.bias.size())});
    Halide::Runtime::Buffer<float> out_buf(out.data.data(), {int(out.shape[3]), int(out.shape[2]), int(out.shape[1]), int(out.shape[0])});

    const int rc = kernel(in_buf.raw_buffer(), w_buf.raw_buffer(), b_buf.raw_buffer(), s.stride, s.padding, s.dilation,
                          s.groups, out_buf.raw_buffer());
    if (rc != 0) throw Error("kernel failed (" + std::to_string(rc) + "): " + take_halide_error());
    if (out_buf.copy_to_host() != 0) throw Error("copying the output back from the GPU failed: " + take_halide_error());
}

Tensor run_layer_with(const PreparedLayer &layer, const Tensor &input, ConvKernelFn kernel) {
    Tensor out;
    run_layer_with(layer, input, out, kernel);
    return out;
}

void run_layer(const PreparedLayer &layer, const Tensor &input, Tensor &output) {
    const LayerSpec &s = layer.spec;
    const ConvPath path = conv_path_for(s.groups, s.kernel_size, s.stride, s.padding);
    run_layer_with(layer, input, output, builtin_conv_kernel(path, layer.spec.epilogue.activation, gpu_available()));
}

Tensor run_layer(const PreparedLayer &layer, const Tensor &input) {
    Tensor out;
    run_layer(layer, input, out);
    return out;
}

}  // namespace convforge
