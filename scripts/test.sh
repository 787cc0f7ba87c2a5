#!/usr/bin/env bash
# Installs what is missing, builds convforge, and runs every test: the host suite,
# the kernel tests cross-built for AArch64 under qemu, the example application,
# the host suite again built with ASan + UBSan (leak checking on), and a short
# libFuzzer run of every reader.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
jobs=$(nproc)

bash scripts/setup.sh

echo "== host build and tests (x86-64, CUDA kernels emitted and linked) =="
cmake -S . -B build -G Ninja
cmake --build build -j "$jobs"
ctest --test-dir build -j "$jobs" --output-on-failure

echo "== AArch64 cross build, tests under qemu-aarch64 =="
cmake -S . -B build-arm -G Ninja -DCMAKE_TOOLCHAIN_FILE="$root/cmake/aarch64-linux-gnu.cmake" \
    -DCONVFORGE_HOST_GEN="$root/build/convforge-gen" -DCONVFORGE_GOLDEN_DIR="$root/build/golden"
cmake --build build-arm -j "$jobs"
ctest --test-dir build-arm -j "$jobs" --output-on-failure

echo "== example application (its own CMake project, kernels emitted at its build time) =="
/usr/bin/python3 reference/make_golden.py build/example_data --spec examples/layer_app/layer.json 2,23,31
cmake -S examples/layer_app -B build-example -G Ninja -Dconvforge_DIR="$root/build" \
    -DEXAMPLE_DATA_DIR="$root/build/example_data"
cmake --build build-example -j "$jobs"
ctest --test-dir build-example --output-on-failure

echo "== ASan + UBSan build of runtime, driver and host tests (kernels uninstrumented), leak checking on =="
cmake -S . -B build-asan -G Ninja -DCONVFORGE_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build-asan -j "$jobs"
ASAN_OPTIONS=detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan -j "$jobs" --output-on-failure

echo "== fuzzing: every reader of user files, 60 s each (long runs: docs/fuzzing.md) =="
bash scripts/fuzz.sh 60

echo "all tests passed"
