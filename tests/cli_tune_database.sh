#!/usr/bin/env bash
# How `convforge tune` writes its database: concurrent tunes into one file keep
# every record (a read-merge-write under a lock, readers undisturbed meanwhile);
# what can be checked is checked before the search (the directory, a link, the
# database as list reads it, the size limit, --target); nothing is written that
# `list` or `emit` would refuse, and a refused write leaves the file as it was.
# Tunes here use the smallest budget: the fallback alone is timed (about 4 s).
# Usage: cli_tune_database.sh CONVFORGE_BINARY GOLDEN_DIR
. "$(dirname "$0")/cli_common.sh" "$@"
printf '{"variant":"conv","in_channels":16,"out_channels":32,"kernel_size":3,"bias":true}' >"$work/layer.json"
workload=c16-o32-k3-s1-p1-d1-g1

tune() {  # db height [more options]: a search of the layer at batch 1, height x height, for $budget s
    local db="$1" size="$2"
    shift 2
    "$cf" tune --spec "$work/layer.json" --batch 1 --height "$size" --width "$size" --budget "${budget:-1}" --repeats 3 \
        --db "$db" "$@"
}

# Refused before the search: exit 1, a one-line message holding `fragment`, no
# search started, and the database (if any) byte for byte as it was.
check_refused_up_front() {  # name, fragment, db, tune arguments...
    local name="$1" fragment="$2" db="$3"
    shift 3
    local before=""
    [ -f "$db" ] && before=$(sha256sum <"$db")
    if tune "$db" "$@" >/dev/null 2>"$work/stderr"; then
        fail "$name: exit status 0"; return
    fi
    if ! grep -qF -- "$fragment" "$work/stderr"; then
        fail "$name: stderr lacks '$fragment':"; tr '\r' '\n' <"$work/stderr" | tail -3; return
    fi
    if grep -q "candidates keep the rules" "$work/stderr" || [ "$(wc -l <"$work/stderr")" -gt 1 ]; then
        fail "$name: refused only after searching (or said more than one line):"; tr '\r' '\n' <"$work/stderr" | tail -3
        return
    fi
    if [ -n "$before" ] && [ "$(sha256sum <"$db")" != "$before" ]; then fail "$name: the database changed"; return; fi
    echo "ok   $name"
}

