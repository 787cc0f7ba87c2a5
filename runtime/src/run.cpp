// Forward pass: runs a prepared layer's kernel calls. Arguments are matched to a
// kernel by the names in its own metadata, so one path serves every variant, the
// built-in kernels and the ones an application emitted and linked itself.
#include <mutex>

#include "HalideBuffer.h"
#include "HalideRuntime.h"
#include "convforge/convforge.h"
#include "block_cache.h"
#include "checked_size.h"
#include "halide_hooks.h"
#include "kernel_table.h"
#include "layer_program.h"

namespace convforge {

namespace {

using Buffer = Halide::Runtime::Buffer<void>;

const halide_type_t kFloat32(halide_type_float, 32), kInt32(halide_type_int, 32);

halide_type_t halide_type_of(const std::string &dtype) {
    if (dtype == "I8") return halide_type_t(halide_type_int, 8);
    if (dtype == "I32") return kInt32;
    return kFloat32;  // prepare_layer admits no other dtype
}

// Channels [c0, c0 + count) of an NCHW float tensor as a Halide (x, y, c, n)
// buffer, without copying: the strides stay those of the whole tensor.
Buffer nchw_channel_slice(const Tensor &t, int c0, int count) {
    const int N = int(t.shape[0]), C = int(t.shape[1]), H = int(t.shape[2]), W = int(t.shape[3]);
    halide_dimension_t dims[4] = {{0, W, 1, 0}, {0, H, W, 0}, {0, count, H * W, 0}, {0, N, C * H * W, 0}};
    return Buffer(kFloat32, const_cast<float *>(t.data.data()) + size_t(c0) * H * W, 4, dims);
}

// Halide names a multi-target library's outputs "output$1", "output$2", ...
std::string argument_name(const char *name) {
    const std::string n = name;
    return n.substr(0, n.find('$'));
}

std::string type_text(const halide_type_t &t) {
    return std::string(t.code == halide_type_float ? "float" : "int") + std::to_string(t.bits);
}

// One call's arguments in the kernel's own order, each checked against the
// kernel's metadata by name, kind, type and rank. The program was checked by
// prepare_layer, so every slice lies inside its tensor or constant.
class CallArguments {
public:
    CallArguments(const LayerProgram &program, const KernelCall &call, const Tensor &input, Tensor &output,
                  const halide_filter_metadata_t &meta)
        : meta_(meta) {
        // args_ points into buffers_: reserved here, never grown past it below.
        buffers_.reserve(size_t(meta.num_arguments));
        for (int i = 0; i < meta.num_arguments; ++i) {
            const halide_filter_argument_t &arg = meta.arguments[i];
            const KernelArgument &a = supplied(call, argument_name(arg.name));
            using Kind = KernelArgument::Kind;
            const ProgramConstant *constant =
                a.kind == Kind::Constant ? &program.constants[size_t(a.constant)] : nullptr;
            const int kind = a.kind == Kind::Scalar   ? halide_argument_kind_input_scalar
                             : a.kind == Kind::Output ? halide_argument_kind_output_buffer
                                                      : halide_argument_kind_input_buffer;
            const halide_type_t type =
                a.kind == Kind::Scalar ? kInt32 : constant ? halide_type_of(constant->dtype) : kFloat32;
            const int dims = a.kind == Kind::Scalar ? 0 : constant ? int(a.extents.size()) : 4;
            if (arg.kind != kind || !(arg.type == type) || arg.dimensions != dims) {
                const char *what = a.kind == Kind::Scalar   ? "a scalar"
                                   : a.kind == Kind::Output ? "the layer output"
                                   : constant               ? "a weight buffer"
                                                            : "the layer input";
                throw Error(where() + "argument '" + a.name + "' is not " + what + " of type " + type_text(type) +
                            " and rank " + std::to_string(dims) + " (a kernel of another variant or layer?)");
            }
            if (a.kind == Kind::Scalar) {
                args_.push_back(const_cast<int *>(&a.value));  // Halide only reads scalar arguments
                continue;
            }
            if (constant) {
                const size_t offset_bytes = a.offset * (type.bits / 8);
                buffers_.emplace_back(type, const_cast<uint8_t *>(constant->bytes.data()) + offset_bytes, a.extents);
            } else {
                buffers_.push_back(nchw_channel_slice(a.kind == Kind::Output ? output : input, a.channel_begin,
                                                      a.channel_count));
                if (a.kind == Kind::Output) outputs_.push_back(buffers_.size() - 1);
            }
            // A GPU kernel copies an input to the device only when its host side is
            // marked newer than the device's (which it is: a wrapper has no device
            // side yet); unmarked, it allocates device memory and reads garbage.
            // The device copies are freed with these wrappers after the call.
            if (a.kind != Kind::Output) buffers_.back().set_host_dirty(true);
            args_.push_back(buffers_.back().raw_buffer());
        }
        if (used_ != call.args.size()) {
            for (const KernelArgument &a : call.args) {
                bool taken = false;
                for (int i = 0; i < meta.num_arguments; ++i) taken = taken || argument_name(meta.arguments[i].name) == a.name;
                if (!taken) throw Error(where() + "takes no argument '" + a.name + "' (a kernel of another variant?)");
            }
        }
    }
    CallArguments(const CallArguments &) = delete;
    CallArguments &operator=(const CallArguments &) = delete;

