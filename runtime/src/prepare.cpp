// prepare_layer: the checks every variant passes, then the variant's own fold.
#include <set>

#include "convforge/convforge.h"
#include "checked_size.h"
#include "message_text.h"
#include "layer_program.h"
#include "layer_weights.h"
#include "spec_checks.h"

namespace convforge {

const LayerProgram &PreparedLayer::program() const {
    if (!program_) throw Error("this PreparedLayer is empty: make layers with prepare_layer");
    return *program_;
}

namespace {

// A variant's program checked once, so that a bug in a variant is an Error here
// and never an out-of-bounds read or write in a kernel.
void check_program(const LayerSpec &spec, const LayerProgram &program) {
    const std::string where = "variant '" + spec.variant + "' prepared a bad kernel program: ";
    if (program.calls.empty()) throw Error(where + "no kernel calls");
    for (const ProgramConstant &c : program.constants) {
        const size_t size = constant_dtype_bytes(c.dtype);
        if (size == 0 || c.bytes.size() % size) throw Error(where + "a constant of dtype " + excerpt(c.dtype));
    }
    for (const KernelCall &call : program.calls) {
        if (call.kernel.empty()) throw Error(where + "a call names no kernel");
        std::set<std::string> names;
        bool has_output = false;
        for (const KernelArgument &a : call.args) {
            if (a.name.empty() || !names.insert(a.name).second)
                throw Error(where + "argument name " + excerpt(a.name) + " empty or repeated");
            const std::string arg = "argument '" + a.name + "' of '" + call.kernel + "' ";
            switch (a.kind) {
            case KernelArgument::Kind::Input:
            case KernelArgument::Kind::Output: {
                const bool output = a.kind == KernelArgument::Kind::Output;
                const int channels = output ? spec.out_channels : spec.in_channels;
                if (a.channel_count < 1 || a.channel_begin < 0 || a.channel_begin > channels - a.channel_count)
                    throw Error(where + arg + "slices channels outside [0, " + std::to_string(channels) + ")");
                has_output = has_output || output;
                break;
            }
            case KernelArgument::Kind::Constant: {
                if (a.constant < 0 || size_t(a.constant) >= program.constants.size())
                    throw Error(where + arg + "names no constant");
                const ProgramConstant &c = program.constants[size_t(a.constant)];
                int64_t elements = 1;
                for (int e : a.extents) {
                    if (e < 1) throw Error(where + arg + "has an extent below 1");
                    elements = checked_mul(elements, e, where + arg + "elements");
                }
                const uint64_t available = c.bytes.size() / constant_dtype_bytes(c.dtype);
                if (a.extents.empty() || a.offset > available || uint64_t(elements) > available - a.offset)
                    throw Error(where + arg + "reads past its constant");
                break;
            }
            case KernelArgument::Kind::Scalar:
                break;
            }
        }
        if (!has_output) throw Error(where + "a call of '" + call.kernel + "' writes no output");
    }
}

}  // namespace

PreparedLayer prepare_layer(const LayerSpec &spec, const WeightMap &weights) {
    check_layer_spec(spec, "layer spec");
    check_weights(spec, weights);
    const VariantDefinition &variant = find_variant(spec.variant);
    PreparedLayer layer;
    layer.spec_ = spec;
    apply_variant_defaults(layer.spec_);
    auto program = std::make_shared<const LayerProgram>(variant.prepare(spec, weights));
    check_program(spec, *program);
    layer.program_ = std::move(program);
    return layer;
}

}  // namespace convforge
