#!/usr/bin/env bash
# The main job on a built-in example: install, build, emit a DO-Conv layer (BN +
# SiLU folded) for every shipped target, run it on this machine, check it against
# PyTorch, and time it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build -G Ninja
cmake --build build -j "$(nproc)"

layer=examples/layer_app/layer.json
demo=build/demo
rm -rf "$demo"
mkdir -p "$demo"
echo "== weights and input for $layer (random, from the PyTorch reference) =="
/usr/bin/python3 reference/make_golden.py "$demo" --spec "$layer" 1,56,56

echo "== convforge emit =="
build/convforge emit --spec "$layer" --target x86-64-linux,arm-64-linux,x86-64-linux-cuda --out "$demo/emitted"

echo "== convforge run =="
build/convforge run --spec "$layer" --weights "$demo/weights.safetensors" --input "$demo/input.npy" \
    --output "$demo/output.npy" --threads 2
/usr/bin/python3 - "$demo/output.npy" "$demo/expected.npy" <<'PY'
import sys, numpy as np
got, ref = np.load(sys.argv[1]), np.load(sys.argv[2])
err = np.abs(got - ref).max()
ok = got.shape == ref.shape and np.all(np.abs(got - ref) <= 1e-4 + 1e-4 * np.abs(ref))
print(f"output {got.shape}, max |convforge - PyTorch| = {err:.2e}: {'OK' if ok else 'MISMATCH'}")
sys.exit(0 if ok else 1)
PY

echo "== convforge bench =="
build/convforge bench --spec "$layer" --weights "$demo/weights.safetensors" --batch 1 --height 56 --width 56 --threads 2 --json
