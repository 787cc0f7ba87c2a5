#!/usr/bin/env bash
# The driver against hostile input, as a user's shell would meet it: overflowing
# shapes, huge and deep headers, planted links, non-regular outputs, concurrent
# writers of one path, and `emit` over earlier output. Every failure must be one
# short message, an exit status below 128 (no crash) and no file left behind.
# Usage: cli_hardening.sh CONVFORGE_BINARY GOLDEN_DIR
. "$(dirname "$0")/cli_common.sh" "$@"
case_dir="$golden/conv_dense_wide"
spec="$case_dir/spec.json" weights="$case_dir/weights.safetensors" input="$case_dir/input.npy"

expect_failure() {  # name, stderr fragment, command...
    local name="$1" fragment="$2"
    shift 2
    "$@" >/dev/null 2>"$work/stderr"
    local rc=$?
    if [ "$rc" -eq 0 ]; then fail "$name: exit status 0"; return 1; fi
    if [ "$rc" -ge 128 ]; then fail "$name: killed by a signal (exit $rc)"; cat "$work/stderr"; return 1; fi
    if ! grep -qF -- "$fragment" "$work/stderr"; then fail "$name: stderr lacks '$fragment':"; head -c 600 "$work/stderr"; echo; return 1; fi
    grep -v '^convforge: warning:' "$work/stderr" >"$work/errors"
    if [ "$(wc -c <"$work/errors")" -gt 600 ] || [ "$(wc -l <"$work/errors")" -gt 2 ]; then
        fail "$name: more than a short message on stderr ($(wc -c <"$work/errors") bytes)"; return 1
    fi
    echo "ok   $name"
}

no_stray_files() {  # directory, name: only the listed entries remain
    local dir="$1" name="$2"
    shift 2
    local left
    left=$(ls -A "$dir" | sort | tr '\n' ' ')
    if [ "$left" != "$* " ] && [ "$left" != "$*" ]; then fail "$name: '$dir' holds '$left', expected '$*'"; return 1; fi
}

run() { "$cf" run --spec "$1" --weights "$2" --input "$3" --output "$4" --threads 1; }

# --- shapes that overflow -------------------------------------------------------
"$py" - "$work" <<'PY'
import json, struct, sys, numpy as np
work = sys.argv[1]
def safetensors(path, tensors):
    header, blobs, off = {}, [], 0
    for name, a in tensors.items():
        raw = a.astype(np.float32).tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw); off += len(raw)
    text = json.dumps(header).encode()
    open(path, "wb").write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
json.dump({"variant": "conv", "in_channels": 1, "out_channels": 16, "kernel_size": 2, "padding": 536870912},
          open(work + "/pad.json", "w"))
safetensors(work + "/pad.safetensors", {"weight": np.random.rand(16, 1, 2, 2) - 0.5})
np.save(work + "/one.npy", np.ones((1, 1, 1, 1), np.float32))
json.dump({"variant": "conv", "in_channels": 1, "out_channels": 16, "kernel_size": 1 << 30}, open(work + "/k30.json", "w"))
PY
expect_failure "padding 2^29 on a 1x1 input" "output element count" run "$work/pad.json" "$work/pad.safetensors" "$work/one.npy" "$work/y.npy"
[ -e "$work/y.npy" ] && fail "padding recipe wrote an output"
expect_failure "bench with kernel_size 2^30" "weight 'weight'" "$cf" bench --spec "$work/k30.json" --batch 1 --height 1 --width 1
expect_failure "--threads -1" "not in range 0 to 1024" \
    "$cf" run --spec "$spec" --weights "$weights" --input "$input" --output "$work/y.npy" --threads -1

# --- readers ----------------------------------------------------------------------
"$py" - "$input" "$weights" "$spec" "$work" <<'PY'
import json, struct, sys
src, weights, spec, work = sys.argv[1:5]
raw = open(src, "rb").read()
n = raw[8] | (raw[9] << 8)
header, data = raw[10:10 + n].decode("latin1").rstrip("\n").rstrip(" "), raw[10 + n:]
def npy(path, header_text, payload):
    header_text += " " * ((64 - (10 + len(header_text) + 1) % 64) % 64) + "\n"
    open(path, "wb").write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header_text)) + header_text.encode("latin1") + payload)
