// dsconv: DSConv (distribution shift convolution). A kernel of b-bit levels (the
// VQK) with a float alpha per (output channel, block of input channels, tap),
// the kernel distribution shift (KDSb) and channel distribution shift (CDSw,
// CDSb) optional. Its weights come quantized (weight I8 + alpha) or float
// (weight F32, quantized at load as the official engine does). Exact mode
// (activation_bits 0) runs on the conv kernels with the kernel expanded at load;
// integer mode (activation_bits 8) is not built yet.
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
        if (activation_bits == 8)
            throw Error(origin + ": dsconv integer mode (activation_bits 8) is not built yet; activation_bits 0 "
                                 "(exact mode) is");
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
        return prepare_plain_conv(s, w, effective_kernel(s, w));
    }

    // The plain conv's, plus the levels, alphas and expanded kernel being built.
    int64_t prepared_floats(const LayerSpec &s) const override {
        const KernelBlocks b = blocks_of(s);
        const int64_t kernel = kernel_tensor_floats({s.out_channels, b.channels, b.taps}, "dsconv kernel");
        const int64_t alpha = kernel_tensor_floats({s.out_channels, b.count(), b.taps}, "dsconv alpha");
        return checked_add(plain_conv_prepared_floats(s), checked_add(checked_mul(kernel, 2, "dsconv kernel"), alpha, "dsconv"),
                           "dsconv prepared weights");
    }

    KernelPlan layer_kernel(const LayerSpec &s) const override { return plain_conv_layer_kernel(s); }

    double multiply_adds(const LayerSpec &s, const std::vector<int64_t> &out) const override {
        return plain_conv_multiply_adds(s, out);
    }

private:
    static std::vector<float> effective_kernel(const LayerSpec &s, const WeightMap &w) {
        const KernelBlocks b = blocks_of(s);
        const WeightTensor &weight = w.at("weight");
        BlockQuantizedKernel kernel;
        if (weight.dtype == "I8") {
            kernel.levels.assign(weight.bytes.begin(), weight.bytes.end());
            kernel.alpha = w.at("alpha").as_float();
        } else {
            kernel = quantize_kernel(weight.as_float(), b, field(s, "bits"));
        }
        std::vector<float> kds, cds_weight, cds_bias;
        if (field(s, "kds_bias")) kds = w.at("KDSb").as_float();
        if (field(s, "cds")) {
            cds_weight = w.at("CDSw").as_float();
            cds_bias = w.at("CDSb").as_float();
        }
        return expand_kernel(kernel, b, kds.empty() ? nullptr : &kds, cds_weight.empty() ? nullptr : &cds_weight,
                             cds_bias.empty() ? nullptr : &cds_bias);
    }
};

}  // namespace

const VariantDefinition &dsconv_variant() {
    static const DsConv variant;
    return variant;
}

}  // namespace convforge
