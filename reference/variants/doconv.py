"""doconv: DO-Conv, composed as the official code does (group quirk included)."""
import torch
import torch.nn.functional as F

from torch_reference import epilogue, geometry


def kernel(spec, w):
    C, O, k = spec["in_channels"], spec["out_channels"], spec["kernel_size"]
    g = spec.get("groups", 1)
    d_mul = spec.get("d_mul", k * k)
    W = w["W"]
    if k == 1:
        return W.reshape(O, C // g, 1, 1)
    if "d_diag" in w:
        d_diag = w["d_diag"]
    else:
        eye = torch.eye(k * k).reshape(1, k * k, k * k)
        d_diag = eye.repeat(C, 1, d_mul // (k * k))
        if d_mul % (k * k):
            d_diag = torch.cat([d_diag, torch.zeros(C, k * k, d_mul % (k * k))], dim=2)
    Dt = w["D"] + d_diag
    Wr = torch.reshape(W, (O // g, C, d_mul))
    return torch.reshape(torch.einsum("ims,ois->oim", Dt, Wr), (O, C // g, k, k))


def forward(spec, w, x):
    z = F.conv2d(x, kernel(spec, w), w.get("bias") if spec.get("bias", False) else None, **geometry(spec))
    return epilogue(z, spec, w)
