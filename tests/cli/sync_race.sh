#!/usr/bin/env bash
# Two phones sync to one clinic folder at the same moment, again and again.
# A sync that exits 0 has put everything its phone held on the clinic's
# chart: neither push may drop the other's commits (the ref moves by
# compare-and-swap; a phone whose push lost the race fetches, merges and
# pushes again).
source "$(dirname "$0")/lib.sh" "$@"

CLINIC=$TMP/clinic
A=$TMP/a
B=$TMP/b
on() { local s=$1; shift; run_raw --store "$s" "$@"; }
ROUNDS=${CARELOG_RACE_ROUNDS:-8}

section "setup"
on "$CLINIC" init --role clinic --device clinic
expect_ok
on "$A" init --device a --author A
expect_ok
on "$B" init --device b --author B
expect_ok
on "$A" patient add --name Rosa
expect_id
P=$ID
on "$A" remote add clinic "$CLINIC/charts"
expect_ok
on "$B" remote add clinic "$CLINIC/charts"
expect_ok
on "$A" sync --quiet
expect_ok
on "$B" sync --patient "$P" --quiet
expect_ok
: >"$TMP/acked"

for ((r = 1; r <= ROUNDS; r++)); do
	section "round $r"
	for s in "$A" "$B"; do
		for _ in 1 2; do
			on "$s" dose "$P" --drug sirolimus --amount 1 --unit mg
			expect_id
			echo "$ID" >>"$TMP/acked"
		done
	done
	"$CL" --store "$A" sync --quiet >"$TMP/a.out" 2>&1 &
	pa=$!
	"$CL" --store "$B" sync --quiet >"$TMP/b.out" 2>&1 &
	pb=$!
	wait "$pa"
	ra=$?
	wait "$pb"
	rb=$?
	assert_eq "$ra,$rb" "0,0" "exit statuses of the two syncs ($(cat "$TMP/a.out" "$TMP/b.out"))"
	on "$CLINIC" timeline "$P" --json
	missing=0
	while read -r id; do
		jq -e --arg id "$id" 'any(.[]; .id == $id)' "$TMP/.out" >/dev/null || missing=$((missing + 1))
	done <"$TMP/acked"
	assert_eq "$missing" 0 "records the two syncs put on the clinic, missing from it"
done
on "$CLINIC" check
expect_ok

finish
