#!/usr/bin/env bash
# carelog.db is derived from the charts: deleted (with -wal/-shm) it is
# rebuilt on the next command, and every query answers byte for byte as
# before; an old copy of it catches up with the charts the same way; `check`
# is clean afterwards.
source "$(dirname "$0")/lib.sh" "$@"

# Every query output the index answers.
queries() {
	local p id
	for p in "$P" "$P2"; do
		"$CL" --store "$STORE" timeline "$p" --json
		"$CL" --store "$STORE" timeline "$p" --json --all
		"$CL" --store "$STORE" timeline "$p" --all
		"$CL" --store "$STORE" timeline "$p" --json --kind dose --since 2026-11-20T00:00:00Z --until 2026-11-21T00:00:00Z
	done
	"$CL" --store "$STORE" patient list --json
	"$CL" --store "$STORE" patient list
	for id in "${IDS[@]}"; do
		"$CL" --store "$STORE" show "$id" --history --json
	done
}

drop_index() {
	rm -f "$STORE/carelog.db" "$STORE/carelog.db-wal" "$STORE/carelog.db-shm" "$STORE/carelog.db-journal"
}

section "setup"
run init --author Anna
expect_ok
run patient add --name Tom --born 2018-03-04
expect_id
P=$ID
run patient add --name Ada
expect_id
P2=$ID
IDS=("$P" "$P2")
add() { run "$@"; expect_id; IDS+=("$ID"); }
add plan add "$P" --drug sirolimus --dose 1 --unit mg --start 2026-11-01 --times 08:00,20:00
for h in 06 08 10 12; do
	add dose "$P" --drug sirolimus --amount 1 --unit mg --at 2026-11-20T$h:00:00Z
	add dose "$P2" --drug prednisone --amount 5 --unit mg --at 2026-11-20T$h:00:00Z
done
add symptom "$P" --code fever --severity 5 --at 2026-11-20T07:00:00Z
add measure "$P" --code temperature --value 101.3 --unit '[degF]' --at 2026-11-20T07:05:00Z
add note "$P2" "same time as a dose" --at 2026-11-20T08:00:00Z
run amend "${IDS[3]}" --set amount=1.5
expect_ok
run void "${IDS[4]}" --reason "duplicate"
expect_ok
check "carelog.db exists" test -f "$STORE/carelog.db"
cp "$STORE/carelog.db" "$TMP/old.db"
queries >"$TMP/q1" 2>&1
check "queries ran" test -s "$TMP/q1"

section "delete carelog.db: rebuilt, byte-identical answers"
run timeline "$P" --json
TL1=$OUT
drop_index
run timeline "$P" --json
expect_ok
assert_eq "$OUT" "$TL1" "timeline --json after deleting carelog.db"
check "carelog.db was recreated" test -f "$STORE/carelog.db"
drop_index
queries >"$TMP/q2" 2>&1
if cmp -s "$TMP/q1" "$TMP/q2"; then pass; else
	fail "queries differ after a rebuild: $(diff "$TMP/q1" "$TMP/q2" | head -20)"
fi
drop_index
run check
expect_ok
expect_stdout_empty

section "an old carelog.db catches up"
add dose "$P" --drug sirolimus --amount 1 --unit mg --at 2026-11-21T08:00:00Z
add note "$P" "later" --at 2026-11-19T08:00:00Z
run amend "${IDS[5]}" --set amount=0 --set outcome=missed
expect_ok
run void "${IDS[6]}" --reason "wrong"
expect_ok
run amend "$P" --set "name=Tom B"
expect_ok
queries >"$TMP/q3" 2>&1
drop_index
cp "$TMP/old.db" "$STORE/carelog.db"
queries >"$TMP/q4" 2>&1
if cmp -s "$TMP/q3" "$TMP/q4"; then pass; else
	fail "queries differ after catching up from an old index: $(diff "$TMP/q3" "$TMP/q4" | head -20)"
fi
run check
expect_ok

finish