# Records the test reads: "height" of every record of the layer, sorted.
heights() { "$py" -c 'import json,sys
print(" ".join(sorted(str(r["height"]) for r in json.load(open(sys.argv[1]))["records"] if r.get("workload")==sys.argv[2])))' "$1" "$workload"; }

# 1. Two tunes of one layer at two sizes into one database, started together: both
# records kept, in every trial. Trials alternate between a database that does not
# exist yet and one holding a hand-written record, which must survive; the first
# trial starts beside a lock file a killed writer left. Meanwhile a reader (taking
# no lock, as emit, list and bench take none) reads the database in a loop and
# must always find it whole: writes replace it by a rename.
# (Five trials; the instrumented tree runs two, both kinds of database, since each
# candidate runs several times slower there and the host tree has run all five.)
trials=${CONVFORGE_CONCURRENT_TUNE_TRIALS:-5}
lost=0
reader_failures=0
reader_reads=0
start=$SECONDS
for trial in $(seq 1 "$trials"); do
    dir="$work/concurrent$trial"
    mkdir "$dir"
    db="$dir/db.json"
    if [ $((trial % 2)) -eq 0 ]; then
        printf '{"records": [{"target": "x86-64-avx2", "variant": "conv", "shape_class": "grouped", "knobs": {"grouped_vectors": 2}}]}\n' >"$db"
        want="10 12 kept"
    else
        want="10 12"
    fi
    [ "$trial" -eq 1 ] && : >"$dir/.db.json.convforge-lock"
    tune "$db" 12 >/dev/null 2>"$dir/a.err" & a=$!
    tune "$db" 10 >/dev/null 2>"$dir/b.err" & b=$!
    # The reader: until both tunes end, read whatever database is there, every 2 ms.
    "$py" - "$db" "$a" "$b" >"$dir/reader_failures" <<'PY' &
import json, os, sys, time
db, pids = sys.argv[1], [int(p) for p in sys.argv[2:]]
def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False
reads = failures = 0
while any(alive(p) for p in pids):
    try:
        text = open(db).read()
    except FileNotFoundError:
        continue
    reads += 1
    try:
        assert isinstance(json.loads(text)["records"], list)
    except Exception:
        failures += 1
    time.sleep(0.002)
print(failures, reads)
PY
    reader=$!
    wait "$a"; rc_a=$?
    wait "$b"; rc_b=$?
    wait "$reader"
    got=$(heights "$db" 2>/dev/null)
    grep -q '"grouped_vectors":2' "$db" 2>/dev/null && got="$got kept"
    if [ "$rc_a" -ne 0 ] || [ "$rc_b" -ne 0 ] || [ "$got" != "$want" ]; then
        lost=$((lost + 1))
        echo "     trial $trial: exits $rc_a $rc_b, records '$got' (want '$want')"
        tr '\r' '\n' <"$dir/a.err" | tail -2; tr '\r' '\n' <"$dir/b.err" | tail -2
    fi
    read -r failed reads <"$dir/reader_failures"
    reader_failures=$((reader_failures + failed))
    reader_reads=$((reader_reads + reads))
    if [ "$(ls -A "$dir" | grep -v -e '^db.json$' -e '\.err$' -e '^reader_failures$')" != "" ]; then
        fail "trial $trial leaves files beside the database: $(ls -A "$dir" | tr '\n' ' ')"
    fi
done
if [ "$lost" -eq 0 ]; then
    echo "ok   two concurrent tunes into one database keep both records in $trials of $trials trials ($((SECONDS - start)) s)"
else
    fail "two concurrent tunes into one database keep both records: $lost of $trials trials lost one"
fi
if [ "$reader_failures" -eq 0 ] && [ "$reader_reads" -gt 0 ]; then
    echo "ok   a reader meanwhile read the database whole $reader_reads times"
else
    fail "a reader meanwhile read a broken database $reader_failures of $reader_reads times"
fi
if "$cf" list --db "$work/concurrent$trials/db.json" >/dev/null 2>"$work/stderr"; then
    echo "ok   list reads the database the concurrent tunes wrote"
else
    fail "list reads the database the concurrent tunes wrote"; cat "$work/stderr"
fi

# 2. A record of the same layer at another size outside its declared space: list
# and emit refuse such a database, so tune refuses to keep it (before searching).
db="$work/out_of_space.json"
printf '{"records": [{"target": "x86-64-avx512", "variant": "conv", "shape_class": "dense", "workload": "%s", "batch": 8, "height": 12, "width": 12, "knobs": {"channel_vectors": 9}}]}\n' \
    "$workload" >"$db"
check_refused_up_front "a record outside the space, same layer at another size" \
    "knob 'channel_vectors' is 9, not one of its declared values" "$db" 12

# 3. The size limit: a database so near 16 MiB that this layer's record would pass
# it is refused before the search (records of a target key no convforge target has
# are never checked against a space; they only take room).
big="$work/big.json"
"$py" - "$big" <<'PY'
import sys
limit = 16 << 20
line = '    {"target":"zz-other","variant":"conv","shape_class":"dense","workload":"w%07d","knobs":{"tile_x":1},"measured":"%s"}'
pad = "x" * 900
rows = []
size = len('{\n  "records": [\n') + len('  ]\n}\n')
i = 0
while True:
    row = line % (i, pad)
    if size + len(row) + 2 > limit - 64:
        break
    rows.append(row)
    size += len(row) + 2
    i += 1
last = line % (i, "")
filler = limit - 64 - size - len(last) - 2
if filler > 0:
    rows.append(line % (i, "y" * min(filler, 1024)))
open(sys.argv[1], "w").write('{\n  "records": [\n' + ",\n".join(rows) + "\n  ]\n}\n")
PY
size=$(stat -c %s "$big")
if [ "$size" -le $((16 << 20)) ] && [ "$size" -gt $(((16 << 20) - 200)) ] && "$cf" list --db "$big" >/dev/null; then
    echo "ok   a database of $size bytes, just under the limit, that list reads"
else
    fail "the near-limit database ($size bytes) is readable"
fi
cp "$big" "$work/big_copy.json"
check_refused_up_front "a database the record would take past 16 MiB" "more than the 16777216" "$work/big_copy.json" 12

# 4. The same limit reached during the search (another writer filled the database
# meanwhile): the merge is made from the file as it is at the end, refused whole,
# and that file left as it was.
db="$work/grows.json"
: >"$work/grows.err"
budget=4 tune "$db" 12 >/dev/null 2>"$work/grows.err" &
tuner=$!
for _ in $(seq 1 200); do
    grep -q "candidates keep the rules" "$work/grows.err" && break
    sleep 0.05
done
cp "$big" "$work/.grows.new" && mv "$work/.grows.new" "$db"
if wait "$tuner"; then
    fail "a database grown past the limit during the search: tune exits 0"
elif ! grep -q "more than the 16777216.*was not written" "$work/grows.err"; then
    fail "a database grown past the limit during the search: message"; tr '\r' '\n' <"$work/grows.err" | tail -2
elif ! cmp -s "$db" "$big"; then
    fail "a database grown past the limit during the search: the file changed"
else
    echo "ok   the merge is made under the lock from the file as the search left it, and refused whole past 16 MiB"
fi

# 5. What the write would refuse after the search is refused before it.
ln -s "$work/out_of_space.json" "$work/link.json"
check_refused_up_front "a symbolic link as the database" "is a symbolic link; refusing to replace it" "$work/link.json" 12
[ -L "$work/link.json" ] || fail "the link is left as it was"
check_refused_up_front "a database in a missing directory" "directory '$work/no_such_dir' does not exist" \
    "$work/no_such_dir/db.json" 12
[ -e "$work/no_such_dir" ] && fail "the missing directory stays missing"
mkdir "$work/locked"
ln -s "$work/elsewhere" "$work/locked/.db.json.convforge-lock"
check_refused_up_front "a link planted as the lock file" "lock file '$work/locked/.db.json.convforge-lock' cannot be created" \
    "$work/locked/db.json" 12
[ -e "$work/elsewhere" ] && fail "the planted link is not followed"
if [ "$(id -u)" -ne 0 ]; then  # root writes anywhere
    mkdir "$work/read_only"
    chmod 555 "$work/read_only"
    check_refused_up_front "a database in a directory it cannot write" "cannot be created: Permission denied" \
        "$work/read_only/db.json" 12
fi

# 6. --target: candidates run on this CPU, so a target it cannot run is refused up
# front with the reason, not after compiling the fallback.
if [ "$(uname -m)" = x86_64 ]; then
    check_refused_up_front "tune --target for another architecture" \
        "'arm-64-linux' is not a sub-target of the x86-64 library for this kernel (known: x86-64-linux-avx-avx2" \
        "$work/target.json" 12 --target arm-64-linux
    if ! grep -qw avx512f /proc/cpuinfo; then
        check_refused_up_front "tune --target this CPU cannot run" "needs avx512, which this CPU lacks" "$work/target.json" 12 \
            --target x86-64-linux-avx-avx2-avx512-avx512_skylake-f16c-fma-sse41
    fi
fi
check_refused_up_front "tune --target that is no target" "unknown target 'bogus' (known: x86-64-linux, arm-64-linux, x86-64-linux-cuda, host, or a Halide target string)" "$work/target.json" 12 \
    --target bogus

finish "tune database"
