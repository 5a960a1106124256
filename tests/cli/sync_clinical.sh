#!/usr/bin/env bash
# Two caregivers log the same morning dose offline on two phones, then sync
# through the clinic: after the real sync, every store counts it the same
# way and none silently: adherence has one given and one extra dose, the
# steroid exposure counts both (what the child may have received), and an
# alert names both records until one is voided, which also syncs.
source "$(dirname "$0")/lib.sh" "$@"

CLINIC=$TMP/clinic
A=$TMP/anna
B=$TMP/ben
on() { local s=$1; shift; run_raw --store "$s" "$@"; }
AT=2026-11-24T12:00:00Z

section "setup: a plan, two phones, a clinic"
on "$CLINIC" init --role clinic --device clinic
expect_ok
on "$A" init --device anna --author Anna
expect_ok
on "$B" init --device ben --author Ben
expect_ok
on "$A" patient add --name Leo --born 2018-03-02 --weight-kg 25 --timezone UTC
expect_id
P=$ID
on "$A" plan add "$P" --drug prednisone --dose 20 --unit mg --times 08:00 --start 2026-11-24
expect_id
on "$A" remote add clinic "$CLINIC/charts"
expect_ok
on "$B" remote add clinic "$CLINIC/charts"
expect_ok
on "$A" sync --quiet
expect_ok
on "$B" sync --patient "$P" --quiet
expect_ok

section "the same dose, logged offline on both phones"
on "$A" dose "$P" --drug prednisone --amount 20 --unit mg --at 2026-11-24T08:05:00Z
expect_id
DA=$ID
on "$B" dose "$P" --drug prednisone --amount 20 --unit mg --at 2026-11-24T08:12:00Z
expect_id
DB=$ID
for s in "$A" "$B" "$A"; do
	on "$s" sync --quiet
	expect_ok
done

section "every store counts it alike, and says so"
for s in "$A" "$B" "$CLINIC"; do
	on "$s" adherence "$P" --from 2026-11-24 --to 2026-11-25 --at "$AT" --json
	expect_ok
	expect_json '.[0] | [.scheduled, .given, .late, .missed, .extra] | map(tostring) | join(",")' "1,1,0,0,1"
	on "$s" steroids "$P" --from 2026-11-24 --to 2026-11-25 --json
	expect_ok
	expect_json '.prednisone_equivalent_mg' "40"
	on "$s" alerts "$P" --at "$AT" --json
	expect_ok
	expect_json "map(select(.rule == \"double-dose\")) | length" "1"
	expect_json "map(select(.rule == \"double-dose\"))[0].records | sort | join(\",\")" \
		"$(printf '%s\n' "$DA" "$DB" | sort | paste -sd,)"
done

section "one is voided on one phone; the alert clears everywhere after a sync"
on "$B" void "$DB" --reason "Anna had given it already"
expect_ok
on "$B" sync --quiet
expect_ok
on "$A" sync --quiet
expect_ok
for s in "$A" "$B" "$CLINIC"; do
	on "$s" alerts "$P" --at "$AT" --json
	expect_ok
	expect_json 'map(select(.rule == "double-dose")) | length' "0"
	on "$s" adherence "$P" --from 2026-11-24 --to 2026-11-25 --at "$AT" --json
	expect_json '.[0] | [.given, .extra] | map(tostring) | join(",")' "1,0"
done

finish
