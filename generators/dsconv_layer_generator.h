// What DSConv's two generators (dsconv.cpp: integer mode; dsconv_exact.cpp: exact
// mode) share: after the conv-like layer's arguments (conv_layer_generator.h,
// `weights` being A [O, blocks, k, k] packed as a conv kernel), the same argument
// list, each generator packing `levels` its own way, and the estimates of the
// per-block scales.
#pragma once

#include "conv_layer_generator.h"
#include "dsconv_contract.h"

namespace convforge {

template <typename T>
class DsconvLayerGenerator : public ConvLayerGenerator<T> {
public:
    template <typename V>
    using Output = Halide::GeneratorOutput<V>;

    Halide::GeneratorParam<int> fixed_block_size{fixed_param::block_size, 0};
    Halide::GeneratorInput<Halide::Buffer<int8_t>> levels{"levels", 5};        // q_w, in the generator's layout
    Halide::GeneratorInput<Halide::Buffer<float>> block_shift{"block_shift", 5};  // K, packed as `weights`
    Halide::GeneratorInput<int> block_size{"block_size"};                          // B
    Output<Halide::Buffer<float>> output{"output", 4};                              // NCHW (x, y, o, n)

protected:
    Halide::Expr block_size_expr() const { return this->fixed_or(fixed_block_size, block_size); }
    Halide::Expr block_size_matches() const {
        return fixed_block_size <= 0 || block_size == int(fixed_block_size);
    }

    // The block size the estimates assume, and A's and K's estimates over the
    // estimated layer's blocks (its channels per group, split into blocks).
    int estimated_block_size() const { return fixed_block_size > 0 ? int(fixed_block_size) : 32; }
    void set_block_scale_estimates() {
        const auto l = this->estimated_layer();
        const int B = estimated_block_size(), blocks = (l.in_channels / l.groups + B - 1) / B;
        for (auto *packed : {&this->weights, &block_shift})
            packed->set_estimates({{0, kPackedChannelTile},
                                   {0, blocks},
                                   {0, l.kernel_size},
                                   {0, l.kernel_size},
                                   {0, packed_channel_count(l.out_channels) / kPackedChannelTile}});
        block_size.set_estimate(B);
    }
};

}  // namespace convforge
