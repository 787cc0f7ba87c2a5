#!/usr/bin/env bash
# End-to-end checks of the `convforge` driver: a good run matches PyTorch, and every
# bad input exits non-zero with a message naming the problem and leaves no output.
# Usage: cli_test.sh CONVFORGE_BINARY GOLDEN_DIR
. "$(dirname "$0")/cli_common.sh" "$@"
case_dir="$golden/conv_dense_wide"

check_fails() {  # name, expected stderr fragment, output path, command...
    local name="$1" fragment="$2" out="$3"
    shift 3
    if "$@" 2>"$work/stderr" >/dev/null; then
        fail "$name: exit status 0"; return
    fi
    if ! grep -qF -- "$fragment" "$work/stderr"; then
        fail "$name: stderr lacks '$fragment':"; cat "$work/stderr"; return
    fi
    if [ "$(grep -vc 'convforge: warning:' "$work/stderr")" -gt 2 ]; then
        fail "$name: more than a short message on stderr:"; cat "$work/stderr"; return
    fi
    if [ -e "$out" ] || ls "$(dirname "$out")" 2>/dev/null | grep -q tmp-convforge; then
        fail "$name: left an output file behind"; return
    fi
    echo "ok   $name"
}

run() { "$cf" run --spec "$1" --weights "$2" --input "$3" --output "$4" --threads 2; }

# A good run writes the PyTorch reference's output.
if run "$case_dir/spec.json" "$case_dir/weights.safetensors" "$case_dir/input.npy" "$work/y.npy" &&
   matches_reference "$work/y.npy" "$case_dir/expected.npy"; then
    echo "ok   good run matches PyTorch"
else
    fail "good run"
fi
rm -f "$work/y.npy"

# bench --json: one JSON object with the timing fields.
if "$cf" bench --spec "$case_dir/spec.json" --batch 2 --height 9 --width 11 --threads 1 --repeats 3 --json >"$work/bench.json" &&
   /usr/bin/python3 - "$work/bench.json" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().strip().splitlines()
obj = json.loads(lines[0])
ok = len(lines) == 1 and all(obj[k] > 0 for k in ("median_ms", "min_ms", "gflops")) and obj["min_ms"] <= obj["median_ms"]
sys.exit(0 if ok else 1)
PY
then echo "ok   bench --json"; else fail "bench --json"; cat "$work/bench.json"; fi

# bench --against: the kernels of two databases timed in one run; the second
# (no records) takes the fallback knobs, and each row states its record.
echo '{"records": []}' >"$work/no_records.json"
if "$cf" bench --spec "$case_dir/spec.json" --batch 2 --height 9 --width 11 --threads 1 --repeats 3 --json \
       --against "$work/no_records.json" >"$work/against.json" &&
   /usr/bin/python3 - "$work/against.json" "$work/no_records.json" <<'PY'
import json, sys
obj = json.loads(open(sys.argv[1]).read())
rows = obj["databases"]
ok = (len(rows) == 2 and rows[1]["db"] == sys.argv[2] and rows[0]["ratio_to_db"] == 1.0 and
      all(r["median_ms"] > 0 for r in rows) and rows[1]["schedule"].startswith("fallback knobs") and
      abs(rows[1]["ratio_to_db"] - rows[1]["median_ms"] / rows[0]["median_ms"]) < 1e-9 and obj["rounds"] == 3)
sys.exit(0 if ok else 1)
PY
then echo "ok   bench --against"; else fail "bench --against"; cat "$work/against.json"; fi
if "$cf" bench --spec "$case_dir/spec.json" --batch 1 --height 9 --width 11 --builtin \
       --against "$work/no_records.json" >/dev/null 2>"$work/stderr" || ! grep -q "cannot be combined with --builtin" "$work/stderr"
then fail "bench --against with --builtin"; cat "$work/stderr"; else echo "ok   bench --against refuses --builtin"; fi

