"""Writes golden cases for the tests: per case a spec, random weights (safetensors),
an input and the PyTorch reference output (NPY). The cases are those of every
registered variant's table (tests/cases/<variant>.json, which the C++ tests read
too); the weights are random values for the keys `convforge keys` names.
Usage: make_golden.py OUT_DIR [--convforge BIN]                      the test suite's cases
       make_golden.py OUT_DIR --spec S.json N,H,W [--convforge BIN]  one case for the layer S
BIN defaults to build/convforge."""
import json
import os
import struct
import subprocess
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


def expected_keys(convforge, spec):
    """The layer's state_dict entries, as convforge itself lists them."""
    path = os.path.join(os.environ.get("TMPDIR", "/tmp"), "convforge_golden_spec_%d.json" % os.getpid())
    with open(path, "w") as f:
        json.dump(spec, f)
    try:
        out = subprocess.run([convforge, "keys", "--spec", path, "--json"], check=True, capture_output=True, text=True)
    finally:
        os.unlink(path)
    return json.loads(out.stdout)


def random_weights(keys, gen, with_optional, form=None):
    """Every parameter random, none at its trivial init (BN included), in the
    weight form named `form` (None: the first form listed, the default)."""
    w = {}
    form = keys[0]["form"] if form is None else form
    if not any(e["form"] == form for e in keys):
        raise ValueError("no weight form %r among %s" % (form, sorted({e["form"] for e in keys})))
    for e in keys:
        if e["form"] != form or (e["optional"] and not with_optional):
            continue
        if e["dtype"] == "I8":  # quantized levels, inside the key's range where it has one
            lo, hi = e.get("range", [-127, 127])
            w[e["key"]] = torch.randint(lo, hi + 1, e["shape"], generator=gen, dtype=torch.int8)
            continue
        assert e["dtype"] == "F32", e
        r = torch.rand(*e["shape"], generator=gen) - 0.5
        if e["key"].endswith("running_var"):
            r = r + 1.0
        elif e["key"] == "bn.weight":
            r = r + 1.0
        w[e["key"]] = r
    if "bn.weight" in w:
        w["bn.num_batches_tracked"] = torch.tensor(7, dtype=torch.int64)  # exported by PyTorch, ignored
    return w


def cases():
    """Every case of every registered variant: (name, spec, NCHW input shape, with
    optional keys, weight form or None for the default)."""
    out = []
    for variant in torch_reference.registered_variants():
        with open(os.path.join(torch_reference.ROOT, "tests", "cases", variant + ".json")) as f:
            for c in json.load(f)["cases"]:
                out.append((c["name"], c["spec"], tuple(c["input"]), c.get("optional_weights", False),
                            c.get("weight_form")))
    return out


def write_case(d, spec, shape, gen, convforge, with_optional=False, form=None):
    os.makedirs(d, exist_ok=True)
    w = random_weights(expected_keys(convforge, spec), gen, with_optional, form)
    # Inputs carry a per-channel offset so channel mix-ups show, larger in each
    # image than in the one before, so that input-dependent paths (GAP, routing)
    # differ between the images of a batch.
    offset = torch.linspace(-1, 1, shape[1]).reshape(1, -1, 1, 1) * (1 + 0.5 * torch.arange(shape[0])).reshape(-1, 1, 1, 1)
    x = torch.rand(*shape, generator=gen) * 2 - 1 + offset
    with torch.no_grad():
        y = torch_reference.forward(spec, w, x)
    with open(os.path.join(d, "spec.json"), "w") as f:
        json.dump(spec, f)
    save_safetensors(os.path.join(d, "weights.safetensors"), w)
    np.save(os.path.join(d, "input.npy"), x.numpy().astype(np.float32))
    np.save(os.path.join(d, "expected.npy"), y.numpy().astype(np.float32))


def main():
    args = sys.argv[1:]
    convforge = os.path.join(torch_reference.ROOT, "build", "convforge")
    if "--convforge" in args:
        i = args.index("--convforge")
        convforge = args[i + 1]
        del args[i:i + 2]
    out_dir = args[0]
    gen = torch.Generator().manual_seed(20261123)
    if len(args) == 4 and args[1] == "--spec":
        with open(args[2]) as f:
            spec = json.load(f)
        n, h, w = (int(v) for v in args[3].split(","))
        write_case(out_dir, spec, (n, spec["in_channels"], h, w), gen, convforge)
        return
    os.makedirs(out_dir, exist_ok=True)
    names = []
    for name, spec, shape, with_optional, form in cases():
        write_case(os.path.join(out_dir, name), spec, shape, gen, convforge, with_optional, form)
        names.append(name)
    with open(os.path.join(out_dir, "cases.txt"), "w") as f:
        f.write("\n".join(names) + "\n")


if __name__ == "__main__":
    main()
