// conv: nn.Conv2d itself, the baseline every variant replaces.
#include "../plain_conv.h"

namespace convforge {

namespace {

class Conv final : public VariantDefinition {
public:
    const char *name() const override { return "conv"; }
    const char *summary() const override { return "nn.Conv2d (weight [O, C/g, k, k])"; }

    std::vector<ExpectedTensor> weights(const LayerSpec &s) const override {
        std::vector<ExpectedTensor> keys = {{"weight", {s.out_channels, s.in_channels / s.groups, s.kernel_size, s.kernel_size}}};
        for (auto &b : conv_bias_weights(s)) keys.push_back(b);
        return keys;
    }

    LayerProgram prepare(const LayerSpec &s, const WeightMap &w) const override {
        return prepare_plain_conv(s, w, w.at("weight").as_float());
    }

    int64_t prepared_floats(const LayerSpec &s) const override { return plain_conv_prepared_floats(s); }

    KernelPlan layer_kernel(const LayerSpec &s) const override { return plain_conv_layer_kernel(s); }

    std::vector<BuiltinKernel> builtin_kernels() const override { return plain_conv_builtin_kernels(); }

    double multiply_adds(const LayerSpec &s, const std::vector<int64_t> &out) const override {
        return plain_conv_multiply_adds(s, out);
    }
};

}  // namespace

const VariantDefinition &conv_variant() {
    static const Conv variant;
    return variant;
}

}  // namespace convforge
