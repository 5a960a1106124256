#!/usr/bin/env bash
# Concurrency test: two processes each log 200 doses, one `carelog dose` at a
# time, into ONE chart at the same time, while a third process keeps reading
# the timeline. Afterwards:
#   - every write exited 0 and printed an id (no "store busy", no lost CAS);
#   - the timeline holds exactly 400 new dose records, every printed id once;
#   - the chart history is linear with exactly 400 new commits;
#   - each reader pass exited 0 with a JSON array, never fewer records than
#     the pass before;
#   - `carelog check` exits 0.
#
#   concurrency_test.sh PATH-TO-carelog  (env: CARELOG_CONC_WRITES, default 200)
source "$(dirname "$0")/../cli/lib.sh" "$@"

N=${CARELOG_CONC_WRITES:-200}

section "setup"
run init --device conc --author conc
expect_ok
run patient add --name "Concurrent"
expect_id
P=$ID
[ -n "$P" ] || finish
run dose "$P" --drug before --amount 1 --unit mg --at 2026-11-01T00:00:00Z
expect_id
BASE_DOSES=1
HEAD0=$(chart_head "$P")

# writer NAME: N doses; ids to $TMP/ids.NAME, failures to $TMP/fail.NAME
writer() {
	local name=$1 i id rc
	: >"$TMP/ids.$name"
	: >"$TMP/fail.$name"
	for ((i = 1; i <= N; i++)); do
		id=$("$CL" --store "$STORE" dose "$P" --drug "conc-$name" --amount "$i" --unit mg 2>>"$TMP/err.$name")
		rc=$?
		if [ $rc -eq 0 ]; then
			printf '%s\n' "$id" >>"$TMP/ids.$name"
		else
			echo "write $i: exit $rc" >>"$TMP/fail.$name"
		fi
	done
}

# reader: timeline --json until $TMP/stop exists
reader() {
	local last=0 n rc passes=0
	: >"$TMP/fail.reader"
	while [ ! -e "$TMP/stop" ]; do
		"$CL" --store "$STORE" timeline "$P" --json --kind dose >"$TMP/reader.out" 2>>"$TMP/err.reader"
		rc=$?
		passes=$((passes + 1))
		if [ $rc -ne 0 ]; then
			echo "pass $passes: exit $rc" >>"$TMP/fail.reader"
			continue
		fi
		if ! n=$(jq 'if type == "array" then length else error("not an array") end' "$TMP/reader.out" 2>&1); then
			echo "pass $passes: not a JSON array: $n" >>"$TMP/fail.reader"
			continue
		fi
		if [ "$n" -lt "$last" ]; then
			echo "pass $passes: $n records after $last" >>"$TMP/fail.reader"
		fi
		last=$n
		sleep 0.5
	done
	echo "$passes" >"$TMP/reader.passes"
}

section "2 x $N writes at the same time"
t0=$(date +%s)
writer a &
wa=$!
writer b &
wb=$!
reader &
wr=$!
wait "$wa"
wait "$wb"
touch "$TMP/stop"
wait "$wr"
t1=$(date +%s)
echo "    writes took $((t1 - t0)) s; reader made $(cat "$TMP/reader.passes" 2>/dev/null) passes"

for w in a b; do
	if [ -s "$TMP/fail.$w" ]; then
		fail "writer $w: $(wc -l <"$TMP/fail.$w") writes failed: $(head -3 "$TMP/fail.$w"); stderr: $(sort "$TMP/err.$w" | uniq -c | sort -rn | head -3)"
	else
		pass
	fi
	assert_eq "$(grep -Ec "$ID_RE" "$TMP/ids.$w")" "$N" "ids printed by writer $w"
done
if [ -s "$TMP/fail.reader" ]; then
	fail "reader: $(head -3 "$TMP/fail.reader"); stderr: $(sort "$TMP/err.reader" | uniq -c | sort -rn | head -3)"
else
	pass
fi

section "exactly $((2 * N)) new doses, every printed id once"
cat "$TMP/ids.a" "$TMP/ids.b" | LC_ALL=C sort >"$TMP/printed"
assert_eq "$(LC_ALL=C sort -u "$TMP/printed" | wc -l)" $((2 * N)) "distinct ids printed"
run timeline "$P" --json --kind dose
expect_ok
expect_json 'length' $((2 * N + BASE_DOSES))
expect_json '[.[] | select(.drug == "conc-a")] | length' "$N"
expect_json '[.[] | select(.drug == "conc-b")] | length' "$N"
expect_json '[.[] | select(.drug == "conc-a") | .amount] | sort | . == [range(1; '"$N"' + 1)]' true
expect_json '[.[] | select(.drug == "conc-b") | .amount] | sort | . == [range(1; '"$N"' + 1)]' true
jq -r '.[].id' "$TMP/.out" | LC_ALL=C sort >"$TMP/present"
assert_eq "$(uniq -d "$TMP/present" | wc -l)" 0 "ids listed twice"
assert_eq "$(LC_ALL=C comm -23 "$TMP/printed" "$TMP/present" | wc -l)" 0 "printed ids missing from the timeline"
for id in $(shuf -n 5 --random-source=<(yes) "$TMP/printed"); do
	run show "$id" --json
	expect_ok
done

section "chart history"
G() { git --git-dir "$STORE/charts/$P.git" "$@"; }
assert_eq "$(G rev-list --count "$HEAD0..main")" $((2 * N)) "new commits on main"
assert_eq "$(G rev-list --min-parents=2 --count main)" 0 "merge commits"
check "the old head is an ancestor of main" G merge-base --is-ancestor "$HEAD0" main
check "git fsck of the chart" G fsck --strict --no-progress

section "check"
run check
expect_ok
rm -f "$STORE/carelog.db" "$STORE/carelog.db-wal" "$STORE/carelog.db-shm"
run timeline "$P" --json --kind dose
expect_ok
expect_json 'length' $((2 * N + BASE_DOSES))

finish
