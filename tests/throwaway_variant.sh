#!/usr/bin/env bash
# Proves that a variant is its own files plus one registry line: copies the tracked
# tree to DIR, adds variant NEW as a renamed copy of variant FROM (every tracked
# file whose name carries FROM: its runtime definition, generator, path list,
# schedules, references, case table, emitted layers and their specs), appends
# CONVFORGE_VARIANT(NEW) to the registry, and checks that no other tracked file
# changed. Then, by mode:
#   configure   configures DIR (seconds): the build finds NEW's kernels, schedule,
#               emitted layers and tests by name, with no list edited (a ctest)
#   build       builds DIR and runs NEW's tests and golden cases against PyTorch (a
#               second build, linking the source tree's build's kernels where it has them)
#   bash tests/throwaway_variant.sh configure|build DIR [FROM [NEW]]
set -euo pipefail
mode="$1" dir="$2" from="${3:-condconv}" new="${4:-twinconv}"
src="$(cd "$(dirname "$0")/.." && pwd)"
case "$mode" in configure | build) ;; *) echo "usage: $0 configure|build DIR [FROM [NEW]]" >&2; exit 2 ;; esac
# The conv's files are shared by every variant (its contract, its schedules); DIR is
# deleted and rebuilt, so never the source tree or a folder above it.
[ "$from" != conv ] || { echo "throwaway: copy a variant other than conv" >&2; exit 2; }
case "$src/" in "$(realpath -m "$dir")"/*) echo "throwaway: DIR must not hold the source tree" >&2; exit 2 ;; esac

rm -rf "$dir"
mkdir -p "$dir"
# The tracked files as they are in the working tree.
(cd "$src" && git ls-files -z --cached --others --exclude-standard | xargs -0 -I{} sh -c \
    '[ ! -f "$1" ] || { mkdir -p "$2/$(dirname "$1")" && cp "$1" "$2/$1"; }' _ {} "$dir")
(cd "$dir" && git init -q && git add -A && git -c user.name=t -c user.email=t@t commit -qm base)

copied=0
while IFS= read -r path; do
    target="${path//$from/$new}"
    mkdir -p "$dir/$(dirname "$target")"
    sed -e "s/$from/$new/gI" "$dir/$path" > "$dir/$target"  # CondConv's test names too
    copied=$((copied + 1))
done < <(cd "$dir" && git ls-files | grep -E "(^|/)${from}(_[a-z_]*)?(\.[a-z]+|/)")
echo "CONVFORGE_VARIANT($new)" >> "$dir/runtime/src/variants/registry.def"
[ "$copied" -ge 5 ] || { echo "throwaway: only $copied files carry '$from'" >&2; exit 1; }

changed="$(cd "$dir" && git diff --name-only)"
if [ "$changed" != "runtime/src/variants/registry.def" ]; then
    echo "throwaway: adding $new changed tracked files other than the registry:" >&2
    echo "$changed" >&2
    exit 1
fi
echo "throwaway: $new is $copied files of its own plus one registry line"

# Built, it links the kernels the source tree's build emitted where that has them
# (CONVFORGE_KERNELS_FROM) and emits only the new variant's.
reuse=()
[ "$mode" = build ] && [ -d "$src/build/kernels" ] && reuse=(-DCONVFORGE_KERNELS_FROM="$src/build")
cmake -S "$dir" -B "$dir/build" -G Ninja "${reuse[@]}" >"$dir/configure.log" 2>&1 || { tail -n 30 "$dir/configure.log"; exit 1; }
targets="$(ninja -C "$dir/build" -t targets all)"
for expected in "convforge_${new}_dense_relu.a" "emitted_${new}_dense_layer" "generators/${new}.cpp.o" \
    "schedules/${new}/dispatch.cpp.o" "runtime/src/variants/${new}.cpp.o" "reference/${new}.cpp.o"; do
    grep -q "$expected" <<<"$targets" || { echo "throwaway: the build has no $expected" >&2; exit 1; }
done
echo "throwaway: the build finds $new's kernels, emitted layers and sources"
[ "$mode" = configure ] && exit 0

cmake --build "$dir/build" -j "$(nproc)"
ctest --test-dir "$dir/build" -j "$(nproc)" --output-on-failure -R "make_golden|golden_pytorch|${new}|EmittedLayer|KnobSpace|Registry"
listed="$("$dir/build/convforge" list)"  # whole, not piped into grep -q (SIGPIPE under pipefail)
grep -q "^  $new:" <<<"$listed" || { echo "throwaway: convforge list lacks $new" >&2; exit 1; }
echo "throwaway: $new builds and passes"
