#!/usr/bin/env bash
# Installs what is missing, builds convforge, and runs every test, in stages:
#   host     the host build (x86-64 kernels, CUDA kernels emitted and linked) and its suite
#   arm      the kernel tests cross-built for AArch64, under qemu (kernels from the host's generator)
#   example  the example application, its own CMake project against the host build
#   asan     the host suite again, convforge's own code under ASan + UBSan (leak checking on),
#            linking the kernels the host build emitted and reading its golden data (the
#            checks of the kernels alone, byte for byte the host's, run there once)
#   fuzz     a short libFuzzer run of every reader of user files
# bash scripts/test.sh runs them all; bash scripts/test.sh asan fuzz runs those alone
# (a stage builds what it needs from the host tree first, once). Each stage prints its time.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
jobs=$(nproc)
all_stages=(host arm example asan fuzz)
stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=("${all_stages[@]}")
for stage in "${stages[@]}"; do
    case " ${all_stages[*]} " in
    *" $stage "*) ;;
    *) echo "test.sh: unknown stage '$stage' (stages: ${all_stages[*]})" >&2; exit 2 ;;
    esac
done

bash scripts/setup.sh

host_built=0
build_host() {  # the host tree, whose generator and kernels the other stages use
    [ "$host_built" = 1 ] && return
    cmake -S . -B build -G Ninja
    cmake --build build -j "$jobs"
    host_built=1
}

stage_host() {
    build_host
    ctest --test-dir build -j "$jobs" --output-on-failure
}

host_golden() {  # the golden data PyTorch made for the host suite (made here when that stage has not run)
    [ -f build/golden/cases.txt ] || ctest --test-dir build -R '^make_golden$' --output-on-failure
}

stage_arm() {
    build_host
    host_golden
    cmake -S . -B build-arm -G Ninja -DCMAKE_TOOLCHAIN_FILE="$root/cmake/aarch64-linux-gnu.cmake" \
        -DCONVFORGE_HOST_GEN="$root/build/convforge-gen" -DCONVFORGE_GOLDEN_DIR="$root/build/golden"
    cmake --build build-arm -j "$jobs"
    ctest --test-dir build-arm -j "$jobs" --output-on-failure
}

stage_example() {
    build_host
    /usr/bin/python3 reference/make_golden.py build/example_data --spec examples/layer_app/layer.json 2,23,31
    cmake -S examples/layer_app -B build-example -G Ninja -Dconvforge_DIR="$root/build" \
        -DEXAMPLE_DATA_DIR="$root/build/example_data"
    cmake --build build-example -j "$jobs"
    ctest --test-dir build-example --output-on-failure
}

stage_asan() {
    build_host
    host_golden
    cmake -S . -B build-asan -G Ninja -DCONVFORGE_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DCONVFORGE_KERNELS_FROM="$root/build" -DCONVFORGE_GOLDEN_DIR="$root/build/golden"
    cmake --build build-asan -j "$jobs"
    ASAN_OPTIONS=detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        ctest --test-dir build-asan -j "$jobs" --output-on-failure
}

stage_fuzz() {
    bash scripts/fuzz.sh 30  # long runs: docs/fuzzing.md
}

summary=()
for stage in "${stages[@]}"; do
    echo "== stage $stage =="
    start=$SECONDS
    "stage_$stage"
    summary+=("$stage $((SECONDS - start)) s")
    echo "== stage $stage passed in $((SECONDS - start)) s =="
done
echo "all tests passed (${summary[*]})"
