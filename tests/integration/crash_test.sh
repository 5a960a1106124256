#!/usr/bin/env bash
# Crash test: a writer (a bash loop of `carelog dose`, or of `carelog import`
# of 20-record chunks; in some rounds a reader rebuilding a deleted index) is
# SIGKILLed, with everything it started, at a random instant, round after
# round. After every kill:
#   - every id the writer saw acknowledged (the command returned 0) is there
#     (`carelog show ID` exits 0, and `timeline --json` lists it);
#   - an import chunk cut short is all there or not at all (batches are atomic);
#   - `carelog check` exits 0;
#   - the next write succeeds at once (no stale lock blocks it).
# Sometimes carelog.db is deleted between rounds, to be rebuilt.
#
#   crash_test.sh PATH-TO-carelog
#   env: CARELOG_CRASH_SEED (default: from the clock, printed),
#        CARELOG_CRASH_ROUNDS (default 50)
source "$(dirname "$0")/../cli/lib.sh" "$@"

SEED=${CARELOG_CRASH_SEED:-$(( $(date +%s%N) / 1000 % 32768 ))}
ROUNDS=${CARELOG_CRASH_ROUNDS:-50}
RANDOM=$SEED
echo "crash test: seed $SEED (rerun with CARELOG_CRASH_SEED=$SEED), $ROUNDS rounds"
ID_ERE='[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}'
CHUNK=20

section "setup"
run init --device crash --author crash
expect_ok
run patient add --name "Crash Test"
expect_id
P=$ID
[ -n "$P" ] || finish

: >"$TMP/acked"          # every acknowledged id so far
W=$TMP/w                 # the writer's files
mkdir -p "$W"

# The writer loops: append an id to $W/log only after its command returned 0.
dose_writer() {
	local n=0 id rc
	while :; do
		n=$((n + 1))
		id=$("$CL" --store "$STORE" dose "$P" --drug crashol --amount "$n" --unit mg 2>>"$W/err")
		rc=$?
		if [ $rc -eq 0 ]; then
			printf '%s\n' "$id" >>"$W/log"
		else
			echo "dose failed: exit $rc" >>"$W/fail"
		fi
	done
}
import_writer() {
	local round=$1 c=0 i out rc
	while :; do
		c=$((c + 1))
		for ((i = 0; i < CHUNK; i++)); do
			printf '{"kind":"dose","id":"01a1f7f8-3000-7%03x-8%03x-%012x","patient":"%s","time":"2026-11-20T08:00:00Z","drug":"crashol","amount":%d,"unit":"mg"}\n' \
				"$round" "$c" "$i" "$P" "$i"
		done >"$W/chunk.$c"
		echo "$c" >"$W/started"
		out=$("$CL" --store "$STORE" import "$W/chunk.$c" 2>>"$W/err")
		rc=$?
		if [ $rc -eq 0 ] && [ "$out" = "$CHUNK" ]; then
			echo "chunk $c" >>"$W/log"
		else
			echo "import failed: exit $rc, printed '$out'" >>"$W/fail"
		fi
	done
}

# Rebuilds the index from scratch, again and again (a reader killed while
# it catches up must leave an index the next command can use or redo).
rebuild_reader() {
	while :; do
		rm -f "$STORE/carelog.db" "$STORE/carelog.db-wal" "$STORE/carelog.db-shm"
		"$CL" --store "$STORE" timeline "$P" --json >/dev/null 2>>"$W/err" || echo "timeline failed: exit $?" >>"$W/fail"
	done
}

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

