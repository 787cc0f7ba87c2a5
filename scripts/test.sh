#!/usr/bin/env bash
# Installs what is missing, builds convforge, and runs every test: the host suite,
# the kernel tests cross-built for AArch64 under qemu, and the example application.
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

echo "all tests passed"