npy(work + "/long_header.npy", header[:-1] + " " * 30000 + "}", data)           # legal: numpy allows 65535
npy(work + "/negative.npy", header.replace("(", "(-", 1), data)
npy(work + "/dup_descr.npy", header.replace("{", "{'descr': '<f8', ", 1), data)
s = json.load(open(spec))
open(work + "/deep.json", "w").write(json.dumps(s)[:-1] + ', "groups": ' + "[" * 100000 + "]" * 100000 + "}")
open(work + "/nul.json", "wb").write(json.dumps(s).encode() + b"\0{junk")
w = open(weights, "rb").read()
hn = struct.unpack("<Q", w[:8])[0]
h = json.loads(w[8:8 + hn])
h["k" * (1 << 20)] = dict(h["bias"])
text = json.dumps(h).encode()
open(work + "/long_key.safetensors", "wb").write(struct.pack("<Q", len(text)) + text + w[8 + hn:])
h = json.loads(w[8:8 + hn]); h["bias"]["shape"] = "[" * 100000 + "]" * 100000
text = json.dumps(h).replace('"' + "[" * 100000 + "]" * 100000 + '"', "[" * 100000 + "]" * 100000).encode()
open(work + "/deep.safetensors", "wb").write(struct.pack("<Q", len(text)) + text + w[8 + hn:])
PY
if run "$spec" "$weights" "$work/long_header.npy" "$work/y.npy" && matches_reference "$work/y.npy" "$case_dir/expected.npy"; then
    echo "ok   NPY header of 30,000 characters runs and matches PyTorch"
else
    fail "NPY header of 30,000 characters"
fi
rm -f "$work/y.npy"
expect_failure "negative NPY dimension" "negative dimension" run "$spec" "$weights" "$work/negative.npy" "$work/y.npy"
expect_failure "duplicate NPY descr" "repeats the key 'descr'" run "$spec" "$weights" "$work/dup_descr.npy" "$work/y.npy"
expect_failure "spec nested 100,000 deep" "nested deeper than" run "$work/deep.json" "$weights" "$input" "$work/y.npy"
expect_failure "spec followed by NUL and junk" "NUL byte" run "$work/nul.json" "$weights" "$input" "$work/y.npy"
expect_failure "safetensors shape nested 100,000 deep" "nested deeper than" run "$spec" "$work/deep.safetensors" "$input" "$work/y.npy"
expect_failure "1 MB key name, quoted as an excerpt" "kkkk'... (1048576 bytes)" run "$spec" "$work/long_key.safetensors" "$input" "$work/y.npy"
expect_failure "/dev/zero as weights" "not a regular file" run "$spec" /dev/zero "$input" "$work/y.npy"
expect_failure "/dev/zero as input" "not a regular file" run "$spec" "$weights" /dev/zero "$work/y.npy"
[ -e "$work/y.npy" ] && fail "a failing reader left an output"

# --- NaN and Inf in the input -----------------------------------------------------------
"$py" - "$input" "$work/nan.npy" <<'PY'
import sys, numpy as np
x = np.load(sys.argv[1]); x[0, 3, 2, 1] = np.nan; np.save(sys.argv[2], x)
PY
expect_failure "NaN in the input" "NaN at (0, 3, 2, 1)" run "$spec" "$weights" "$work/nan.npy" "$work/y.npy"
if "$cf" run --spec "$spec" --weights "$weights" --input "$work/nan.npy" --output "$work/y.npy" --allow-nonfinite; then
    echo "ok   --allow-nonfinite runs it"
else
    fail "--allow-nonfinite"
fi
rm -f "$work/y.npy"

# --- output files -----------------------------------------------------------------------
out="$work/out"
mkdir "$out"
echo precious >"$out/victim"
ln -s "$out/victim" "$out/y.npy.tmp-convforge"
if run "$spec" "$weights" "$input" "$out/y.npy" && [ "$(cat "$out/victim")" = precious ] && matches_reference "$out/y.npy" "$case_dir/expected.npy"; then
    echo "ok   a link planted at the old temporary name is not followed"
