// dsconv: DSConv (distribution shift convolution). A kernel of b-bit levels (the
// VQK) with a float alpha per (output channel, block of input channels, tap),
// the kernel distribution shift (KDSb) and channel distribution shift (CDSw,
// CDSb) optional. Its weights come quantized (weight I8 + alpha) or float
// (weight F32, quantized at load as the official engine does). Both modes keep
// the levels as bytes and fold per (o, block, tap) scales here: exact mode
// (activation_bits 0) runs generators/dsconv_exact.cpp, the conv's loop nest with
// the float kernel expanded from the levels a chunk at a time as it reads them
// (whole, once per call, under unchunked schedules), split into calls as the plain
// conv is; integer mode (activation_bits 8) runs generators/dsconv.cpp once per group.
#include <algorithm>
#include <array>
#include <cstring>

#include "dsconv_contract.h"
#include "dsconv_kernel.h"
#include "checked_size.h"
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

// Exact mode's kernels run the conv's loop nest, with the conv's knobs and
// records of their own ("dsconv_exact"), the conv's where they have none.
BuiltinKernel exact_kernel(ConvPath path, ActivationKind activation) {
    BuiltinKernel kernel = path_kernel("dsconv_exact", conv_path_name(path), activation_name(activation));
    kernel.plan.fallback_variant = "conv";
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
        // The int32 block sums (up to 255 * 128 * B on x86) stay exact up to here, and
        // convert to float exactly up to 512 (above, within 2^-24 relative).
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
        return integer_mode(s) ? prepare_integer_mode(s, w) : prepare_exact_mode(s, w);
    }

    // Both modes: the levels as read or quantized and the alphas (counted as
    // floats), then their packed levels (bytes, counted as floats), two packed
    // scale tensors and the bias. Integer mode packs one group per call, blocks
    // padded to 4 channels; exact mode packs as the plain conv does.
    int64_t prepared_floats(const LayerSpec &s) const override {
        const KernelBlocks b = blocks_of(s);
        const int64_t kernel = kernel_tensor_floats({s.out_channels, b.channels, b.taps}, "dsconv kernel");
        const int64_t alpha = kernel_tensor_floats({s.out_channels, b.count(), b.taps}, "dsconv alpha");
        const int64_t levels_and_alpha = checked_add(checked_mul(kernel, 2, "dsconv kernel"), alpha, "dsconv");
        const bool integer = integer_mode(s);
        const KernelSplit split = split_of(s);
        const int64_t calls = integer ? s.groups : split.calls;
        const int64_t per_call_out = packed_channel_count(integer ? s.out_channels / s.groups : split.out_channels);
        const int64_t per_call_channels = integer ? int64_t(b.count()) * padded_block(s) : split.in_channels / split.groups;
        const int64_t packed_levels =
            kernel_tensor_floats({calls, per_call_out, per_call_channels, b.taps}, "dsconv packed levels");
        const int64_t packed_scales = checked_mul(
            kernel_tensor_floats({calls, per_call_out, b.count(), b.taps}, "dsconv packed scales"), 2, "dsconv packed scales");
        return checked_add(checked_add(levels_and_alpha, packed_levels, "dsconv"),
                           checked_add(packed_scales, s.out_channels, "dsconv"), "dsconv prepared weights");
    }

    // Exact mode: at most the effective kernel of one call (expanded whole where the
    // schedule does not read it a chunk at a time). Integer mode:
    // the mantissas (bytes, counted as floats), scales and scaled sums over the
    // zero-padded image, and block exponents. Both besides the input and output.
    int64_t working_floats(const LayerSpec &s, const std::vector<int64_t> &in) const override {
        const int64_t io = VariantDefinition::working_floats(s, in);
        if (!integer_mode(s)) {
            const KernelSplit split = split_of(s);
            return checked_add(io,
                               kernel_tensor_floats({packed_channel_count(split.out_channels),
                                                     split.in_channels / split.groups, s.kernel_size, s.kernel_size},
                                                    "dsconv effective kernel"),
                               "dsconv working buffers");
        }
        const int64_t blocks = blocks_of(s).count();  // of the one group a call sees
        const int64_t height = checked_add(in[2], 2 * int64_t(s.padding), "padded height"),
                      width = checked_add(in[3], 2 * int64_t(s.padding), "padded width");
        const int64_t mantissas = kernel_tensor_floats({in[0], blocks * padded_block(s), height, width}, "mantissas");
        const int64_t per_block = checked_mul(kernel_tensor_floats({in[0], blocks, height, width}, "block exponents"), 3,
                                              "block exponents, scales and scaled sums");
        return checked_add(mantissas, per_block, "dsconv working buffers");
    }

    // Integer mode's workload names the block size; exact mode's is the conv's.
    KernelPlan layer_kernel(const LayerSpec &s) const override {
        const int block_size = field(s, "block_size");
        KernelPlan plan;
        if (integer_mode(s)) {
            plan = integer_kernel(s.epilogue.activation).plan;
            fix_layer_geometry(plan, s, 1, s.in_channels / s.groups, s.out_channels / s.groups);
            plan.workload += "-b" + std::to_string(block_size);
        } else {
            const KernelSplit split = split_of(s);
            plan = exact_kernel(split.path, s.epilogue.activation).plan;
            fix_layer_geometry(plan, s, split.groups, split.in_channels, split.out_channels);
        }
        plan.params.push_back(std::string(fixed_param::block_size) + "=" + std::to_string(block_size));
        return plan;
    }

    std::vector<BuiltinKernel> builtin_kernels() const override {
        std::vector<BuiltinKernel> kernels;
        for (const auto &[activation, kind] : activation_kinds()) {
            kernels.push_back(integer_kernel(kind));
            for (const auto &[path_name, path] : conv_path_names()) kernels.push_back(exact_kernel(path, kind));
        }
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

    // What both modes' kernels take besides the levels: A = alpha CDSw s_bn and
    // K = (KDSb CDSw + CDSb) s_bn per (o, block, tap) [O, blocks, k, k], and the
    // bias s_bn b + t_bn.
    struct FoldedScales {
        std::vector<float> A, K, bias;
    };
    static FoldedScales folded_scales(const LayerSpec &s, const WeightMap &w, const BlockQuantizedKernel &q) {
        const KernelBlocks b = blocks_of(s);
        const BatchNormAffine bn = batchnorm_affine(s, w);
        const DistributionShifts shifts = shifts_of(s, w);
        const bool kds = !shifts.kds_bias.empty(), cds = !shifts.cds_weight.empty();
        const size_t scales = size_t(b.out_channels) * b.count() * b.taps;
        FoldedScales f{std::vector<float>(scales), std::vector<float>(scales), {}};
        for (int o = 0; o < b.out_channels; ++o)
            for (int block = 0; block < b.count(); ++block)
                for (int t = 0; t < b.taps; ++t) {
                    const size_t at = b.at(o, block, t);
                    const double cw = cds ? shifts.cds_weight[o] : 1.0, cb = cds ? shifts.cds_bias[o] : 0.0;
                    f.A[at] = float(q.alpha[at] * cw * bn.scale[o]);
                    f.K[at] = float(((kds ? shifts.kds_bias[at] : 0.0) * cw + cb) * bn.scale[o]);
                }
        f.bias = s.bias ? w.at("bias").as_float() : std::vector<float>(size_t(s.out_channels), 0.0f);
        for (int o = 0; o < s.out_channels; ++o) f.bias[o] = float(bn.scale[o] * f.bias[o] + bn.shift[o]);
        return f;
    }

    // The plain conv's calls (one, or one per wide group), each with its slices of
    // the packed levels, A and K.
    static LayerProgram prepare_exact_mode(const LayerSpec &s, const WeightMap &w) {
        const KernelBlocks b = blocks_of(s);
        const BlockQuantizedKernel q = levels_of(s, w);
        const FoldedScales f = folded_scales(s, w, q);
        const KernelSplit split = split_of(s);
        const int k = s.kernel_size, per_call_out = split.out_channels;
        const std::array<int, 5> levels = PackedWeightLayout(per_call_out, b.channels, k).extents();
        return program_of(s, f, packed_conv_levels(q.levels, s.out_channels, b.channels, k, per_call_out),
                          exact_kernel(split.path, s.epilogue.activation).name,
                          {split.calls, split.groups, split.in_channels, per_call_out, {levels.begin(), levels.end()}});
    }

    // Both modes' programs: A, K (packed per call as conv kernels over the blocks),
    // the bias and the levels (packed by the mode), then the calls. Call j reads
    // input channels [j in, + in) and writes output channels [j out, + out), with
    // its slices of each, and `groups` as the kernel sees them.
    struct CallLayout {
        int calls, groups, in_channels, out_channels;
        std::vector<int> level_extents;  // one call's levels
    };
    static LayerProgram program_of(const LayerSpec &s, const FoldedScales &f, ProgramConstant levels,
                                   const std::string &kernel, const CallLayout &l) {
        const int blocks = blocks_of(s).count();
        const std::array<int, 5> scale_layout = PackedWeightLayout(l.out_channels, blocks, s.kernel_size).extents();
        const std::vector<int> scale_extents(scale_layout.begin(), scale_layout.end());
        LayerProgram program;
        program.constants.push_back(packed_conv_weights(f.A, s.out_channels, blocks, s.kernel_size, l.out_channels));
        program.constants.push_back(packed_conv_weights(f.K, s.out_channels, blocks, s.kernel_size, l.out_channels));
        program.constants.push_back(ProgramConstant::of_floats(f.bias));
        program.constants.push_back(std::move(levels));
        auto count = [](const std::vector<int> &extents) {
            size_t n = 1;
            for (int e : extents) n *= size_t(e);
            return n;
        };
        const size_t scale_count = count(scale_extents), level_count = count(l.level_extents);
        using Arg = KernelArgument;
        for (int j = 0; j < l.calls; ++j) {
            KernelCall call;
            call.kernel = kernel;
            call.args = {
                Arg::input("input", j * l.in_channels, l.in_channels),
                Arg::constant_slice("weights", 0, j * scale_count, scale_extents),
                Arg::constant_slice("bias", 2, size_t(j) * l.out_channels, {l.out_channels}),
                Arg::constant_slice("levels", 3, j * level_count, l.level_extents),
                Arg::constant_slice("block_shift", 1, j * scale_count, scale_extents),
                Arg::scalar("block_size", field(s, "block_size")),
                Arg::output("output", j * l.out_channels, l.out_channels),
            };
            append_conv_geometry(call.args, s, l.groups);
            program.calls.push_back(std::move(call));
        }
        return program;
    }

    // A and K packed like the conv's weights, the bias, and the levels packed
    // (c % 4, o, c / 4, kx, ky) per group, blocks padded to 4 channels. One call
    // per group (the kernel's groups are 1).
    static LayerProgram prepare_integer_mode(const LayerSpec &s, const WeightMap &w) {
        const KernelBlocks b = blocks_of(s);
        const BlockQuantizedKernel q = levels_of(s, w);
        const FoldedScales f = folded_scales(s, w, q);
        const int groups = s.groups, og = s.out_channels / groups, k = s.kernel_size;
        const int bp = padded_block(s), quads = b.count() * bp / 4, op = packed_channel_count(og);
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
        return program_of(s, f, std::move(levels), integer_kernel(s.epilogue.activation).name,
                          {groups, 1, b.channels, og, {4, op, quads, k, k}});
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
};

}  // namespace

const VariantDefinition &dsconv_variant() {
    static const DsConv variant;
    return variant;
}

}  // namespace convforge
