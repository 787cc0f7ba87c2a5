// dsconv: DSConv (distribution shift convolution). A kernel of b-bit levels (the
// VQK) with a float alpha per (output channel, block of input channels, tap),
// the kernel distribution shift (KDSb) and channel distribution shift (CDSw,
// CDSb) optional. Its weights come quantized (weight I8 + alpha) or float
// (weight F32, quantized at load as the official engine does). Exact mode
// (activation_bits 0) runs on the conv kernels with the kernel expanded at load;
// integer mode (activation_bits 8) on DSConv's own kernel (generators/dsconv.cpp),
// once per group, with its per-(o, block, tap) scales folded here.
#include <algorithm>
#include <array>
#include <cstring>

#include "dsconv_kernel.h"
#include "../checked_size.h"
#include "../plain_conv.h"

namespace convforge {

namespace {

double no_default_bits(const LayerSpec &, const std::string &origin) {
    throw Error(origin + ": dsconv needs the field 'bits' (2 to 8)");
}
double default_block_size(const LayerSpec &, const std::string &) { return 32; }
double default_off(const LayerSpec &, const std::string &) { return 0; }

int field(const LayerSpec &s, const char *name) { return int(variant_param(s, name)); }

KernelBlocks blocks_of(const LayerSpec &s) {
    return {s.out_channels, s.in_channels / s.groups, s.kernel_size * s.kernel_size, field(s, "block_size")};
}

bool integer_mode(const LayerSpec &s) { return field(s, "activation_bits") == 8; }

// Blocks padded to a multiple of 4 channels in the integer kernel's layouts.
int padded_block(const LayerSpec &s) { return (field(s, "block_size") + 3) / 4 * 4; }

BuiltinKernel integer_kernel(ActivationKind activation) {
    BuiltinKernel kernel = path_kernel("dsconv", conv_path_name(ConvPath::Dense), activation_name(activation));
    kernel.plan.int8_dot_products = true;
    return kernel;
}

class DsConv final : public VariantDefinition {
public:
    const char *name() const override { return "dsconv"; }
    const char *summary() const override {
        return "DSConv: b-bit kernel levels with an alpha per output channel, block of input channels and tap";
    }

    std::vector<VariantParam> params() const override {
        return {{"bits", FieldKind::Integer, no_default_bits},
                {"block_size", FieldKind::Integer, default_block_size},
                {"kds_bias", FieldKind::Boolean, default_off},
                {"cds", FieldKind::Boolean, default_off},
                {"activation_bits", FieldKind::Integer, default_off}};
    }

    void check(const LayerSpec &s, const std::string &origin) const override {
        const int bits = field(s, "bits"), block_size = field(s, "block_size"), activation_bits = field(s, "activation_bits");
        if (bits < 2 || bits > 8)
            throw Error(origin + ": dsconv field 'bits' must be 2 to 8, got " + std::to_string(bits));
        if (block_size < 1)
            throw Error(origin + ": dsconv field 'block_size' must be >= 1, got " + std::to_string(block_size));
        if (activation_bits != 0 && activation_bits != 8)
            throw Error(origin + ": dsconv field 'activation_bits' must be 0 (float activations) or 8, got " +
                        std::to_string(activation_bits));
        // The int32 block sums stay exact (and convert to float exactly) up to here.
        if (activation_bits == 8 && block_size > kMaxIntegerBlock)
            throw Error(origin + ": dsconv field 'block_size' must be at most " + std::to_string(kMaxIntegerBlock) +
                        " in integer mode (activation_bits 8), got " + std::to_string(block_size));
    }

    // The quantized form first: what an exported DSConv holds.
    std::vector<ExpectedTensor> weights(const LayerSpec &s) const override { return weight_forms(s).front().tensors; }

    std::vector<WeightForm> weight_forms(const LayerSpec &s) const override {
        const KernelBlocks b = blocks_of(s);
        const int64_t O = s.out_channels, k = s.kernel_size, levels = int64_t(1) << (field(s, "bits") - 1);
        const std::vector<int64_t> kernel = {O, b.channels, k, k}, blocked = {O, b.count(), k, k};
        // KDSb, CDSw and CDSb are trained beside the kernel: both forms carry them.
        std::vector<ExpectedTensor> shifts;
        if (field(s, "kds_bias")) shifts.push_back({"KDSb", blocked});
        if (field(s, "cds")) {
            shifts.push_back({"CDSw", {O}});
            shifts.push_back({"CDSb", {O}});
        }
        for (auto &e : conv_bias_weights(s)) shifts.push_back(e);
        WeightForm quantized{"quantized", {{"weight", kernel, "I8", false, std::pair{-levels, levels - 1}}, {"alpha", blocked}}};
        WeightForm floating{"float", {{"weight", kernel}}};
        for (WeightForm *form : {&quantized, &floating})
            form->tensors.insert(form->tensors.end(), shifts.begin(), shifts.end());
        return {quantized, floating};
    }

