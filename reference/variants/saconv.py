"""saconv: switchable atrous convolution (DetectoRS), eval mode, as convforge
documents it: the pre-context added to x, the switch from a 5x5 average of the
reflect-padded x', two convolutions with the standardized weight (dilation d, and
3d with weight_diff added), their blend, the bias once, and the post-context."""
import torch
import torch.nn.functional as F

from torch_reference import epilogue, geometry


def standardized_weight(w, out_channels):
    """Ŵ: per output channel, zero mean and unit unbiased variance, then gamma and
    beta; a checkpoint without gamma/beta gets mmcv's load-hook values."""
    weight = w["weight"]
    flat = weight.reshape(out_channels, -1)
    mean = flat.mean(dim=1).reshape(-1, 1, 1, 1)
    std = torch.sqrt(flat.var(dim=1, unbiased=True) + 1e-5).reshape(-1, 1, 1, 1)
    gamma = w.get("weight_gamma", std)
    beta = w.get("weight_beta", mean)
    return gamma * (weight - mean) / std + beta


def forward(spec, w, x):
    O = spec["out_channels"]
    geo = geometry(spec)
    s, p, d, g = geo["stride"], geo["padding"], geo["dilation"], geo["groups"]
    x = x + F.conv2d(F.adaptive_avg_pool2d(x, 1), w["pre_context.weight"], w["pre_context.bias"])
    pooled = F.avg_pool2d(F.pad(x, (2, 2, 2, 2), mode="reflect"), kernel_size=5, stride=1)
    switch = F.conv2d(pooled, w["switch.weight"], w["switch.bias"], stride=s)
    weight = standardized_weight(w, O)
    small = F.conv2d(x, weight, None, stride=s, padding=p, dilation=d, groups=g)
    large = F.conv2d(x, weight + w["weight_diff"], None, stride=s, padding=3 * p, dilation=3 * d, groups=g)
    z = switch * small + (1 - switch) * large
    if spec.get("bias", False):
        z = z + w["bias"].reshape(1, -1, 1, 1)
    z = z + F.conv2d(F.adaptive_avg_pool2d(z, 1), w["post_context.weight"], w["post_context.bias"])
    return epilogue(z, spec, w)
