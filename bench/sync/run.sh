#!/bin/sh
# bench/sync/run.sh - build a Release tree (build-bench/, as bench/run.sh),
# install the PouchDB peer under bench/peers/ when it is missing (npm ci),
# and run the sync benchmark. Arguments go to syncbench.mjs, e.g.
# `bench/sync/run.sh --records 10000` or `bench/sync/run.sh --json`.
# A program, not a test: it exits 0 whatever the figures are.
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
build=${CARELOG_BENCH_BUILD:-$root/build-bench}

for tool in git node npm /usr/bin/time faketime; do
	command -v "$tool" >/dev/null 2>&1 || {
		echo "bench/sync/run.sh: $tool is missing (Debian: git, nodejs, npm, time, faketime)" >&2
		exit 1
	}
done

# build output goes to stderr: stdout is the table (or the JSON) only
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCARELOG_BUILD_TESTS=OFF >&2
cmake --build "$build" --target carelog_cli carelog-fixtures -j 2 >&2

if [ ! -d "$root/bench/peers/node_modules" ]; then
	echo "bench/sync/run.sh: installing the PouchDB peer (npm ci in bench/peers)" >&2
	(cd "$root/bench/peers" && npm ci --no-audit --no-fund) >&2
fi

exec node "$root/bench/sync/syncbench.mjs" --carelog "$build/cli/carelog" \
	--fixtures "$build/fixtures/carelog-fixtures" "$@"