    LayerProgram prepare(const LayerSpec &s, const WeightMap &w) const override {
        if (integer_mode(s)) return prepare_integer_mode(s, w);
        return prepare_plain_conv(s, w, effective_kernel(s, w));
    }

    // Exact mode: the plain conv's, plus the levels, alphas and expanded kernel
    // being built. Integer mode: the levels (as read or quantized, and packed with
    // blocks padded to 4 channels and outputs to the packed tile, counted as
    // floats), the alphas, and two packed scale tensors and the bias.
    int64_t prepared_floats(const LayerSpec &s) const override {
        const KernelBlocks b = blocks_of(s);
        const int64_t kernel = kernel_tensor_floats({s.out_channels, b.channels, b.taps}, "dsconv kernel");
        const int64_t alpha = kernel_tensor_floats({s.out_channels, b.count(), b.taps}, "dsconv alpha");
        const int64_t levels_and_alpha = checked_add(checked_mul(kernel, 2, "dsconv kernel"), alpha, "dsconv");
        if (!integer_mode(s)) return checked_add(plain_conv_prepared_floats(s), levels_and_alpha, "dsconv prepared weights");
        const int64_t per_group_out = packed_channel_count(s.out_channels / s.groups);
        const int64_t packed_levels = kernel_tensor_floats(
            {s.groups, per_group_out, int64_t(b.count()) * padded_block(s), b.taps}, "dsconv packed levels");
        const int64_t packed_scales =
            checked_mul(kernel_tensor_floats({s.groups, per_group_out, b.count(), b.taps}, "dsconv packed scales"), 2,
                        "dsconv packed scales");
        return checked_add(checked_add(levels_and_alpha, packed_levels, "dsconv"),
                           checked_add(packed_scales, s.out_channels, "dsconv"), "dsconv prepared weights");
    }

    // Integer mode: the mantissas (bytes, counted as floats), scales and scaled sums
    // over the zero-padded image, and block exponents, besides the input and output.
    int64_t working_floats(const LayerSpec &s, const std::vector<int64_t> &in) const override {
        if (!integer_mode(s)) return VariantDefinition::working_floats(s, in);
        const int64_t blocks = int64_t(blocks_of(s).count()) * s.groups;
        const int64_t height = checked_add(in[2], 2 * int64_t(s.padding), "padded height"),
                      width = checked_add(in[3], 2 * int64_t(s.padding), "padded width");
        const int64_t mantissas = kernel_tensor_floats({in[0], blocks * padded_block(s), height, width}, "mantissas");
        const int64_t per_block = checked_mul(kernel_tensor_floats({in[0], blocks, height, width}, "block exponents"), 3,
                                              "block exponents, scales and scaled sums");
        return checked_add(mantissas, per_block, "dsconv working buffers");
    }

    KernelPlan layer_kernel(const LayerSpec &s) const override {
        if (!integer_mode(s)) return plain_conv_layer_kernel(s);
        KernelPlan plan = integer_kernel(s.epilogue.activation).plan;
        fix_layer_geometry(plan, s, 1, s.in_channels / s.groups, s.out_channels / s.groups);
        plan.params.push_back("fixed_block_size=" + std::to_string(field(s, "block_size")));
        plan.workload += "-b" + std::to_string(field(s, "block_size"));
        return plan;
    }

    std::vector<BuiltinKernel> builtin_kernels() const override {
        std::vector<BuiltinKernel> kernels;
        for (const auto &[activation, kind] : activation_kinds()) kernels.push_back(integer_kernel(kind));
        return kernels;
    }

    double multiply_adds(const LayerSpec &s, const std::vector<int64_t> &out) const override {
        return plain_conv_multiply_adds(s, out);
    }

private:
    static constexpr int kMaxIntegerBlock = 1024;

    static BlockQuantizedKernel levels_of(const LayerSpec &s, const WeightMap &w) {
        const WeightTensor &weight = w.at("weight");
        if (weight.dtype != "I8") return quantize_kernel(weight.as_float(), blocks_of(s), field(s, "bits"));
        BlockQuantizedKernel kernel;
        kernel.levels.resize(weight.bytes.size());
        std::memcpy(kernel.levels.data(), weight.bytes.data(), weight.bytes.size());
        kernel.alpha = w.at("alpha").as_float();
        return kernel;
    }