# bench --target: another sub-target of the x86-64 library than this CPU's best
# (every x86-64 CPU runs the SSE4.1 baseline); a string that is none of them, or
# one this CPU lacks a feature of, is refused with the reason.
if [ "$(uname -m)" = x86_64 ]; then
    if "$cf" bench --spec "$case_dir/spec.json" --batch 1 --height 9 --width 11 --threads 1 --repeats 2 \
           --target x86-64-linux-sse41 >"$work/bench_target.txt" && grep -q "emitted for x86-64-linux-sse41," "$work/bench_target.txt"
    then echo "ok   bench --target"; else fail "bench --target"; cat "$work/bench_target.txt"; fi
    check_fails "bench --target outside the library" \
        "not a sub-target of the x86-64 library for this kernel (known: x86-64-linux-avx-avx2-avx512" "$work/none" \
        "$cf" bench --spec "$case_dir/spec.json" --batch 1 --height 9 --width 11 --target x86-64-linux-avx2
    check_fails "bench --target with --builtin" "the built-in kernels have their own" "$work/none" \
        "$cf" bench --spec "$case_dir/spec.json" --batch 1 --height 9 --width 11 --builtin --target x86-64-linux-sse41
    if ! grep -qw avx512f /proc/cpuinfo; then
        check_fails "bench --target this CPU cannot run" "needs avx512, which this CPU lacks" "$work/none" \
            "$cf" bench --spec "$case_dir/spec.json" --batch 1 --height 9 --width 11 \
            --target x86-64-linux-avx-avx2-avx512-avx512_skylake-f16c-fma-sse41
    fi
    # --target names a target as emit's does: the x86-64 library stands for the
    # sub-target this CPU picks from it (the default), the same as bench without it.
    if "$cf" bench --spec "$case_dir/spec.json" --batch 1 --height 9 --width 11 --threads 1 --repeats 2 --json \
           >"$work/bench_default.json" &&
       "$cf" bench --spec "$case_dir/spec.json" --batch 1 --height 9 --width 11 --threads 1 --repeats 2 --json \
           --target x86-64-linux >"$work/bench_library.json" &&
       /usr/bin/python3 -c 'import json,sys; a,b=(json.load(open(p))["kernel"] for p in sys.argv[1:]); sys.exit(a != b)' \
           "$work/bench_default.json" "$work/bench_library.json"
    then echo "ok   bench --target x86-64-linux: this CPU's sub-target"; else fail "bench --target x86-64-linux"; fi
fi
check_fails "bench --target unknown, in emit's words" \
    "unknown target 'riscv-99' (known: x86-64-linux, arm-64-linux, x86-64-linux-cuda, host, or a Halide target string)" \
    "$work/none" "$cf" bench --spec "$case_dir/spec.json" --batch 1 --height 9 --width 11 --target riscv-99
check_fails "bench --target of two targets" "names 2 targets; a kernel is compiled and run here for one" "$work/none" \
    "$cf" bench --spec "$case_dir/spec.json" --batch 1 --height 9 --width 11 --target x86-64-linux,arm-64-linux

# list: variants, targets and the schedule records.
if "$cf" list >"$work/list.txt" && grep -q "^  doconv: DO-Conv" "$work/list.txt" && grep -q "^  x86-64-linux-cuda:" "$work/list.txt" &&
   grep -q "x86-64-avx2 conv dense: channel_vectors=" "$work/list.txt"; then
    echo "ok   list"
else
    fail "list"; cat "$work/list.txt"
fi

