#!/usr/bin/env bash
# Runs the README example twice on one store: the first run creates it, the
# second opens it; the timeline must then hold both sirolimus doses.
set -euo pipefail
example=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
out1=$("$example" "$dir/store")
out2=$("$example" "$dir/store")
echo "$out1"
echo "$out2"
[ "$(grep -c ' dose sirolimus$' <<<"$out1")" -eq 1 ] || { echo "first run: expected one dose line" >&2; exit 1; }
grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z dose sirolimus$' <<<"$out1" || { echo "bad line format" >&2; exit 1; }
# the second run adds a second patient with one dose: its own timeline has one line
[ "$(grep -c ' dose sirolimus$' <<<"$out2")" -eq 1 ] || { echo "second run: expected one dose line" >&2; exit 1; }
[ "$(ls "$dir/store/charts" | grep -c '\.git$')" -eq 2 ] || { echo "expected two charts" >&2; exit 1; }
