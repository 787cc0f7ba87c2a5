"""dsconv: DSConv (distribution shift convolution) from VARIANTS.md and the official
engine: a quantized kernel (int8 levels + alpha per output channel, block of input
channels and tap) or a float one quantized as the engine does; the kernel and
channel distribution shifts; then a float conv, on the input itself (exact mode) or
on its block floating point form (integer mode, activation_bits 8)."""
import torch
import torch.nn.functional as F

from torch_reference import epilogue, geometry


def quantize(weight, bits, block_size):
    """Per (o, block, tap): a = the entry of largest |w| (first of equals, sign kept),
    q = clamp(round(w * (-2^(b-1) / a))), alpha = sum(w q) / sum(q^2)."""
    lowest, highest = -2 ** (bits - 1), 2 ** (bits - 1) - 1
    out_channels, channels = weight.shape[0], weight.shape[1]
    blocks = -(-channels // block_size)
    q = torch.zeros_like(weight)
    alpha = torch.zeros(out_channels, blocks, weight.shape[2], weight.shape[3])
    for b in range(blocks):
        w = weight[:, b * block_size:(b + 1) * block_size]
        a = w.gather(1, w.abs().argmax(dim=1, keepdim=True))
        zero = a == 0
        scale = torch.where(zero, torch.zeros_like(a), torch.tensor(float(lowest)) / torch.where(zero, torch.ones_like(a), a))
        # Where the float scale overflows (|a| < 2^(b-1) / FLT_MAX), in double
        # (the engine's inf would make NaN levels).
        exact = w.double() * lowest / torch.where(zero, torch.ones_like(a), a).double()
        level = torch.round(torch.where(torch.isfinite(scale), (w * scale).double(), exact))
        level = torch.clamp(level, lowest, highest).float()
        q[:, b * block_size:(b + 1) * block_size] = level
        num, den = (w * level).sum(dim=1), (level * level).sum(dim=1)
        alpha[:, b] = torch.where(den == 0, torch.zeros_like(num), num / torch.where(den == 0, torch.ones_like(den), den))
    return q, alpha


def kernel(spec, w):
    bits, block_size = spec["bits"], spec.get("block_size", 32)
    weight = w["weight"]
    if weight.dtype == torch.int8:
        q, alpha = weight.float(), w["alpha"]
    else:
        q, alpha = quantize(weight, bits, block_size)
    block_of = torch.arange(q.shape[1]) // block_size
    k = alpha[:, block_of] * q
    if spec.get("kds_bias", False):
        k = k + w["KDSb"][:, block_of]
    if spec.get("cds", False):
        k = w["CDSw"].reshape(-1, 1, 1, 1) * k + w["CDSb"].reshape(-1, 1, 1, 1)
    return k


def block_floating_point(spec, x, m):
    """Integer mode's activations, as the official Activation.py: per image, pixel and
    block of the weight's blocks (within each group), e = max floor(log2 |x|)
    (frexp's exponent - 1; 0 for an all-zero block), q = clamp(round(x 2^(m-2-e))),
    x^ = q 2^(e-(m-2)). Before zero padding."""
    groups, block_size = spec.get("groups", 1), spec.get("block_size", 32)
    per_group = x.shape[1] // groups
    out = torch.empty_like(x)
    for g in range(groups):
        for first in range(0, per_group, block_size):
            lo, hi = g * per_group + first, g * per_group + min(first + block_size, per_group)
            block = x[:, lo:hi]
            _, exponent = torch.frexp(block)
            e = torch.where(block == 0, torch.full_like(exponent, -1000), exponent - 1).amax(dim=1, keepdim=True)
            e = torch.where(e == -1000, torch.zeros_like(e), e).float()
            q = torch.clamp(torch.round(block * torch.pow(2.0, (m - 2) - e)), -2 ** (m - 1), 2 ** (m - 1) - 1)
            out[:, lo:hi] = q * torch.pow(2.0, e - (m - 2))
    return out


def forward(spec, w, x):
    m = spec.get("activation_bits", 0)
    if m:
        x = block_floating_point(spec, x, m)
    z = F.conv2d(x, kernel(spec, w), w.get("bias") if spec.get("bias", False) else None, **geometry(spec))
    return epilogue(z, spec, w)
