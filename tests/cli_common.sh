# Sourced by the CLI check scripts: their arguments, a scratch directory removed on
# exit, failure counting and the comparison with a PyTorch reference output.
# Usage: . cli_common.sh CONVFORGE_BINARY GOLDEN_DIR
set -u
cf="$1"
golden="$2"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
py=/usr/bin/python3

fail() { echo "FAIL $1"; failures=$((failures + 1)); }

matches_reference() {  # output.npy expected.npy: the tolerance of VARIANTS.md
    "$py" - "$1" "$2" <<'PY'
import sys, numpy as np
got, ref = np.load(sys.argv[1]), np.load(sys.argv[2])
sys.exit(0 if got.shape == ref.shape and np.all(np.abs(got - ref) <= 1e-4 + 1e-4 * np.abs(ref)) else 1)
PY
}

finish() {  # what the checks are called
    if [ "$failures" -ne 0 ]; then echo "$failures $1 check(s) failed"; exit 1; fi
    echo "all $1 checks passed"
}
