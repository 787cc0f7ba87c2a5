#include "kernel_plan.h"

#include "../generators/kernel_contract.h"

namespace convforge {

KernelPlan plan_layer_kernel(const LayerSpec &s) {
    switch (s.variant) {
    case Variant::Conv:
    case Variant::DoConv: {  // DO-Conv is folded into a plain kernel at load time
        // The kernel of one call: wide groups are separate calls (kernel_contract.h).
        const KernelSplit split = kernel_split(s.groups, s.in_channels, s.out_channels, s.kernel_size, s.stride, s.padding);
        KernelPlan plan = plan_generic_conv_kernel(conv_path_name(split.path), activation_name(s.epilogue.activation));
        for (const auto &[name, value] :
             {std::pair<const char *, int>{"fixed_kernel_size", s.kernel_size}, {"fixed_stride", s.stride},
              {"fixed_padding", s.padding}, {"fixed_dilation", s.dilation}, {"fixed_groups", split.groups},
              {"fixed_in_channels", split.in_channels}, {"fixed_out_channels", split.out_channels}})
            plan.params.push_back(std::string(name) + "=" + std::to_string(value));
        return plan;
    }
    default:
        throw Error(std::string("variant '") + variant_name(s.variant) + "' has no kernel in this build yet");
    }
}

KernelPlan plan_generic_conv_kernel(const std::string &path, const std::string &activation) {
    return {"convforge_conv", "conv", path, {"path=" + path, "activation=" + activation}};
}

}  // namespace convforge
