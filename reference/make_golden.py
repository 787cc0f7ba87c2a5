"""Writes golden cases for the tests: per case a spec, random weights (safetensors),
an input and the PyTorch reference output (NPY).
Usage: make_golden.py OUT_DIR                      the test suite's cases
       make_golden.py OUT_DIR --spec S.json N,H,W  one case for the layer S"""
import json
import os
import struct
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_reference  # noqa: E402


def save_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        a = t.detach().cpu().numpy()
        dtype = {np.float32: "F32", np.int8: "I8", np.int64: "I64"}[a.dtype.type]
        raw = np.ascontiguousarray(a).tobytes()
        header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def random_weights(spec, gen):
    """Every parameter random, none at its trivial init (BN included)."""
    C, O, k = spec["in_channels"], spec["out_channels"], spec["kernel_size"]
    g = spec.get("groups", 1)
    r = lambda *shape: (torch.rand(*shape, generator=gen) - 0.5)
    w = {}
    if spec["variant"] == "conv":
        w["weight"] = r(O, C // g, k, k)
    else:
        d_mul = spec.get("d_mul", k * k)
        w["W"] = r(O, C // g, d_mul)
        if k > 1:
            w["D"] = r(C, k * k, d_mul) * 0.5
    if spec.get("bias", False):
        w["bias"] = r(O)
    if spec.get("epilogue", {}).get("batchnorm", False):
        w["bn.weight"] = 1.0 + r(O)
        w["bn.bias"] = r(O)
        w["bn.running_mean"] = r(O) * 0.2
        w["bn.running_var"] = 0.5 + torch.rand(O, generator=gen)
        w["bn.num_batches_tracked"] = torch.tensor(7, dtype=torch.int64)
    return w


def cases():
    out = []
    acts = ["identity", "relu", "silu"]
    i = 0
    for variant in ["conv", "doconv"]:
        for k in [1, 3, 5]:
            for stride in [1, 2]:
                for dilation in ([1, 2] if k > 1 else [1]):
                    for groups in ["1", "2", "dw"]:
                        C, O = (6, 6) if groups == "dw" else (6, 10)
                        g = C if groups == "dw" else int(groups)
                        spec = {"variant": variant, "in_channels": C, "out_channels": O, "kernel_size": k,
                                "stride": stride, "dilation": dilation, "groups": g, "bias": i % 2 == 0,
                                "epilogue": {"batchnorm": i % 3 != 1, "activation": acts[i % 3]}}
                        if variant == "doconv" and k > 1 and i % 4 == 0:
                            spec["d_mul"] = k * k + 3  # d_diag zero-padded tail
                        batch = 3 if i % 2 else 1
                        out.append((f"{variant}_k{k}_s{stride}_d{dilation}_g{groups}", spec, (batch, C, 13, 17)))
                        i += 1
    # Big enough for the dense register-tile path (many channels, wide rows).
    out.append(("conv_dense_wide", {"variant": "conv", "in_channels": 16, "out_channels": 72, "kernel_size": 3,
                                    "bias": True, "epilogue": {"batchnorm": True, "activation": "relu"}},
                (2, 16, 19, 23)))
    out.append(("doconv_dense_wide", {"variant": "doconv", "in_channels": 12, "out_channels": 64,
                                      "kernel_size": 3, "stride": 2, "epilogue": {"activation": "silu"}},
                (1, 12, 21, 18)))
    # Wide groups (run as one one-group kernel call per group), DO-Conv's quirk included.
    out.append(("conv_wide_groups", {"variant": "conv", "in_channels": 32, "out_channels": 64, "kernel_size": 3,
                                     "groups": 2, "bias": True, "epilogue": {"batchnorm": True, "activation": "relu"}},
                (2, 32, 11, 13)))
    out.append(("doconv_wide_groups", {"variant": "doconv", "in_channels": 16, "out_channels": 48,
                                       "kernel_size": 3, "groups": 2, "stride": 2, "bias": True},
                (1, 16, 12, 15)))
    # The DO-Conv group quirk: groups > 1, not depthwise, so the raw reshape
    # pairs output channel o with D rows of another group's input channels.
    out.append(("doconv_group_quirk", {"variant": "doconv", "in_channels": 8, "out_channels": 12,
                                       "kernel_size": 3, "groups": 4, "bias": True},
                (2, 8, 9, 11)))
    return out


def write_case(d, spec, shape, gen):
    os.makedirs(d, exist_ok=True)
    w = random_weights(spec, gen)
    # Inputs carry a per-channel offset so channel mix-ups show.
    x = torch.rand(*shape, generator=gen) * 2 - 1 + torch.linspace(-1, 1, shape[1]).reshape(1, -1, 1, 1)
    with torch.no_grad():
        y = torch_reference.forward(spec, w, x)
    with open(os.path.join(d, "spec.json"), "w") as f:
        json.dump(spec, f)
    save_safetensors(os.path.join(d, "weights.safetensors"), w)
    np.save(os.path.join(d, "input.npy"), x.numpy().astype(np.float32))
    np.save(os.path.join(d, "expected.npy"), y.numpy().astype(np.float32))


def main():
    out_dir = sys.argv[1]
    gen = torch.Generator().manual_seed(20261123)
    if len(sys.argv) == 5 and sys.argv[2] == "--spec":
        with open(sys.argv[3]) as f:
            spec = json.load(f)
        n, h, w = (int(v) for v in sys.argv[4].split(","))
        write_case(out_dir, spec, (n, spec["in_channels"], h, w), gen)
        return
    os.makedirs(out_dir, exist_ok=True)
    names = []
    for name, spec, shape in cases():
        write_case(os.path.join(out_dir, name), spec, shape, gen)
        names.append(name)
    with open(os.path.join(out_dir, "cases.txt"), "w") as f:
        f.write("\n".join(names) + "\n")


if __name__ == "__main__":
    main()