    // A = alpha CDSw s_bn and K = (KDSb CDSw + CDSb) s_bn per (o, block, tap), the
    // bias s_bn b + t_bn; the levels packed (c % 4, o, c / 4, kx, ky) per group, blocks padded to 4
    // channels. One call per group (the kernel's groups are 1).
    static LayerProgram prepare_integer_mode(const LayerSpec &s, const WeightMap &w) {
        const KernelBlocks b = blocks_of(s);
        const BlockQuantizedKernel q = levels_of(s, w);
        const BatchNormAffine bn = batchnorm_affine(s, w);
        const DistributionShifts shifts = shifts_of(s, w);
        const bool kds = !shifts.kds_bias.empty(), cds = !shifts.cds_weight.empty();
        const size_t scales = size_t(b.out_channels) * b.count() * b.taps;
        std::vector<float> A(scales), K(scales);
        for (int o = 0; o < b.out_channels; ++o)
            for (int block = 0; block < b.count(); ++block)
                for (int t = 0; t < b.taps; ++t) {
                    const size_t at = b.at(o, block, t);
                    const double cw = cds ? shifts.cds_weight[o] : 1.0, cb = cds ? shifts.cds_bias[o] : 0.0;
                    A[at] = float(q.alpha[at] * cw * bn.scale[o]);
                    K[at] = float(((kds ? shifts.kds_bias[at] : 0.0) * cw + cb) * bn.scale[o]);
                }
        std::vector<float> bias = s.bias ? w.at("bias").as_float() : std::vector<float>(size_t(s.out_channels), 0.0f);
        for (int o = 0; o < s.out_channels; ++o) bias[o] = float(bn.scale[o] * bias[o] + bn.shift[o]);

        const int groups = s.groups, og = s.out_channels / groups, k = s.kernel_size;
        const int bp = padded_block(s), quads = b.count() * bp / 4, op = packed_channel_count(og);
        LayerProgram program;
        program.constants.push_back(packed_conv_weights(A, s.out_channels, b.count(), k, og));
        program.constants.push_back(packed_conv_weights(K, s.out_channels, b.count(), k, og));
        program.constants.push_back(ProgramConstant::of_floats(bias));
        ProgramConstant levels;
        levels.dtype = "I8";
        const size_t per_group = size_t(4) * op * quads * k * k;
        levels.bytes.assign(per_group * groups, 0);
        for (int o = 0; o < s.out_channels; ++o)
            for (int j = 0; j < b.channels; ++j)
                for (int t = 0; t < b.taps; ++t) {
                    const int oc = o % og, c = j / b.block_size * bp + j % b.block_size;
                    const size_t at = size_t(o / og) * per_group +
                                      ((size_t(t) * quads + c / 4) * op + oc) * 4 + c % 4;  // t = ky k + kx
                    levels.bytes[at] = uint8_t(q.levels[(size_t(o) * b.channels + j) * b.taps + t]);
                }
        program.constants.push_back(std::move(levels));

        const PackedWeightLayout layout(og, b.count(), k);
        const std::array<int, 5> scale_extents = layout.extents();
        const std::vector<int> packed(scale_extents.begin(), scale_extents.end());
        const std::string kernel = integer_kernel(s.epilogue.activation).name;
        using Arg = KernelArgument;
        for (int g = 0; g < groups; ++g) {
            KernelCall call;
            call.kernel = kernel;
            call.args = {
                Arg::input("input", g * b.channels, b.channels),
                Arg::constant_slice("weights", 0, g * layout.floats(), packed),
                Arg::constant_slice("bias", 2, size_t(g) * og, {og}),
                Arg::constant_slice("levels", 3, g * per_group, {4, op, quads, k, k}),
                Arg::constant_slice("block_shift", 1, g * layout.floats(), packed),
                Arg::scalar("block_size", b.block_size),
                Arg::output("output", g * og, og),
            };
            append_conv_geometry(call.args, s, 1);
            program.calls.push_back(std::move(call));
        }
        return program;
    }

    static DistributionShifts shifts_of(const LayerSpec &s, const WeightMap &w) {
        DistributionShifts shifts;
        if (field(s, "kds_bias")) shifts.kds_bias = w.at("KDSb").as_float();
        if (field(s, "cds")) {
            shifts.cds_weight = w.at("CDSw").as_float();
            shifts.cds_bias = w.at("CDSb").as_float();
        }
        return shifts;
    }

    static std::vector<float> effective_kernel(const LayerSpec &s, const WeightMap &w) {
        const KernelBlocks b = blocks_of(s);
        const BlockQuantizedKernel kernel = levels_of(s, w);
        return expand_kernel(kernel, b, shifts_of(s, w));
    }
};

}  // namespace

const VariantDefinition &dsconv_variant() {
    static const DsConv variant;
    return variant;
}

}  // namespace convforge
