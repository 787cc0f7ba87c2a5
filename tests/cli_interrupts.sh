#!/usr/bin/env bash
# Interrupted commands leave nothing behind (docs/limits.md): SIGINT or SIGTERM
# while `emit`, `tune`, `bench` or `run` is at work ends it with status 128+N once
# it has killed its compile child and removed its scratch and staging
# directories, the --out directories it created, Halide's temporary directories
# and run's hidden output temporary. Each command is caught where the thing to
# clean up exists: polled for, then the command is stopped (SIGSTOP), checked to
# be still there, signalled and continued, so no check rests on timing. Also: a
# compile killed by --compile-timeout leaves nothing, and a failing --linker is
# reported by the line that says why.
# Usage: cli_interrupts.sh CONVFORGE_BINARY GOLDEN_DIR
. "$(dirname "$0")/cli_common.sh" "$@"
export TMPDIR="$work/tmp"  # every scratch directory is made here: it must end up empty
mkdir "$TMPDIR"
touch "$work/started"  # Halide's directories in /tmp newer than this may be leftovers
printf '{"variant":"conv","in_channels":16,"out_channels":32,"kernel_size":3,"bias":true}' >"$work/layer.json"
pid="" status=0

# Runs a command in the background, SIGINT and SIGTERM at their defaults (a
# script's background jobs ignore SIGINT), its pid in $pid.
start() {
    env --default-signal=INT,TERM "$@" >"$work/stdout" 2>"$work/stderr" &
    pid=$!
}
running() {  # the command has not exited (a zombie has)
    local state
    { read -r _ _ state _ <"/proc/$pid/stat"; } 2>/dev/null && [ "$state" != Z ]
}
matches() {  # any of the globs matches
    local glob
    for glob in "$@"; do compgen -G "$glob" >/dev/null && return 0; done
    return 1
}
# Polls every 20 ms, for at most 60 s, until one of the globs matches while the
# command runs; then stops it, and sends signal $1 if a glob still matches.
interrupt_at() {
    local signal="$1" tries=3000
    shift
    while [ "$tries" -gt 0 ] && running && ! matches "$@"; do sleep 0.02; tries=$((tries - 1)); done
    kill -STOP "$pid" 2>/dev/null
    if ! running || ! matches "$@"; then
        kill -CONT "$pid" 2>/dev/null
        return 1
    fi
    children=$(pgrep -P "$pid" | tr '\n' ' ')
    kill "-$signal" "$pid"
    kill -CONT "$pid"
}
wait_exit() {  # at most 60 s; the exit status in $status
    local tries=3000
    while running && [ "$tries" -gt 0 ]; do sleep 0.02; tries=$((tries - 1)); done
    running && kill -KILL "$pid"
    wait "$pid" 2>/dev/null
    status=$?
}
# Halide's temporary directories in /tmp made since the start (6 random
# characters) that hold nothing or objects named $1 and are still there 10 s on
# (a concurrent compile's own directory goes when it ends).
halide_leftovers() {
    local name="$1" found="" dir tries=500
    for dir in /tmp/??????; do
        [ -d "$dir" ] && [ "$dir" -nt "$work/started" ] || continue
        if [ -z "$(ls -A "$dir" 2>/dev/null)" ] || compgen -G "$dir/$name*" >/dev/null; then found="$found $dir"; fi
    done
    while [ -n "$found" ] && [ "$tries" -gt 0 ]; do
        local still=""
        for dir in $found; do [ -d "$dir" ] && still="$still $dir"; done
        found="$still"
        sleep 0.02
        tries=$((tries - 1))
    done
    echo $found
}
new_tmp_directory() {  # a directory /tmp/?????? made since file $1
    local dir
    for dir in /tmp/??????; do [ -d "$dir" ] && [ "$dir" -nt "$1" ] && return 0; done
    return 1
}
# The checks after an interrupted command: exit status, no scratch directory, no
# surviving child, no Halide directory in /tmp, nothing in the directory $4.
check_interrupted() {  # name, expected status, Halide object name, [directory]
    local name="$1" expected="$2" object="$3" dir="${4:-$TMPDIR}" ok=1 child left
    [ "$status" -eq "$expected" ] || { fail "$name: exit status $status, expected $expected"; tail -3 "$work/stderr"; ok=0; }
    left=$(ls -A "$TMPDIR")
    [ -z "$left" ] || { fail "$name: left in TMPDIR: $left"; rm -rf "${TMPDIR:?}"/* "${TMPDIR:?}"/.[!.]*; ok=0; }
    left=$(ls -A "$dir")
    [ -z "$left" ] || { fail "$name: left in $dir: $left"; rm -rf "${dir:?}"/* "${dir:?}"/.[!.]*; ok=0; }
    for child in $children; do
        if [ -e "/proc/$child" ]; then fail "$name: child $child survives: $(tr '\0' ' ' <"/proc/$child/cmdline")"; kill -KILL "$child"; ok=0; fi
    done
    left=$(halide_leftovers "$object")
    [ -z "$left" ] || { fail "$name: Halide's temporary directories left in /tmp: $left"; rm -rf $left; ok=0; }
    [ "$ok" -eq 1 ] && echo "ok   $name"
}

# --- emit: SIGINT while Halide compiles, --out and two parents made by emit ------
mkdir "$work/e"
children=""
start "$cf" emit --spec "$work/layer.json" --target x86-64-linux --out "$work/e/new/deeper" --name sig_emit
# The first sub-target's object is written: Halide's directory exists, wherever it is.
if interrupt_at INT "$work/e/new/deeper/.convforge-staging-*/.private/??????/sig_emit.a-*.o" "/tmp/??????/sig_emit.a-*.o"; then
    wait_exit
    check_interrupted "emit interrupted by SIGINT" 130 sig_emit "$work/e"
else
    wait_exit; fail "emit: never caught compiling (exit status $status)"; tail -3 "$work/stderr"
fi

# --- tune: SIGTERM while a candidate compiles in a child ----------------------------
start "$cf" tune --spec "$work/layer.json" --batch 1 --height 12 --width 12 --budget 60 --repeats 3 --db "$work/tune_db.json"
if interrupt_at TERM "$TMPDIR/convforge-*/*/.convforge-staging-*"; then
    [ -n "$children" ] || fail "tune: no compile child seen"
    wait_exit
    check_interrupted "tune interrupted by SIGTERM" 143 "[cfb]*_"
    ! matches "$work/.tune_db.json.convforge-*" || fail "tune interrupted by SIGTERM: a hidden database temporary is left"
else
    wait_exit; fail "tune: never caught compiling (exit status $status)"; tail -3 "$work/stderr"
fi

# --- bench: SIGINT while the layer's kernel compiles in a child --------------------
start "$cf" bench --spec "$work/layer.json" --batch 1 --height 12 --width 12 --repeats 3
if interrupt_at INT "$TMPDIR/convforge-*/.convforge-staging-*"; then
    [ -n "$children" ] || fail "bench: no compile child seen"
    wait_exit
    check_interrupted "bench interrupted by SIGINT" 130 bench_layer
else
    wait_exit; fail "bench: never caught compiling (exit status $status)"; tail -3 "$work/stderr"
fi

# --- run: SIGTERM and SIGINT while a 256 MiB output is written ---------------------
"$py" - "$work" <<'PY'
import json, struct, sys, numpy as np
work = sys.argv[1]
json.dump({"variant": "conv", "in_channels": 1, "out_channels": 256, "kernel_size": 1, "bias": False},
          open(work + "/big.json", "w"))
raw = (np.random.rand(256, 1, 1, 1) - 0.5).astype(np.float32).tobytes()
header = json.dumps({"weight": {"dtype": "F32", "shape": [256, 1, 1, 1], "data_offsets": [0, len(raw)]}}).encode()
open(work + "/big.safetensors", "wb").write(struct.pack("<Q", len(header)) + header + raw)
np.save(work + "/big_in.npy", np.random.rand(1, 1, 512, 512).astype(np.float32))
PY
mkdir "$work/r"
for signal in TERM INT; do
    caught=0
    for attempt in 1 2 3; do  # the write takes about a second: caught at the first try but for a slow poll
        children=""
        start "$cf" run --spec "$work/big.json" --weights "$work/big.safetensors" --input "$work/big_in.npy" \
            --output "$work/r/y.npy" --threads 1
        if interrupt_at "$signal" "$work/r/.y.npy.convforge-*"; then caught=1; wait_exit; break; fi
        wait_exit
        rm -f "$work/r/y.npy"
    done
    if [ "$caught" -eq 1 ]; then
        expected=$([ "$signal" = TERM ] && echo 143 || echo 130)
        check_interrupted "run interrupted by SIG$signal while writing its output" "$expected" none "$work/r"
    else
        fail "run: never caught writing its output (SIG$signal)"
    fi
done

# --- --compile-timeout: the killed compile's directories go too --------------------
# The first compile is held (SIGSTOP) once Halide's temporary directory exists, so
# --compile-timeout kills it there.
touch "$work/timeout_started"
start "$cf" tune --spec "$work/layer.json" --batch 1 --height 12 --width 12 --budget 5 --compile-timeout 8 \
    --repeats 3 --db "$work/timeout_db.json"
children="" tries=1500
while [ -z "$children" ] && [ "$tries" -gt 0 ] && running; do
    child=$(pgrep -P "$pid" | head -1)
    if [ -n "$child" ] && { matches "$TMPDIR/convforge-*/*/.convforge-staging-*/.private/??????" ||
                            new_tmp_directory "$work/timeout_started"; }; then
        kill -STOP "$child" && children="$child"
    fi
    sleep 0.02
    tries=$((tries - 1))
done
wait_exit
if [ -z "$children" ]; then
    echo "skip --compile-timeout: the compile was not caught inside Halide within 30 s"
elif ! grep -q "took more than 8 s" "$work/stderr"; then
    fail "--compile-timeout: the held compile was not killed:"; tail -3 "$work/stderr"
elif [ "$status" -ge 128 ]; then
    fail "--compile-timeout: tune died of signal $((status - 128))"
else
    check_interrupted "a compile killed by --compile-timeout leaves nothing" "$status" "[cfb]*_"
fi
rm -rf "${TMPDIR:?}"/* "${TMPDIR:?}"/.[!.]*

# --- a failing --linker is reported by the line that says why ----------------------
printf '#!/bin/sh\necho "/usr/bin/ld: cannot find -lconvforge_missing: No such file or directory" >&2\necho "collect2: error: ld returned 1 exit status" >&2\nexit 1\n' >"$work/bad_linker"
chmod +x "$work/bad_linker"
bench_with_linker() { timeout 120 "$cf" bench --spec "$work/layer.json" --batch 1 --height 8 --width 8 --repeats 1 --linker "$1"; }
bench_with_linker "$work/bad_linker" >/dev/null 2>"$work/stderr"
if grep -q "failed: /usr/bin/ld: cannot find -lconvforge_missing" "$work/stderr" && ! grep -q collect2 "$work/stderr"; then
    echo "ok   a failing linker is reported by its reason, not collect2's summary"
else
    fail "a failing linker is reported by its reason, not collect2's summary:"; grep -v warning: "$work/stderr"
fi
bench_with_linker "$work/no_such_linker" >/dev/null 2>"$work/stderr"
if grep -q "'$work/no_such_linker' was not found or could not be run" "$work/stderr"; then
    echo "ok   a linker that does not exist is named as not found"
else
    fail "a linker that does not exist is named as not found:"; grep -v warning: "$work/stderr"
fi
left=$(ls -A "$TMPDIR")
[ -z "$left" ] || fail "failing linkers left in TMPDIR: $left"

finish interrupt