# Weights with a key removed (rewritten by the reference's own writer).
/usr/bin/python3 - "$case_dir/weights.safetensors" "$work" <<'PY'
import json, struct, sys
src, work = sys.argv[1], sys.argv[2]
raw = open(src, "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
header = json.loads(raw[8:8 + n])
data = raw[8 + n:]
def write(path, hdr, payload):
    text = json.dumps(hdr).encode()
    open(path, "wb").write(struct.pack("<Q", len(text)) + text + payload)
missing = dict(header); missing.pop("bias")
write(work + "/missing.safetensors", missing, data)
extra = dict(header); extra["weight_gamma"] = dict(header["bias"])
write(work + "/extra.safetensors", extra, data)
PY
check_fails "missing key" "missing key 'bias'" "$work/y.npy" \
    run "$case_dir/spec.json" "$work/missing.safetensors" "$case_dir/input.npy" "$work/y.npy"
check_fails "extra key" "weight_gamma" "$work/y.npy" \
    run "$case_dir/spec.json" "$work/extra.safetensors" "$case_dir/input.npy" "$work/y.npy"

head -c 100 "$case_dir/weights.safetensors" >"$work/truncated.safetensors"
check_fails "truncated weights" "truncated.safetensors" "$work/y.npy" \
    run "$case_dir/spec.json" "$work/truncated.safetensors" "$case_dir/input.npy" "$work/y.npy"

head -c 200 "$case_dir/input.npy" >"$work/truncated.npy"
check_fails "truncated input" "truncated" "$work/y.npy" \
    run "$case_dir/spec.json" "$case_dir/weights.safetensors" "$work/truncated.npy" "$work/y.npy"

check_fails "output directory missing" "does not exist" "$work/nodir/y.npy" \
    run "$case_dir/spec.json" "$case_dir/weights.safetensors" "$case_dir/input.npy" "$work/nodir/y.npy"

other="$golden/conv_k3_s1_d1_g1"
check_fails "input channels differ" "in_channels" "$work/y.npy" \
    run "$case_dir/spec.json" "$case_dir/weights.safetensors" "$other/input.npy" "$work/y.npy"

printf '{"variant": "conv", "in_channels": 16, "out_channels": 72, "kernel_size": 3, "bias": true, "bias": false}' >"$work/dup.json"
check_fails "duplicate spec field" "duplicate field 'bias'" "$work/y.npy" \
    run "$work/dup.json" "$case_dir/weights.safetensors" "$case_dir/input.npy" "$work/y.npy"

check_fails "missing spec file" "nope.json" "$work/y.npy" \
    run "$work/nope.json" "$case_dir/weights.safetensors" "$case_dir/input.npy" "$work/y.npy"

check_fails "emit with a bad spec" "duplicate field" "$work/emitted" \
    "$cf" emit --spec "$work/dup.json" --target x86-64-linux --out "$work/emitted"

check_fails "unknown target" "unknown target 'riscv-99'" "$work/emitted/riscv-99" \
    "$cf" emit --spec "$case_dir/spec.json" --target riscv-99 --out "$work/emitted"

check_fails "emit name not a C identifier" "not a C identifier" "$work/emitted/host/my-layer.a" \
    "$cf" emit --spec "$case_dir/spec.json" --target host --out "$work/emitted" --name my-layer

check_fails "a good target then a bad one" "unknown target 'riscv-99'" "$work/emitted/x86-64-linux" \
    "$cf" emit --spec "$case_dir/spec.json" --target x86-64-linux,riscv-99 --out "$work/emitted"

# Schedule database: a bad knob and a missing file are errors; a missing record
# falls back to the target defaults with a one-line warning.
printf '{"records": [{"target": "x86-64-avx2", "variant": "conv", "shape_class": "dense", "knobs": {"tile_q": 3}}]}' >"$work/bad_db.json"
check_fails "unknown knob in schedule database" "record x86-64-avx2/conv/dense: unknown knob 'tile_q'" "$work/emitted/x86-64-linux/layer.a" \
    "$cf" emit --spec "$case_dir/spec.json" --target x86-64-linux --out "$work/emitted" --name layer --db "$work/bad_db.json"
printf '{"records": [{"target": "x86-64-avx2", "variant": "conv", "shape_class": "dense", "knobs": {"tile_x": 9}}]}' >"$work/bad_db.json"
check_fails "knob outside its declared space" "knob 'tile_x' is 9, not one of its declared values" \
    "$work/emitted/x86-64-linux/layer.a" \
    "$cf" emit --spec "$case_dir/spec.json" --target x86-64-linux --out "$work/emitted" --name layer --db "$work/bad_db.json"
printf '{"records": [{"target": "x86-64-avx2", "variant": "conv", "shape_class": "dense", "knobs": {"channel_vectors": 4, "tile_x": 4}}]}' >"$work/bad_db.json"
check_fails "knobs breaking a register rule" "vector registers" "$work/emitted/x86-64-linux/layer.a" \
    "$cf" emit --spec "$case_dir/spec.json" --target x86-64-linux --out "$work/emitted" --name layer --db "$work/bad_db.json"
check_fails "list of a database outside the declared spaces" "record x86-64-avx2/conv/dense" "$work/no_output" \
    "$cf" list --db "$work/bad_db.json"
check_fails "missing schedule database" "nope_db.json" "$work/emitted/x86-64-linux/layer.a" \
    "$cf" emit --spec "$case_dir/spec.json" --target x86-64-linux --out "$work/emitted" --name layer --db "$work/nope_db.json"
printf '{"records": []}' >"$work/empty_db.json"
if "$cf" emit --spec "$case_dir/spec.json" --target arm-64-linux --out "$work/emitted" --name layer \
        --db "$work/empty_db.json" >"$work/stdout" 2>&1 &&
   [ "$(grep -c 'warning: no schedule record for arm-64/conv/dense; using target defaults' "$work/stdout")" = 1 ] &&
   [ -s "$work/emitted/arm-64-linux/layer.a" ] && [ -s "$work/emitted/arm-64-linux/layer.h" ] &&
   [ -s "$work/emitted/arm-64-linux/convforge_halide_runtime.a" ]; then
    echo "ok   missing record: defaults with one warning"
else
    fail "missing record"; cat "$work/stdout"
fi
# An OpenCL target takes the GPU schedule family (its own records, key "opencl"):
# the conv is emitted as OpenCL C work-groups, not as the x86 CPU schedule.
if "$cf" emit --spec "$case_dir/spec.json" --target x86-64-linux-opencl --out "$work/emitted" --name layer \
        --db "$work/empty_db.json" >"$work/stdout" 2>&1 &&
   grep -q 'no schedule record for opencl/conv/' "$work/stdout" &&
   strings "$work/emitted/x86-64-linux-opencl/layer.a" | grep -q 'get_group_id'; then
    echo "ok   an OpenCL target gets the GPU schedule"
else
    fail "an OpenCL target gets the GPU schedule"; cat "$work/stdout"
fi

# A variant through the driver: a run of golden case $2 matches PyTorch, and emit
# and bench ($3 x $4 input) take its spec.
through_driver() {  # variant, golden case, height, width
    local case="$golden/$2"
    if run "$case/spec.json" "$case/weights.safetensors" "$case/input.npy" "$work/y.npy" &&
       matches_reference "$work/y.npy" "$case/expected.npy"; then
        echo "ok   $1 run matches PyTorch"
    else
        fail "$1 run"
    fi
    rm -f "$work/y.npy"
    if "$cf" emit --spec "$case/spec.json" --target host --out "$work/$1_emitted" --name "$1_layer" >/dev/null 2>&1 &&
       [ -s "$work/$1_emitted/host/$1_layer.a" ] && [ -s "$work/$1_emitted/host/$1_layer.h" ] &&
       "$cf" bench --spec "$case/spec.json" --batch 1 --height "$3" --width "$4" --threads 1 --repeats 2 --builtin >/dev/null; then
        echo "ok   $1 emit and bench"
    else
        fail "$1 emit and bench"
    fi
}

# SAConv and SPConv through the driver; their own rules are errors that leave nothing behind.
through_driver saconv saconv_k3 9 11
sac="$golden/saconv_k3"
printf '{"variant": "saconv", "in_channels": 6, "out_channels": 10, "kernel_size": 4, "padding": 1}' >"$work/sac_even.json"
check_fails "saconv even kernel" "odd kernel_size" "$work/emitted/host/sac.a" \
    "$cf" emit --spec "$work/sac_even.json" --target host --out "$work/emitted" --name sac
printf '{"variant": "saconv", "in_channels": 6, "out_channels": 10, "kernel_size": 3, "dilation": 2, "padding": 1}' >"$work/sac_pad.json"
check_fails "saconv padding" "padding = dilation * (kernel_size - 1) / 2 = 2" "$work/y.npy" \
    run "$work/sac_pad.json" "$sac/weights.safetensors" "$sac/input.npy" "$work/y.npy"
"$py" -c "import numpy as np; np.save('$work/small.npy', np.zeros((1, 6, 2, 9), np.float32))"
check_fails "saconv input below 3 rows" "height and width >= 3" "$work/y.npy" \
    run "$sac/spec.json" "$sac/weights.safetensors" "$work/small.npy" "$work/y.npy"

through_driver spconv spconv_r05_g2_s2 8 10
spc="$golden/spconv_r05_g2_s2"
printf '{"variant": "spconv", "in_channels": 8, "out_channels": 12, "kernel_size": 3, "bias": true}' >"$work/spc_bias.json"
check_fails "spconv bias" "bias false" "$work/emitted/host/spc.a" \
    "$cf" emit --spec "$work/spc_bias.json" --target host --out "$work/emitted" --name spc
"$py" -c "import numpy as np; np.save('$work/odd.npy', np.zeros((1, 8, 7, 10), np.float32))"
check_fails "spconv stride 2 odd input" "even height and width" "$work/y.npy" \
    run "$spc/spec.json" "$spc/weights.safetensors" "$work/odd.npy" "$work/y.npy"

# CondConv and ODConv through the driver (batches of 3: every image its own
# kernel); their own rules are errors that leave nothing behind.
through_driver condconv condconv_e4_g2 9 11
printf '{"variant": "condconv", "in_channels": 8, "out_channels": 12, "kernel_size": 3, "num_experts": 0}' >"$work/cc_experts.json"
check_fails "condconv no experts" "num_experts must be in [1, 256]" "$work/emitted/host/cc.a" \
    "$cf" emit --spec "$work/cc_experts.json" --target host --out "$work/emitted" --name cc
through_driver odconv odconv_n4_s2 9 11
odc="$golden/odconv_n4_s2"
printf '{"variant": "odconv", "in_channels": 8, "out_channels": 16, "kernel_size": 3, "stride": 2, "temperature": 0}' >"$work/od_t0.json"
check_fails "odconv temperature 0" "temperature must be positive" "$work/y.npy" \
    run "$work/od_t0.json" "$odc/weights.safetensors" "$odc/input.npy" "$work/y.npy"

# DSConv through the driver, in both weight forms and both modes; a level outside
# its bits and an integer-mode block too large are errors that leave nothing behind.
through_driver dsconv dsconv_b8_quantized_ragged 9 11
through_driver dsconv dsconv_b8_float_s2_kds_cds 9 11
dsc="$golden/dsconv_b8_quantized_ragged"
sed 's/"bits": 8/"bits": 2/' "$dsc/spec.json" >"$work/ds_b2.json"
check_fails "dsconv levels outside 2 bits" "outside [-2, 1]" "$work/y.npy" \
    run "$work/ds_b2.json" "$dsc/weights.safetensors" "$dsc/input.npy" "$work/y.npy"
through_driver dsconv_int dsconv_int_b3_float_g2_s2_cds 9 11
sed 's/"activation_bits": 0/"activation_bits": 8, "block_size": 2048/' "$dsc/spec.json" >"$work/ds_int.json"
check_fails "dsconv integer mode block" "at most 1024 in integer mode" "$work/emitted/host/ds.a" \
    "$cf" emit --spec "$work/ds_int.json" --target host --out "$work/emitted" --name ds

finish CLI