else
    fail "planted link at the temporary name"
fi
no_stray_files "$out" "planted link" victim y.npy y.npy.tmp-convforge
ln -s "$out/victim" "$out/link.npy"
expect_failure "output path is a link" "is a symbolic link" run "$spec" "$weights" "$input" "$out/link.npy"
[ "$(cat "$out/victim")" = precious ] || fail "the link's target was overwritten"
mkfifo "$out/pipe.npy"
expect_failure "output path is a pipe" "is a pipe" run "$spec" "$weights" "$input" "$out/pipe.npy"
[ -p "$out/pipe.npy" ] || fail "the pipe was replaced"
no_stray_files "$out" "refused outputs" link.npy pipe.npy victim y.npy y.npy.tmp-convforge

# Eight writers of one path, five times over: every run succeeds, the file is whole.
rm -f "$out/y.npy"
concurrent_ok=1
for round in 1 2 3 4 5; do
    pids=()
    for i in 1 2 3 4 5 6 7 8; do
        run "$spec" "$weights" "$input" "$out/y.npy" 2>"$work/concurrent_$i.err" &
        pids+=($!)
    done
    for i in "${!pids[@]}"; do
        if ! wait "${pids[$i]}"; then concurrent_ok=0; echo "round $round writer $((i + 1)):"; cat "$work/concurrent_$((i + 1)).err"; fi
    done
    matches_reference "$out/y.npy" "$case_dir/expected.npy" || { concurrent_ok=0; echo "round $round: output incomplete"; }
done
if [ "$concurrent_ok" = 1 ]; then echo "ok   8 concurrent runs into one path, 5 rounds"; else fail "concurrent runs"; fi
no_stray_files "$out" "concurrent runs" link.npy pipe.npy victim y.npy y.npy.tmp-convforge

# --- emit ---------------------------------------------------------------------------------
emit() { "$cf" emit --spec "$spec" --name layer "$@"; }
expect_failure "emit --target ','" "empty target name" emit --target "," --out "$work/e"
[ -e "$work/e" ] && fail "emit --target ',' created its --out"
if emit --target host --out "$work/e" >/dev/null 2>&1; then :; else fail "emit into a fresh directory"; fi
echo mine >"$work/e/host/notes.txt"
expect_failure "emit host,host" "lists 'host' twice" emit --target host,host --out "$work/e"
if [ -s "$work/e/host/layer.a" ] && [ "$(cat "$work/e/host/notes.txt")" = mine ]; then
    echo "ok   a refused emit keeps earlier output and the user's file"
else
    fail "a refused emit removed files"
fi
if emit --target host --out "$work/e" >/dev/null 2>&1 && [ "$(cat "$work/e/host/notes.txt")" = mine ]; then
    echo "ok   emit over earlier output replaces only its own files"
else
    fail "emit over earlier output"
fi
no_stray_files "$work/e" "emit staging" host
if emit --target host --out "$work/fresh/nested/" >/dev/null 2>&1 && [ -s "$work/fresh/nested/host/layer.a" ]; then
    echo "ok   emit into a missing --out given with a trailing slash"
else
    fail "emit into a missing --out with a trailing slash"
fi
no_stray_files "$work/e/host" "emit output" convforge_halide_runtime.a layer.a layer.h notes.txt
printf '{"records": [{"target": "x86-64-avx2", "variant": "conv", "shape_class": "dense", "knobs": {"tile_q": 3}}]}' >"$work/bad_db.json"
expect_failure "failing emit into a missing nested path" "tile_q" \
    emit --target x86-64-linux --out "$work/new/nested/dir" --db "$work/bad_db.json"
[ -e "$work/new" ] && fail "a failing emit left directories behind"

# --- layers whose kernels' own buffers break 2^31 bytes -------------------------------
# Input and output pass every check, but the padded copy (channels in whole vectors),
# an accumulator band or a Winograd input would not: refused before anything is
# allocated (under a 3 GB address-space limit, a 2 GB input could not be made).
"$py" - "$work" <<'PY'
import json, sys
work = sys.argv[1]
base = {"in_channels": 8, "out_channels": 8, "kernel_size": 3, "padding": 1}
for v, extra in [("conv", {}), ("doconv", {}), ("condconv", {"num_experts": 2}), ("odconv", {}),
                 ("spconv", {"groups": 2}), ("dsconv", {"bits": 4}), ("saconv", {})]:
    json.dump(dict(base, variant=v, **extra), open("%s/big_%s.json" % (work, v), "w"))
