// What a variant is to convforge: its spec fields, its checks, the weights it
// expects, how it folds and packs them into kernel calls, and which kernel it
// emits for one layer. One definition per variant (runtime/src/variants/<name>.cpp),
// listed in registry.def; everything else asks the registry.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "convforge/convforge.h"
#include "layer_program.h"

namespace convforge {

// One tensor of a variant's state_dict.
struct ExpectedTensor {
    std::string key;  // the official key name
    std::vector<int64_t> shape;
    std::string dtype = "F32";
    bool optional = false;  // may be absent (e.g. DO-Conv's d_diag, rebuilt when missing)
    // An integer tensor's allowed values, both ends included (DSConv's b-bit
    // levels); none: every value of its dtype.
    std::optional<std::pair<int64_t, int64_t>> value_range = std::nullopt;
};

// One way a variant's state_dict may be written, named for messages (DSConv's
// "quantized" and "float"). The forms share their first tensor's key, each with
// a dtype of its own: that key's dtype in the file tells which form it is.
struct WeightForm {
    std::string name;
    std::vector<ExpectedTensor> tensors;
};

// How a spec writes a variant's field: any finite number, a JSON integer in
// [-2^30, 2^30], or true / false (held in LayerSpec::params as 1 / 0).
enum class FieldKind { Number, Integer, Boolean };

// A spec field of the variant's own (LayerSpec::params).
struct VariantParam {
    const char *name;
    FieldKind kind;
    // Its value when the spec leaves it out; throws naming why when there is none.
    double (*default_value)(const LayerSpec &spec, const std::string &origin);
};

// Which generator compiles a layer, with which generator parameters, and under
// which (variant, shape class) key its knobs are looked up in the schedule database.
struct KernelPlan {
    std::string generator;            // registered Halide generator name
    std::string variant;              // schedule database variant key
    std::string shape_class;          // schedule database shape-class key
    std::string workload;             // the exact layer (for tuned records), "" for shape-generic kernels
    std::vector<std::string> params;  // "name=value" generator parameters
    // Sums int8 products 4 at a time: x86-64 libraries then also carry the
    // sub-target with AVX-512 VNNI (vpdpbusd), ahead of the others.
    bool int8_dot_products = false;
    // The variant key whose records serve where `variant` has none for the layer
    // ("": none): a kernel that runs another kernel's loop nest with its knobs.
    std::string fallback_variant;
};

// A shape-generic kernel the runtime links at build time, by the name kernel
// calls use (KernelCall::kernel) and `convforge emit --builtin` takes.
struct BuiltinKernel {
    std::string name;
    KernelPlan plan;
};

class VariantDefinition {
public:
    virtual ~VariantDefinition() = default;
    virtual const char *name() const = 0;
    virtual const char *summary() const = 0;  // one line, for `convforge list`
    virtual std::vector<VariantParam> params() const { return {}; }
    // The spec's `groups` when it leaves the field out.
    virtual int default_groups() const { return 1; }
    // That `groups` divides the channels it splits, once the values of the
    // variant's own fields passed their checks and before check(): by default
    // in_channels and out_channels (a variant whose groups split part of its
    // input checks that part instead). A LayerSpec built in code states its
    // groups itself; default_groups() is what the spec parser fills in.
    virtual void check_groups(const LayerSpec &spec, const std::string &origin) const;
    // The variant's own rules, after the shared geometry checks passed; throws
    // Error prefixed with `origin`.
    virtual void check(const LayerSpec &, const std::string & /*origin*/) const {}
    // The variant's own rules on an NCHW input shape that passed the shared
    // checks (channels, a non-empty output); throws Error naming the size.
    virtual void check_input(const LayerSpec &, const std::vector<int64_t> & /*input_shape*/) const {}
    // 4-byte elements a forward pass's kernels allocate besides input, output and
    // the prepared constants: by default one zero-padded copy of the input.
    virtual int64_t working_floats(const LayerSpec &spec, const std::vector<int64_t> &input_shape) const;
    // Its own state_dict entries, bias included; the epilogue's are added by
    // expected_weights(). With several forms, the first form's.
    virtual std::vector<ExpectedTensor> weights(const LayerSpec &spec) const = 0;
    // Every form its state_dict may take, the first the default (what random
    // weights are made in); by default the one form weights() lists.
    virtual std::vector<WeightForm> weight_forms(const LayerSpec &spec) const { return {{"", weights(spec)}}; }
    // 4-byte elements prepare() holds at its peak, besides the weights as read:
    // the program's constants and its working copies. The size checks bound it
    // before anything is read or allocated.
    virtual int64_t prepared_floats(const LayerSpec &spec) const = 0;
    // Weights already checked against expected_weights(): folds and packs them.
    virtual LayerProgram prepare(const LayerSpec &spec, const WeightMap &weights) const = 0;
    // The kernel `convforge emit --spec` compiles for exactly this layer; it
    // takes the arguments of every call prepare() makes.
    virtual KernelPlan layer_kernel(const LayerSpec &spec) const = 0;
    // The shape-generic kernels of the variant's own generators (the build emits
    // one per path of its common/<generator>_paths.def and activation); none for
    // a variant that runs on another's kernels.
    virtual std::vector<BuiltinKernel> builtin_kernels() const { return {}; }
    // Multiply-adds of one forward pass, for GFLOP/s figures.
    virtual double multiply_adds(const LayerSpec &spec, const std::vector<int64_t> &output_shape) const = 0;
};

// The definition registered under `name`; throws naming the known variants.
const VariantDefinition &find_variant(const std::string &name, const std::string &origin = "layer spec");
const std::vector<const VariantDefinition *> &registered_variants();
// The built-in kernel of that name, of whichever variant has it; throws naming
// the known ones.
BuiltinKernel find_builtin_kernel(const std::string &name);

// What a field of that kind must be, for messages: "an integer in [-2^30, 2^30]".
const char *field_kind_text(FieldKind kind);

// A variant field's value: the spec's, else the variant's default.
double variant_param(const LayerSpec &spec, const VariantParam &param, const std::string &origin = "layer spec");
double variant_param(const LayerSpec &spec, const char *name, const std::string &origin = "layer spec");

// Gives every field of the spec's variant that the spec leaves out its default.
void apply_variant_defaults(LayerSpec &spec, const std::string &origin = "layer spec");

// Every tensor the layer reads, the variant's own and the epilogue's, in each
// form its weights may take (the first the default).
std::vector<WeightForm> expected_weight_forms(const LayerSpec &spec);
// Those of the form named `form` ("": the default form); throws naming the forms.
std::vector<ExpectedTensor> expected_weights(const LayerSpec &spec, const std::string &form = "");

}  // namespace convforge
