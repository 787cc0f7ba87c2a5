#!/usr/bin/env bash
# Fuzzes every reader of user files with libFuzzer (clang-14, ASan + UBSan).
#   bash scripts/fuzz.sh [SECONDS_PER_TARGET]     (default 60; the test command's run)
# Long runs: bash scripts/fuzz.sh 3600 — new inputs accumulate in build-fuzz/corpus/
# and are reused by later runs; record clean durations in docs/fuzzing.md.
# Seeds come from the test data (golden cases made by PyTorch, the repo's specs and
# schedule database). A finding is written to build-fuzz/findings/ and fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
seconds="${1:-60}"
bash scripts/setup.sh

CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz -G Ninja -DCONVFORGE_FUZZERS=ON \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz -j "$(nproc)"

golden="$root/build/golden"  # the host suite's, where it has run
if [ ! -f "$golden/cases.txt" ]; then
    golden="$root/build-fuzz/golden"
    [ -f "$golden/cases.txt" ] || /usr/bin/python3 reference/make_golden.py "$golden" >/dev/null
fi
seeds="$root/build-fuzz/seeds"
rm -rf "$seeds"
mkdir -p "$seeds"/{safetensors,npy,layer_spec,schedule_database} build-fuzz/findings
for case_dir in "$golden"/*/; do
    name=$(basename "$case_dir")
    cp "$case_dir/weights.safetensors" "$seeds/safetensors/$name.safetensors"
    cp "$case_dir/input.npy" "$seeds/npy/$name.npy"
    cp "$case_dir/spec.json" "$seeds/layer_spec/$name.json"
done
cp tests/layers/*.json examples/layer_app/layer.json "$seeds/layer_spec/"
cp schedules/database.json "$seeds/schedule_database/"

fuzz_one() {  # reader
    local reader="$1" corpus="$root/build-fuzz/corpus/$1"
    mkdir -p "$corpus"
    "$root/build-fuzz/fuzz/fuzz_$reader" "$corpus" "$seeds/$reader" -dict="$root/fuzz/convforge.dict" \
        -max_total_time="$seconds" -max_len=131072 -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
        -artifact_prefix="$root/build-fuzz/findings/$reader-" >"$root/build-fuzz/$reader.log" 2>&1
}

readers=(safetensors npy layer_spec schedule_database)
status=0
# Two at a time: one per core of the 2-core machines this runs on.
for pair in "0 1" "2 3"; do
    pids=()
    for i in $pair; do
        fuzz_one "${readers[$i]}" &
        pids+=("$!:${readers[$i]}")
    done
    for entry in "${pids[@]}"; do
        pid=${entry%%:*} reader=${entry#*:}
        if wait "$pid"; then
            runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "build-fuzz/$reader.log" | grep -o '[0-9]*$' || echo "?")
            echo "fuzz $reader: clean for ${seconds} s, $runs inputs, corpus $(ls "build-fuzz/corpus/$reader" | wc -l) files"
        else
            echo "fuzz $reader: FINDING (log: build-fuzz/$reader.log)"
            tail -n 40 "build-fuzz/$reader.log"
            status=1
        fi
    done
done
exit "$status"
