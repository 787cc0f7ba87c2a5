#!/usr/bin/env bash
# `convforge tune` end to end with a small budget: it searches the declared space,
# rejects a candidate made wrong on purpose by the correctness gate, writes a
# record for the exact layer, and `emit` and `list` then use that record. Budgets
# are the least each check needs (1 s: the fallback alone is timed and recorded;
# the planted wrong candidate is tried whatever the budget).
# Usage: cli_tune.sh CONVFORGE_BINARY GOLDEN_DIR
. "$(dirname "$0")/cli_common.sh" "$@"
printf '{"variant":"conv","in_channels":16,"out_channels":32,"kernel_size":3,"bias":true}' >"$work/layer.json"
db="$work/db.json"

if "$cf" tune --spec "$work/layer.json" --batch 1 --height 12 --width 12 --budget 8 --repeats 6 --db "$db" \
        --test-wrong-candidate >"$work/stdout" 2>"$work/stderr"; then
    echo "ok   tune exits 0"
else
    fail "tune exits 0"; cat "$work/stderr"
fi
if grep -q "rejected .*output differs from the fallback schedule's" "$work/stderr" &&
   grep -q "made wrong on purpose" "$work/stderr"; then
    echo "ok   the correctness gate rejects a wrong candidate"
else
    fail "the correctness gate rejects a wrong candidate"; tr '\r' '\n' <"$work/stderr" | tail -5
fi
key=$("$py" -c 'import json,sys; r=json.load(open(sys.argv[1]))["records"]; assert len(r)==1; r=r[0]
assert r["workload"]=="c16-o32-k3-s1-p1-d1-g1" and r["shape_class"]=="dense" and r["median_ms"]>0 and r["default_ms"]>0
print(r["target"])' "$db" 2>"$work/py_err") && echo "ok   record for the exact layer ($key)" || {
    fail "record for the exact layer"; cat "$work/py_err" "$db"; }

# emit finds the tuned record for its target key (its other sub-targets fall back).
if [ -n "${key:-}" ] && "$cf" emit --spec "$work/layer.json" --target x86-64-linux --out "$work/emitted" --name layer \
        --db "$db" >/dev/null 2>"$work/emit_err" && ! grep -q "record for $key/conv/dense" "$work/emit_err"; then
    echo "ok   emit uses the tuned record"
else
    fail "emit uses the tuned record"; cat "$work/emit_err"
fi
if "$cf" list --db "$db" | grep -q "$key conv dense c16-o32-k3-s1-p1-d1-g1 batch 1 12x12: channel_vectors="; then
    echo "ok   list shows the tuned record"
else
    fail "list shows the tuned record"
fi

# bench times the kernel emit makes, with the tuned record; --builtin the run kernels.
if "$cf" bench --spec "$work/layer.json" --batch 1 --height 12 --width 12 --repeats 3 --json --db "$db" >"$work/bench.json" &&
   grep -q "\"schedule\":\"workload record $key/conv/dense/c16-o32-k3-s1-p1-d1-g1 tuned at batch 1 12x12\"" "$work/bench.json" &&
   "$cf" bench --spec "$work/layer.json" --batch 1 --height 12 --width 12 --repeats 3 --json --builtin | grep -q '"kernel":"built-in"'; then
    echo "ok   bench times the emitted kernel with the tuned record"
else
    fail "bench times the emitted kernel with the tuned record"; cat "$work/bench.json"
fi

# The Adams2019 baseline is compiled, checked and timed the same way, and recorded
# (its beam search narrowed to one schedule, HL_BEAM_SIZE: what is checked is how
# tune runs it, not how good a schedule it finds).
if HL_BEAM_SIZE=1 "$cf" tune --spec "$work/layer.json" --batch 1 --height 12 --width 12 --budget 1 --repeats 3 --db "$work/db2.json" \
        --baseline adams2019 >"$work/stdout" 2>"$work/stderr" &&
   "$py" -c 'import json,sys; r=json.load(open(sys.argv[1]))["records"][0]; assert r["baseline"]=="adams2019" and r["baseline_ms"]>0' \
        "$work/db2.json"; then
    echo "ok   tune times the adams2019 baseline"