max_next_ms=0
leftovers=0
left_before=0
rebuilds=0
imports=0
readers=0
acked_total=0
for ((round = 1; round <= ROUNDS; round++)); do
	section "round $round"
	rm -rf "$W" && mkdir -p "$W"
	: >"$W/log"
	mode=dose
	case $((RANDOM % 6)) in
	0 | 1) mode=import && imports=$((imports + 1)) ;;
	2) mode=rebuild && readers=$((readers + 1)) ;;
	esac
	delay=$((20 + RANDOM % 281))
	set -m   # the writer gets its own process group: kill it and its children
	case $mode in
	dose) dose_writer & ;;
	import) import_writer "$round" & ;;
	rebuild) rebuild_reader & ;;
	esac
	wpid=$!
	set +m
	sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
	kill -KILL -- "-$wpid" 2>/dev/null
	{ wait "$wpid"; } 2>/dev/null
	# nothing of the writer may survive
	if pgrep -g "$wpid" >/dev/null 2>&1; then
		sleep 0.2
		kill -KILL -- "-$wpid" 2>/dev/null
	fi

	# what the kill left behind in the chart (lock files, temporary packs)
	left=$(find "$STORE/charts/$P.git" \( -name '*.lock' -o -name 'tmp_*' -o -name '*.tmp' -o -name 'pack_git2_*' \) | wc -l)
	[ "$left" -gt "$left_before" ] && leftovers=$((leftovers + 1))
	left_before=$left

	if [ -s "$W/fail" ]; then
		fail "round $round ($mode, killed after ${delay} ms): a write failed before the kill: $(head -3 "$W/fail"); stderr: $(head -3 "$W/err")"
	fi

	# this round's acknowledged ids
	: >"$W/new"
	if [ $mode = dose ]; then
		grep -Ex "$ID_ERE" "$W/log" >"$W/new"
	elif [ $mode = import ]; then
		for c in $(sed -n 's/^chunk \([0-9]*\)$/\1/p' "$W/log"); do
			grep -Eo "\"id\":\"$ID_ERE\"" "$W/chunk.$c" | cut -d'"' -f4 >>"$W/new"
		done
	fi
	cat "$W/new" >>"$TMP/acked"

	if [ $((RANDOM % 4)) -eq 0 ]; then
		rm -f "$STORE/carelog.db" "$STORE/carelog.db-wal" "$STORE/carelog.db-shm"
		rebuilds=$((rebuilds + 1))
	fi

	# ids acknowledged this round: show exits 0 (at most 3 per round; the
	# timeline below covers them all)
	for id in $(head -3 "$W/new"); do
		run show "$id" --json
		if [ "$RC" -ne 0 ]; then
			fail "round $round ($mode, killed after ${delay} ms): acknowledged $id is missing"
		else
			pass
		fi
	done

	# every id acknowledged so far is in the timeline
	run timeline "$P" --json --kind dose
	expect_ok
	jq -r '.[].id' "$TMP/.out" 2>/dev/null | LC_ALL=C sort >"$W/present"
	LC_ALL=C sort -u "$TMP/acked" >"$W/acked-sorted"
	missing=$(LC_ALL=C comm -23 "$W/acked-sorted" "$W/present" | head -5)
	if [ -z "$missing" ]; then pass; else
		fail "round $round ($mode, killed after ${delay} ms): acknowledged ids missing from the timeline: $missing"
	fi
	dups=$(uniq -d "$W/present" | head -3)
	[ -z "$dups" ] && pass || fail "round $round: ids listed twice in the timeline: $dups"

	# an import chunk cut short: all of it or none
	if [ $mode = import ] && [ -s "$W/started" ]; then
		c=$(cat "$W/started")
		if [ -f "$W/chunk.$c" ] && [ "$(wc -l <"$W/chunk.$c")" -eq $CHUNK ]; then
			grep -Eo "\"id\":\"$ID_ERE\"" "$W/chunk.$c" | cut -d'"' -f4 | LC_ALL=C sort >"$W/inflight"
			k=$(LC_ALL=C comm -12 "$W/inflight" "$W/present" | wc -l)
			if [ "$k" -eq 0 ] || [ "$k" -eq $CHUNK ]; then pass; else
				fail "round $round: import chunk $c cut short left $k of $CHUNK records (a batch must be atomic)"
			fi
		fi
	fi

	run check
	expect_ok

	# the next write succeeds, without waiting out a lock
	t0=$(now_ms)
	run dose "$P" --drug crashol --amount 0 --unit mg --note "after round $round"
	t=$(( $(now_ms) - t0 ))
	expect_id
	[ -n "$ID" ] && echo "$ID" >>"$TMP/acked"
	[ $t -gt $max_next_ms ] && max_next_ms=$t
	if [ $t -lt 8000 ]; then pass; else
		fail "round $round: the write after the kill took $t ms (a stale lock?)"
	fi
	acked_total=$(LC_ALL=C sort -u "$TMP/acked" | wc -l)
	echo "    $mode process killed after ${delay} ms; $(wc -l <"$W/new") acknowledged this round, $acked_total in all; ${left} temporary files in the chart; next write ${t} ms"
done

section "final"
run timeline "$P" --json --kind dose
expect_ok
jq -r '.[].id' "$TMP/.out" | LC_ALL=C sort >"$TMP/present"
missing=$(LC_ALL=C sort -u "$TMP/acked" | LC_ALL=C comm -23 - "$TMP/present" | wc -l)
assert_eq "$missing" 0 "acknowledged ids missing at the end"
check "at least one write was acknowledged per round" test "$acked_total" -ge "$ROUNDS"
check "git fsck of the chart" git --git-dir "$STORE/charts/$P.git" fsck --strict --no-progress
rm -f "$STORE/carelog.db" "$STORE/carelog.db-wal" "$STORE/carelog.db-shm"
run check
expect_ok
run timeline "$P" --json --kind dose
expect_ok
jq -r '.[].id' "$TMP/.out" | LC_ALL=C sort >"$TMP/present2"
check "the rebuilt index lists the same records" cmp -s "$TMP/present" "$TMP/present2"
echo "crash test: seed $SEED, $ROUNDS rounds ($imports import writers, $readers index-rebuilding readers), $rebuilds index deletions, $acked_total acknowledged ids, $leftovers kills left new lock/temporary files, slowest write after a kill ${max_next_ms} ms"
echo "files left in the chart: $(find "$STORE/charts/$P.git" \( -name '*.lock' -o -name 'tmp_*' -o -name '*.tmp' -o -name 'pack_git2_*' \) | sed "s|$STORE/charts/||" | tr '\n' ' ')"
finish