json.dump({"variant": "conv", "in_channels": 1, "out_channels": 1, "kernel_size": 3, "padding": 1},
          open(work + "/row3.json", "w"))
json.dump({"variant": "conv", "in_channels": 1, "out_channels": 1, "kernel_size": 1}, open(work + "/row1.json", "w"))
PY
# AddressSanitizer reserves terabytes of address space at start, so an ASan build
# cannot start under the limit: there the checks run without it.
if (ulimit -v 3000000; "$cf" --help) >/dev/null 2>&1; then
    limited() { (ulimit -v 3000000; "$@"); }
else
    limited() { "$@"; }
fi
for v in conv doconv condconv odconv spconv dsconv saconv; do
    expect_failure "$v 3970x8x128x128: padded copy" "a kernel buffer may hold" \
        limited "$cf" bench --spec "$work/big_$v.json" --batch 3970 --height 128 --width 128 --builtin --repeats 1
done
expect_failure "conv 3x3 on a 1x8.5M row: its kernel's buffers" "a kernel buffer may hold" \
    limited "$cf" bench --spec "$work/row3.json" --batch 1 --height 1 --width 8500000 --builtin --repeats 1
if "$cf" bench --spec "$work/row1.json" --batch 1 --height 1 --width 8500000 --builtin --repeats 1 >/dev/null 2>&1; then
    echo "ok   a 1x1 conv on a 1x8.5M row (the pointwise path: no working buffers) still runs"
else
    fail "a 1x1 conv on a 1x8.5M row was refused"
fi

# --- numbers that are not what they seem -----------------------------------------------
expect_failure "tune --budget nan" "is not a number of seconds" "$cf" tune --spec "$spec" --budget nan --db "$work/db.json"
expect_failure "tune --budget inf" "is not a number of seconds" "$cf" tune --spec "$spec" --budget inf --db "$work/db.json"
expect_failure "tune --compile-timeout nan" "is not a number of seconds" \
    "$cf" tune --spec "$spec" --compile-timeout nan --db "$work/db.json"
[ -e "$work/db.json" ] && fail "a refused tune wrote its database"
for estimate in 4294967297,1,1 1,1,4294967298 1,-1,1 1,1 1,1,1, +1,1,1 1,1,1x; do
    expect_failure "emit --estimate $estimate" "is not N,H,W" emit --target host --out "$work/est" --estimate "$estimate"
done
[ -e "$work/est" ] && fail "a refused --estimate created --out"

# A huge number in a message is printed short, never as its 309 digits.
short_message() {  # name, spec JSON: refused with one line of at most 200 bytes
    local name="$1"
    printf '%s' "$2" >"$work/number.json"
    expect_failure "$name" "error" "$cf" keys --spec "$work/number.json" || return
    local bytes
    bytes=$(wc -c <"$work/stderr")
    if [ "$bytes" -gt 200 ]; then fail "$name: a $bytes-byte message"; head -c 400 "$work/stderr"; echo; fi
}
short_message "odconv temperature -1e308" \
    '{"variant": "odconv", "in_channels": 8, "out_channels": 8, "kernel_size": 3, "padding": 1, "temperature": -1e308}'
short_message "spconv ratio 1e308" \
    '{"variant": "spconv", "in_channels": 8, "out_channels": 8, "kernel_size": 3, "padding": 1, "ratio": 1e308}'
short_message "odconv num_experts 1e308" \
    '{"variant": "odconv", "in_channels": 8, "out_channels": 8, "kernel_size": 3, "padding": 1, "num_experts": 1e308}'
short_message "dsconv bits 1e308" \
    '{"variant": "dsconv", "in_channels": 8, "out_channels": 8, "kernel_size": 3, "padding": 1, "bits": 1e308}'

finish hardening
