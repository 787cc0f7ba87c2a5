#!/usr/bin/env bash
# Installs every Debian package convforge needs on a fresh Debian bookworm machine.
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config
  libhalide14-0-dev zlib1g-dev libcli11-dev googletest libgtest-dev libbenchmark-dev nlohmann-json3-dev
  python3-torch python3-numpy libdnnl-dev
  g++-aarch64-linux-gnu qemu-user
  clang-14 libclang-rt-14-dev  # libFuzzer and the sanitizer runtimes for scripts/fuzz.sh
  procps  # pgrep, for the interrupted-command tests
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
