#!/usr/bin/env bash
# amend writes a new version, void marks the record entered-in-error; show
# --history --json lists every version oldest first; a voided record leaves
# the timeline unless --all.
source "$(dirname "$0")/lib.sh" "$@"

section "setup"
run init --device dev --author Anna
expect_ok
run patient add --name Tom
expect_id
P=$ID
run dose "$P" --drug sirolimus --amount 1 --unit mg --at 2026-11-20T08:00:00Z
expect_id
D=$ID
run dose "$P" --drug sirolimus --amount 1 --unit mg --at 2026-11-21T08:00:00Z
expect_id
OTHER=$ID
H1=$(chart_head "$P")

section "amend: a second version"
run amend "$D" --set amount=2
expect_id
assert_eq "$OUT" "$D" "amend prints the record's id"
H2=$(chart_head "$P")
check "amend moved the chart head" test "$H2" != "$H1"
assert_eq "$(git --git-dir "$STORE/charts/$P.git" rev-parse "$H2^")" "$H1" "amend commit's parent"
run show "$D" --history --json
expect_ok
expect_json 'length' 2
expect_json 'map(.id) | unique | join(",")' "$D"
expect_json 'map(.amount) | join(",")' 1,2
expect_json 'map(.status) | join(",")' active,active
expect_json '.[0].hlc < .[1].hlc' true
run show "$D" --json
expect_json '.amount' 2

section "amend: same value again writes nothing"
run amend "$D" --set amount=2
expect_rc 0
assert_eq "$(chart_head "$P")" "$H2" "chart head after a no-op amend"
run show "$D" --history --json
expect_json 'length' 2

section "amend: several fields, JSON and plain-text values"
run amend "$OTHER" --set 'note=after breakfast' --set time=2026-11-21T08:30:00+01:00 --set outcome='"held"'
expect_id
run show "$OTHER" --history --json
expect_ok
expect_json 'length' 2
expect_json '.[1].note' "after breakfast"
expect_json '.[1].time' 2026-11-21T07:30:00Z
expect_json '.[1].outcome' held
expect_json '.[1].amount' 1
H3=$(chart_head "$P")

section "void: a third version, hidden from timeline"
run timeline "$P" --json
expect_json 'map(.id) | index("'"$D"'") != null' true
run void "$D" --reason "wrong child"
expect_id
assert_eq "$OUT" "$D" "void prints the record's id"
check "void moved the chart head" test "$(chart_head "$P")" != "$H3"
run show "$D" --history --json
expect_ok
expect_json 'length' 3
expect_json 'map(.status) | join(",")' active,active,entered-in-error
expect_json 'map(.amount) | join(",")' 1,2,2
expect_json '.[2].reason' "wrong child"
expect_json '[.[0:2][] | has("reason")] | any' false
expect_json '(map(.hlc) | . == sort)' true
run show "$D" --json
expect_json '.status' entered-in-error
run timeline "$P" --json
expect_ok
expect_json 'map(.id) | join(",")' "$OTHER"
run timeline "$P" --json --all
expect_ok
expect_json 'map(.id) | join(",")' "$D,$OTHER"
expect_json '.[0].status' entered-in-error
run timeline "$P" --json --kind dose
expect_json 'length' 1
run timeline "$P"
expect_ok
expect_stdout_not_re "$D"
run timeline "$P" --all
expect_ok
expect_stdout_re "\[entered-in-error: wrong child\]  \($D\)$"

section "history, text form"
run show "$D" --history
expect_ok
assert_eq "$(grep -Ec '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z-[0-9]{4}  [0-9a-f]{12}  (active|entered-in-error)  Anna$' "$TMP/.out")" 3 "history headers"

section "amending a patient and a plan"
run amend "$P" --set "name=Tom B" --set weight_kg=22
expect_id
run show "$P" --history --json
expect_json 'length' 2
expect_json '.[1].name' "Tom B"
expect_json '.[1].weight_kg' 22
run plan add "$P" --drug sirolimus --dose 1 --unit mg --start 2026-11-01 --times 08:00
expect_id
PLAN=$ID
run amend "$PLAN" --set 'times=["20:00","08:00"]'
expect_id
run show "$PLAN" --json
expect_json '.times | join(",")' 08:00,20:00

section "a patient entered in error takes no new records"
run patient add --name "Tom (enrolled twice)"
expect_id
DUP=$ID
run dose "$DUP" --drug sirolimus --amount 1 --unit mg --at 2026-11-20T08:00:00Z
expect_id
DUPDOSE=$ID
run void "$DUP" --reason "enrolled twice"
expect_ok
snapshot "$DUP"
run dose "$DUP" --drug sirolimus --amount 1 --unit mg
expect_usage "^carelog: patient $DUP was entered in error: it takes no new records$"
expect_unchanged
run note "$DUP" "a note"
expect_usage "entered in error"
printf '{"kind":"symptom","patient":"%s","code":"fever","severity":2,"time":"2026-11-22T08:00:00Z"}\n' "$DUP" >"$TMP/dup.jsonl"
run import "$TMP/dup.jsonl"
expect_usage "line 1: patient $DUP was entered in error"
expect_unchanged
# its existing records can still be corrected, and other patients written
run void "$DUPDOSE" --reason "belongs to Tom"
expect_ok
run show "$DUPDOSE" --json
expect_json '.status' "entered-in-error"
run dose "$P" --drug sirolimus --amount 1 --unit mg --at 2026-11-22T08:00:00Z
expect_id

section "check"
run check
expect_ok

finish
