"""PyTorch reference for convforge's variants (eval mode), written from the
variant semantics convforge documents. Used only to make golden test data."""
import torch
import torch.nn.functional as F


def epilogue(z, spec, w):
    ep = spec.get("epilogue", {})
    if ep.get("batchnorm", False):
        z = F.batch_norm(z, w["bn.running_mean"], w["bn.running_var"], w["bn.weight"], w["bn.bias"],
                         training=False, eps=ep.get("bn_eps", 1e-5))
    act = ep.get("activation", "identity")
    if act == "relu":
        z = F.relu(z)
    elif act == "silu":
        z = F.silu(z)
    return z


def geometry(spec):
    k = spec["kernel_size"]
    d = spec.get("dilation", 1)
    return dict(stride=spec.get("stride", 1), padding=spec.get("padding", d * (k - 1) // 2),
                dilation=d, groups=spec.get("groups", 1))


def doconv_kernel(spec, w):
    """Official DO-Conv kernel composition, group quirk included."""
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
    variant = spec["variant"]
    if variant == "conv":
        K = w["weight"]
    elif variant == "doconv":
        K = doconv_kernel(spec, w)
    else:
        raise ValueError("no reference for variant " + variant)
    z = F.conv2d(x, K, w.get("bias") if spec.get("bias", False) else None, **geometry(spec))
    return epilogue(z, spec, w)
