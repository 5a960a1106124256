#!/usr/bin/env bash
# Exit 1 (failures other than bad input): init on an existing store leaves it
# untouched; unknown patient; unknown record; a directory that is no store;
# an unreadable import file.
source "$(dirname "$0")/lib.sh" "$@"

# Every file of the store with its content hash and mode.
tree_sums() {
	(cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum;
	 find . -printf '%p %m %y\n' | LC_ALL=C sort)
}

section "init twice"
run init --device first --author Anna
expect_ok
run patient add --name Tom
expect_id
P=$ID
run dose "$P" --drug x --amount 1 --unit mg --at 2026-11-20T08:00:00Z
expect_id
D=$ID
DEVICE_JSON=$(cat "$STORE/device.json")
tree_sums "$STORE" >"$TMP/sums-before"
run init
expect_failure "already holds a carelog store"
run init --device second --author Bob --role clinician
expect_failure "already holds a carelog store"
tree_sums "$STORE" >"$TMP/sums-after"
check "init on an existing store changed no file: $(diff "$TMP/sums-before" "$TMP/sums-after" | head)" \
	cmp -s "$TMP/sums-before" "$TMP/sums-after"
assert_eq "$(cat "$STORE/device.json")" "$DEVICE_JSON" "device.json after init twice"
run show "$D" --json
expect_ok
expect_json '.author' Anna
run dose "$P" --drug x --amount 1 --unit mg --at 2026-11-20T09:00:00Z
expect_id
run show "$ID" --json
expect_json '.author' Anna
expect_json '.device | startswith("first")' true
# a store directory that exists but holds only the charts (device.json lost)
# is not silently re-initialised over them either
mkdir -p "$TMP/half/charts/x.git"
run_raw --store "$TMP/half" init
if [ "$RC" -eq 0 ]; then
	check "init over a directory holding charts/ keeps them" test -d "$TMP/half/charts/x.git"
else
	expect_failure .
fi

section "unknown patient (valid id, not in this store)"
U=0194f3a2-7c1d-7e55-8a10-3b2c4d5e6f70
snapshot "$P"
run dose "$U" --drug x --amount 1 --unit mg
expect_failure "no patient $U"
run plan add "$U" --drug x --dose 1 --unit mg
expect_failure "no patient $U"
run symptom "$U" --code fever --severity 1
expect_failure "no patient $U"
run measure "$U" --code platelets --value 100
expect_failure "no patient $U"
run note "$U" "hello"
expect_failure "no patient $U"
run timeline "$U"
expect_failure "no patient $U"
run timeline "$U" --json
expect_failure "no patient $U"
# a record id that is not a patient's
run timeline "$D" --json
expect_failure "no patient $D"
run dose "$D" --drug x --amount 1 --unit mg
expect_failure "no patient $D"
expect_unchanged

section "unknown record"
run show "$U"
expect_failure "no record $U"
run show "$U" --json
expect_failure "no record $U"
run show "$U" --history
expect_failure "no record $U"
run show "$U" --history --json
expect_failure "no record $U"
run amend "$U" --set amount=2
expect_failure "no record $U"
run void "$U" --reason "wrong"
expect_failure "no record $U"
run dose "$P" --drug x --amount 1 --unit mg --plan "$U"
expect_failure "plan $U"
expect_unchanged
# (a record that exists but is no plan is invalid input: exit 2)
run dose "$P" --drug x --amount 1 --unit mg --plan "$D"
expect_usage "plan $D is not a plan"
expect_unchanged

section "not a store"
mkdir -p "$TMP/empty"
for cmd in "patient list" "check" "show $D" "timeline $P" "dose $P --drug x --amount 1 --unit mg"; do
	# shellcheck disable=SC2086
	run_raw --store "$TMP/empty" $cmd
	expect_failure "is not a carelog store"
	check "'$cmd' on a non-store created nothing" test -z "$(ls -A "$TMP/empty")"
done
# shellcheck disable=SC2086
run_raw --store "$TMP/does/not/exist" patient list
expect_failure "is not a carelog store"
check "no directory was created for a missing store" test ! -e "$TMP/does"

section "import: unreadable file"
run import "$TMP/no-such-file.jsonl"
expect_failure "^carelog: cannot open '$TMP/no-such-file.jsonl': No such file or directory$"
expect_unchanged

section "store locked by another writer"
if flock --help 2>&1 | grep -q -- --no-fork; then
	snapshot "$P"
	# hold the writers' lock (flock(2) on <store>/lock) as another writer would
	flock --no-fork "$STORE/lock" sleep 60 &
	holder=$!
	for _ in $(seq 100); do
		flock -n "$STORE/lock" true 2>/dev/null || break
		sleep 0.05
	done
	t0=$(date +%s%N)
	CARELOG_LOCK_TIMEOUT_MS=300 run dose "$P" --drug x --amount 1 --unit mg
	t=$(( ($(date +%s%N) - t0) / 1000000 ))
	expect_failure "busy"
	check "the write waited about the lock timeout (took $t ms)" test "$t" -ge 300 -a "$t" -lt 5000
	CARELOG_LOCK_TIMEOUT_MS=300 run amend "$D" --set amount=3
	expect_failure "busy"
	CARELOG_LOCK_TIMEOUT_MS=300 RUN_STDIN=/dev/stdin run import - <<<"{\"kind\":\"note\",\"patient\":\"$P\",\"text\":\"x\"}"
	expect_failure "busy"
	# readers are not blocked by a writer
	run timeline "$P" --json
	expect_ok
	expect_unchanged
	kill "$holder" 2>/dev/null
	wait "$holder" 2>/dev/null
	run dose "$P" --drug x --amount 1 --unit mg
	expect_id
else
	echo "(flock --no-fork not available: lock test skipped)"
fi

section "store still sound"
run check
expect_ok

finish
