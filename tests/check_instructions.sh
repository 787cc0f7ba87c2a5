#!/usr/bin/env bash
# Disassembles a kernel archive and checks which instructions it holds:
#   check_instructions.sh OBJDUMP ARCHIVE REQUIRED_REGEX [FORBIDDEN_REGEX]
# Fails when no line matches REQUIRED_REGEX, or when one matches FORBIDDEN_REGEX.
set -euo pipefail
objdump=$1 archive=$2 required=$3 forbidden=${4:-}
listing=$(mktemp)
trap 'rm -f "$listing"' EXIT
"$objdump" -d "$archive" > "$listing"
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