    void **argv() { return args_.data(); }

    void copy_outputs_to_host() {
        for (size_t i : outputs_) {
            if (buffers_[i].copy_to_host() != 0)
                throw Error("copying the output back from the GPU failed: " + take_halide_error());
        }
    }

private:
    std::string where() const { return std::string("kernel '") + meta_.name + "' "; }

    const KernelArgument &supplied(const KernelCall &call, const std::string &name) {
        for (const KernelArgument &a : call.args) {
            if (a.name == name) {
                ++used_;
                return a;
            }
        }
        throw Error(where() + "takes an argument '" + name + "' this layer does not supply (a kernel of another variant?)");
    }

    const halide_filter_metadata_t &meta_;
    std::vector<Buffer> buffers_;
    std::vector<void *> args_;
    std::vector<size_t> outputs_;
    size_t used_ = 0;
};

// The forward pass; a null `kernel` means each call's built-in one.
void run(const PreparedLayer &layer, const Tensor &input, Tensor &out, const EmittedKernel *kernel) {
    install_block_cache();
    if (&input == &out) throw Error("run_layer: the input and the output must be different tensors");
    const LayerProgram &program = layer.program();  // refuses an empty layer
    if (kernel) {
        for (const KernelCall &call : program.calls) {
            if (call.kernel != program.calls.front().kernel)
                throw Error("run_layer_with: this layer runs more than one kernel ('" + program.calls.front().kernel +
                            "', '" + call.kernel + "'); one emitted kernel cannot stand in for all");
        }
    }
    const std::vector<int64_t> out_shape = output_shape(layer.spec(), input.shape);  // checks the spec and every size
    if (input.data.size() != size_t(element_count(input.shape, "input")))
        throw Error("input data does not match its shape");
    out.shape = out_shape;
    out.data.resize(size_t(element_count(out.shape, "output")));

    for (const KernelCall &call : program.calls) {
        const EmittedKernel &k = kernel ? *kernel : builtin_kernel(call.kernel, gpu_available());
        const halide_filter_metadata_t *meta = k.metadata();
        if (!meta) throw Error("kernel '" + call.kernel + "' has no metadata");
        CallArguments args(program, call, input, out, *meta);
        const int rc = k.argv(args.argv());
        if (rc != 0) throw Error("kernel failed (" + std::to_string(rc) + "): " + take_halide_error());
        args.copy_outputs_to_host();
    }
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

void run_layer_with(const PreparedLayer &layer, const Tensor &input, Tensor &out, const EmittedKernel &kernel) {
    if (!kernel.argv || !kernel.metadata) throw Error("run_layer_with: no kernel given");
    run(layer, input, out, &kernel);
}

Tensor run_layer_with(const PreparedLayer &layer, const Tensor &input, const EmittedKernel &kernel) {
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
