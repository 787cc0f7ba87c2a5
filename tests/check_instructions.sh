#!/usr/bin/env bash
# Lists a kernel archive's instructions and checks which it holds:
#   check_instructions.sh "LISTER" ARCHIVE REQUIRED_REGEX [FORBIDDEN_REGEX]
# LISTER is a command and its options ("objdump -d"; "strings" for the PTX a CUDA
# library embeds). Fails when no line matches REQUIRED_REGEX, or one matches FORBIDDEN_REGEX.
set -euo pipefail
lister=$1 archive=$2 required=$3 forbidden=${4:-}
listing=$(mktemp)
trap 'rm -f "$listing"' EXIT
$lister "$archive" > "$listing"
found=$(grep -cE "$required" "$listing" || true)
echo "$(basename "$archive"): $found instructions match '$required'"
if [ "$found" -eq 0 ]; then
    echo "FAIL: no instruction matches '$required'" >&2
    exit 1
fi
if [ -n "$forbidden" ] && grep -qE "$forbidden" "$listing"; then
    echo "FAIL: instructions match '$forbidden':" >&2
    grep -E "$forbidden" "$listing" | head -5 >&2
    exit 1
fi
