#include "kernel_table.h"

#include "convforge_conv_dense_identity.h"
#include "convforge_conv_dense_relu.h"
#include "convforge_conv_dense_silu.h"
#include "convforge_conv_grouped_identity.h"
#include "convforge_conv_grouped_relu.h"
#include "convforge_conv_grouped_silu.h"
#include "convforge_conv_pointwise_identity.h"
#include "convforge_conv_pointwise_relu.h"
#include "convforge_conv_pointwise_silu.h"
#ifdef CONVFORGE_HAVE_CUDA_KERNELS
#include "convforge_conv_dense_identity_cuda.h"
#include "convforge_conv_dense_relu_cuda.h"
#include "convforge_conv_dense_silu_cuda.h"
#include "convforge_conv_grouped_identity_cuda.h"
#include "convforge_conv_grouped_relu_cuda.h"
#include "convforge_conv_grouped_silu_cuda.h"
#include "convforge_conv_pointwise_identity_cuda.h"
#include "convforge_conv_pointwise_relu_cuda.h"
#include "convforge_conv_pointwise_silu_cuda.h"
#endif

namespace convforge {

ConvKernelFn builtin_conv_kernel(ConvPath path, ActivationKind act, bool on_gpu) {
    // [path][activation], in ConvPath and ActivationKind order
    static const ConvKernelFn cpu[3][3] = {
        {convforge_conv_dense_identity, convforge_conv_dense_relu, convforge_conv_dense_silu},
        {convforge_conv_grouped_identity, convforge_conv_grouped_relu, convforge_conv_grouped_silu},
        {convforge_conv_pointwise_identity, convforge_conv_pointwise_relu, convforge_conv_pointwise_silu}};
#ifdef CONVFORGE_HAVE_CUDA_KERNELS
    static const ConvKernelFn gpu[3][3] = {
        {convforge_conv_dense_identity_cuda, convforge_conv_dense_relu_cuda, convforge_conv_dense_silu_cuda},
        {convforge_conv_grouped_identity_cuda, convforge_conv_grouped_relu_cuda, convforge_conv_grouped_silu_cuda},
        {convforge_conv_pointwise_identity_cuda, convforge_conv_pointwise_relu_cuda,
         convforge_conv_pointwise_silu_cuda}};
    if (on_gpu) return gpu[int(path)][int(act)];
#else
    (void)on_gpu;
#endif
    return cpu[int(path)][int(act)];
}

}  // namespace convforge
