"""PyTorch reference for convforge's variants (eval mode), written from the
variant semantics convforge documents: one module per variant
(reference/variants/<name>.py, each with forward(spec, weights, x)) and the
pieces they share. Used only to make golden test data."""
import importlib
import os
import re
import sys

import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "reference"))


def registered_variants():
    """The names in runtime/src/variants/registry.def, in its order."""
    with open(os.path.join(ROOT, "runtime", "src", "variants", "registry.def")) as f:
        return re.findall(r"^CONVFORGE_VARIANT\(\s*([a-z0-9_]+)\s*\)", f.read(), re.M)


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


def forward(spec, w, x):
    if spec["variant"] not in registered_variants():
        raise ValueError("no reference for variant " + spec["variant"])
    return importlib.import_module("variants." + spec["variant"]).forward(spec, w, x)
