"""condconv: CondConv (conditionally parameterized convolution), eval mode, as the
public PyTorch ports run it: sigmoid routing on the GAP of each image, each image's
kernel mixed from the experts, and the batch folded into the conv's groups so one
grouped conv applies every image's own kernel (the per-sample weight tensor
materialized)."""
import torch
import torch.nn.functional as F

from torch_reference import epilogue, geometry


def forward(spec, w, x):
    n, c, h, width = x.shape
    g = geometry(spec)
    weight = w["weight"]  # (E, O, C/g, k, k)
    experts, out_channels = weight.shape[0], weight.shape[1]
    r = torch.sigmoid(F.linear(x.mean(dim=(2, 3)), w["routing_fn.weight"], w["routing_fn.bias"]))  # (N, E)
    kernels = (r @ weight.reshape(experts, -1)).reshape(n * out_channels, *weight.shape[2:])
    bias = (r @ w["bias"]).reshape(-1) if spec.get("bias", False) else None
    z = F.conv2d(x.reshape(1, n * c, h, width), kernels, bias, stride=g["stride"], padding=g["padding"],
                 dilation=g["dilation"], groups=g["groups"] * n)
    return epilogue(z.reshape(n, out_channels, z.shape[2], z.shape[3]), spec, w)
