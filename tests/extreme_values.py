"""Large finite values against PyTorch: every finite input that PyTorch computes
finitely must give PyTorch's answer. Each recipe puts values far past where a
textbook sigmoid, silu or softmax (or a fast exp of a large argument) breaks
into a layer's input or weights, runs `convforge run`, and compares the output
with the PyTorch reference (reference/variants/) at the tolerance of
VARIANTS.md: |got - ref| <= 1e-4 + 1e-4 |ref|.
Usage: extreme_values.py CONVFORGE_BINARY"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "reference"))
import make_golden  # noqa: E402
import torch_reference  # noqa: E402

convforge = sys.argv[1]
gen = torch.Generator().manual_seed(32)
passed, failed = 0, 0


def case(name, variant):
    """The first case of the variant's table: its spec and input shape."""
    with open(os.path.join(ROOT, "tests", "cases", variant + ".json")) as f:
        c = json.load(f)["cases"][0]
    return dict(c["spec"]), list(c["input"])


def check(name, spec, shape, change_weights=None, change_input=None):
    global passed, failed
    with tempfile.TemporaryDirectory() as d:
        w = make_golden.random_weights(make_golden.expected_keys(convforge, spec), gen, False)
        x = torch.rand(*shape, generator=gen) * 2 - 1
        if change_weights:
            change_weights(w)
        if change_input:
            change_input(x)
        with torch.no_grad():
            ref = torch_reference.forward(spec, w, x).numpy()
        for path, text in (("spec.json", json.dumps(spec)),):
            with open(os.path.join(d, path), "w") as f:
                f.write(text)
        make_golden.save_safetensors(os.path.join(d, "w.safetensors"), w)
        np.save(os.path.join(d, "x.npy"), x.numpy().astype(np.float32))
        run = subprocess.run([convforge, "run", "--spec", os.path.join(d, "spec.json"), "--weights",
                              os.path.join(d, "w.safetensors"), "--input", os.path.join(d, "x.npy"),
                              "--output", os.path.join(d, "y.npy"), "--threads", "1"], capture_output=True, text=True)
        if run.returncode != 0:
            print("FAIL %s: convforge run exited %d: %s" % (name, run.returncode, run.stderr.strip()))
            failed += 1
            return
        got = np.load(os.path.join(d, "y.npy"))
    if not np.all(np.isfinite(ref)):
        print("FAIL %s: the recipe is broken, PyTorch's output is not finite" % name)
        failed += 1
        return
    err = np.abs(got.astype(np.float64) - ref)
    bad = ~(err <= 1e-4 + 1e-4 * np.abs(ref))
    if got.shape != ref.shape or bad.any():
        i = np.argmax(np.where(bad, err, -1)) if got.shape == ref.shape else 0
        print("FAIL %s: element %d is %r, PyTorch %r (%d of %d elements off)" %
              (name, i, got.flat[i], ref.flat[i], bad.sum(), bad.size))
        failed += 1
        return
    print("ok   %s" % name)
    passed += 1


# silu of inputs from -3e9 to 3e9 (a fast exp of -v wraps below about -1.49e9):
# a 1x1 conv whose kernel is the identity passes the values through unmixed.
extremes = torch.tensor([-3e9, -1.6e9, -1.4e9, -1e6, -104.0, -89.0, -88.0, -20.0, -1.0, 0.0, 1.0, 20.0, 89.0, 1e6,
                         1.6e9, 3e9])


def identity_kernel(w):
    w["weight"] = torch.eye(4).reshape(4, 4, 1, 1)


def spread_extremes(x):
    x.view(-1)[: x.numel()] = extremes.repeat(x.numel() // extremes.numel() + 1)[: x.numel()]


for act in ("silu", "relu", "identity"):
    spec = {"variant": "conv", "in_channels": 4, "out_channels": 4, "kernel_size": 1, "bias": True,
            "epilogue": {"batchnorm": False, "activation": act}}
    check("conv %s of inputs from -3e9 to 3e9" % act, spec, [2, 4, 4, 8], identity_kernel, spread_extremes)

# CondConv: routing logits of -3e9 (sigmoid 0: the expert drops out), 3e9 and -1.6e9.
spec, shape = case("condconv", "condconv")
spec["epilogue"] = {"batchnorm": True, "activation": "silu"}


def routing_extremes(w):
    w["routing_fn.bias"][:3] = torch.tensor([-3e9, 3e9, -1.6e9])


check("condconv routing biases -3e9, 3e9, -1.6e9", spec, shape, routing_extremes)

# ODConv: attention head biases of -3e9 and 3e9, and temperatures down to 1e-20
# (logits of 1e9 and more, in the sigmoids and the softmax over experts).
spec, shape = case("odconv", "odconv")


def head_extremes(w):
    for head in ("channel_fc", "filter_fc", "spatial_fc", "kernel_fc"):
        w["attention.%s.bias" % head][:2] = torch.tensor([-3e9, 3e9])


check("odconv head biases -3e9 and 3e9", spec, shape, head_extremes)
for t in (1e-9, 1e-10, 1e-20):
    check("odconv temperature %g" % t, dict(spec, temperature=t), shape)

# Past float32's range, the folded heads (each weight over T) would overflow:
# refused with a message (PyTorch's own softmax gives NaN there).
with tempfile.TemporaryDirectory() as d:
    tiny = dict(spec, temperature=1e-40)
    with open(os.path.join(d, "spec.json"), "w") as f:
        json.dump(tiny, f)
    w = make_golden.random_weights(make_golden.expected_keys(convforge, tiny), gen, False)
    make_golden.save_safetensors(os.path.join(d, "w.safetensors"), w)
    np.save(os.path.join(d, "x.npy"), np.ones(shape, np.float32))
    run = subprocess.run([convforge, "run", "--spec", os.path.join(d, "spec.json"), "--weights",
                          os.path.join(d, "w.safetensors"), "--input", os.path.join(d, "x.npy"),
                          "--output", os.path.join(d, "y.npy")], capture_output=True, text=True)
    if run.returncode == 1 and "temperature 1e-40 is too small" in run.stderr and not os.path.exists(
            os.path.join(d, "y.npy")):
        print("ok   odconv temperature 1e-40 refused")
        passed += 1
    else:
        print("FAIL odconv temperature 1e-40: exit %d, stderr %r" % (run.returncode, run.stderr[:300]))
        failed += 1

# SPConv: branch means 2e9 apart (the BatchNorm shifts of the two branches), in
# both directions: the softmax of the two is one-hot.
spec, shape = case("spconv", "spconv")


def branches_apart(sign):
    def change(w):
        w["bn1.bias"][:] = sign * 1e9
        w["bn2.bias"][:] = -sign * 1e9
    return change


check("spconv branch means 2e9 apart", spec, shape, branches_apart(1))
check("spconv branch means -2e9 apart", spec, shape, branches_apart(-1))

print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