else
    fail "tune times the adams2019 baseline"; tr '\r' '\n' <"$work/stderr" | tail -5
fi

# A record of an unknown shape class, or knobs outside the space, is refused by list.
printf '{"records": [{"target": "x86-64-avx2", "variant": "conv", "shape_class": "sparse", "knobs": {"tile_x": 3}}]}' \
    >"$work/bad.json"
if ! "$cf" list --db "$work/bad.json" >/dev/null 2>"$work/stderr" && grep -q "no shape class 'sparse'" "$work/stderr"; then
    echo "ok   list refuses an unknown shape class"
else
    fail "list refuses an unknown shape class"; cat "$work/stderr"
fi
# tune takes saconv specs: a record under the saconv variant for the exact layer.
printf '{"variant":"saconv","in_channels":8,"out_channels":16,"kernel_size":3}' >"$work/sac.json"
if "$cf" tune --spec "$work/sac.json" --batch 1 --height 10 --width 10 --budget 1 --repeats 3 --db "$work/sac_db.json" \
        >/dev/null 2>"$work/sac_err" &&
   "$py" -c 'import json,sys; r=json.load(open(sys.argv[1]))["records"]; assert len(r)==1; r=r[0]
assert r["variant"]=="saconv" and r["shape_class"]=="dense" and r["workload"]=="c8-o16-k3-s1-p1-d1-g1" and r["median_ms"]>0' \
        "$work/sac_db.json"; then
    echo "ok   tune writes a saconv record"
else
    fail "tune writes a saconv record"; tr '\r' '\n' <"$work/sac_err" | tail -5
fi

# tune takes both DSConv modes: exact mode under its own variant key with the conv's
# workload name, integer mode under `dsconv` with the block size in the workload.
for mode in 0 8; do
    printf '{"variant":"dsconv","in_channels":16,"out_channels":16,"kernel_size":3,"bits":4,"block_size":8,"activation_bits":%s}' \
        "$mode" >"$work/dsc$mode.json"
    if "$cf" tune --spec "$work/dsc$mode.json" --batch 1 --height 10 --width 10 --budget 1 --repeats 3 \
            --db "$work/dsc${mode}_db.json" >/dev/null 2>"$work/dsc_err" &&
       "$py" -c 'import json,sys; r=json.load(open(sys.argv[1]))["records"]; assert len(r)==1; r=r[0]
want = ("dsconv_exact", "c16-o16-k3-s1-p1-d1-g1") if sys.argv[2]=="0" else ("dsconv", "c16-o16-k3-s1-p1-d1-g1-b8")
assert (r["variant"], r["workload"])==want and r["shape_class"]=="dense" and r["median_ms"]>0, r' \
            "$work/dsc${mode}_db.json" "$mode" 2>"$work/py_err"; then
        echo "ok   tune writes a dsconv record (activation_bits $mode)"
    else
        fail "tune writes a dsconv record (activation_bits $mode)"; tr '\r' '\n' <"$work/dsc_err" | tail -5; cat "$work/py_err"
    fi
done
# Exact mode reads the conv's record of the same workload where it has none of its own.
"$py" -c 'import json,sys; d=json.load(open(sys.argv[1])); d["records"][0]["variant"]="conv"; json.dump(d, open(sys.argv[2], "w"))' \
    "$work/dsc0_db.json" "$work/dsc0_conv_db.json" 2>"$work/py_err"
for db_variant in dsc0:dsconv_exact dsc0_conv:conv; do
    if "$cf" bench --spec "$work/dsc0.json" --batch 1 --height 10 --width 10 --repeats 3 --db "$work/${db_variant%%:*}_db.json" \
            >"$work/bench_out" 2>"$work/bench_err" &&
       grep -q "workload record [^ ]*/${db_variant#*:}/dense/c16-o16-k3-s1-p1-d1-g1" "$work/bench_out"; then
        echo "ok   exact mode runs with the ${db_variant#*:} record"
    else
        fail "exact mode runs with the ${db_variant#*:} record"; cat "$work/bench_out" "$work/bench_err" "$work/py_err"
    fi
done

finish tune
