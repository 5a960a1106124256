#!/bin/sh
# bench/run.sh - build a Release tree (build-bench/) and run carelog-bench.
# Idempotent: reconfigures and rebuilds only what changed. Arguments are
# passed to carelog-bench, e.g. `bench/run.sh --records 20000 --json`.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build-bench"

# build output goes to stderr: stdout is the table (or the JSON) only
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCARELOG_BUILD_TESTS=OFF >&2
cmake --build "$build" --target carelog-bench -j 2 >&2
# the fixture generator is optional: without it the bench makes its own lines
cmake --build "$build" --target carelog-fixtures -j 2 >/dev/null 2>&1 ||
	echo "run.sh: carelog-fixtures did not build; the bench will generate its own lines" >&2

exec "$build/bench/carelog-bench" "$@"
