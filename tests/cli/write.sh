#!/usr/bin/env bash
# Happy paths of every command: init, patient add/list, plan add, dose,
# symptom, measure, note, timeline, show, check. Creating commands print the
# id alone; what they stored is read back with show --json.
source "$(dirname "$0")/lib.sh" "$@"

section "init"
run init --device anna-phone --author "Anna B" --role caregiver
expect_ok
expect_stdout_re "^Initialized carelog store in $STORE "
check "init created device.json" test -f "$STORE/device.json"
check "init created charts/" test -d "$STORE/charts"
run check
expect_ok
expect_stdout_empty

section "patient add / list"
run patient add --name "Tom B" --born 2018-03-04 --weight-kg 21.5 --asplenic --timezone Europe/Paris
expect_id
P=$ID
run show "$P" --json
expect_ok
expect_json '.kind' patient
expect_json '.id == .patient' true
expect_json '.id' "$P"
expect_json '.name' "Tom B"
expect_json '.born' 2018-03-04
expect_json '.weight_kg' 21.5
expect_json '.asplenic' true
expect_json '.timezone' Europe/Paris
expect_json '.author' "Anna B"
expect_json '.device | test("^anna-phone")' true
expect_json '.status' active
check "patient chart created" git --git-dir "$STORE/charts/$P.git" rev-parse -q --verify main

run patient add --name "Ada B"
expect_id
P2=$ID
run show "$P2" --json
expect_json '.asplenic' false
expect_json '.timezone' UTC
expect_json 'has("born") or has("weight_kg")' false

run patient list
expect_ok
assert_eq "$OUT" "$P2  Ada B
$P  Tom B  born 2018-03-04" "patient list (ordered by name)"
run patient list --json
expect_ok
expect_json 'length' 2
expect_json '[.[].id] | join(" ")' "$P2 $P"
expect_json '.[1].name' "Tom B"

section "plan add"
run plan add "$P" --drug " Sirolimus " --dose 1.5 --unit mg --route oral \
	--times 20:00,08:00 --start 2026-11-01 --end 2026-12-31 \
	--taper 2026-12-01:1,2026-12-15:0.5
expect_id
PLAN=$ID
run show "$PLAN" --json
expect_json '.kind' plan
expect_json '.patient' "$P"
expect_json '.drug' sirolimus
expect_json '.dose' 1.5
expect_json '.unit' mg
expect_json '.route' oral
expect_json '.times | join(",")' 08:00,20:00
expect_json '.start' 2026-11-01
expect_json '.end' 2026-12-31
expect_json '.taper | map("\(.date):\(.dose)") | join(",")' "2026-12-01:1,2026-12-15:0.5"
run plan add "$P" --drug prednisone --dose 10 --unit mg --route iv --start 2026-11-01 --window-minutes 30
expect_id
PLAN2=$ID
run show "$PLAN2" --json
expect_json '.route' iv
expect_json '.window_minutes' 30
expect_json 'has("times") or has("end") or has("taper")' false

section "dose"
run dose "$P" --drug Sirolimus --amount 1.5 --unit mg --at 2026-11-20T08:05:00Z --plan "$PLAN" --note "with breakfast"
expect_id
D1=$ID
run show "$D1" --json
expect_json '.kind' dose
expect_json '.drug' sirolimus
expect_json '.amount' 1.5
expect_json '.unit' mg
expect_json '.outcome' given
expect_json '.plan' "$PLAN"
expect_json '.note' "with breakfast"
expect_json '.time' 2026-11-20T08:05:00Z
run dose "$P" --drug sirolimus --amount 0 --unit mg --outcome missed --at 2026-11-20T21:00:00+01:00
expect_id
D2=$ID
run show "$D2" --json
expect_json '.outcome' missed
expect_json '.amount' 0
expect_json '.time' 2026-11-20T20:00:00Z
for o in refused held; do
	run dose "$P" --drug=prednisone --amount=10 --unit=mg --outcome=$o --at=2026-11-21T08:00:00Z
	expect_id
	run show "$ID" --json
	expect_json '.outcome' $o
done
for u in g mcg mL mg/kg mg/m2 units tablet; do
	run dose "$P2" --drug x --amount 1 --unit "$u" --at 2026-11-01T00:00:00Z
	expect_id
done
# no --at: now
before=$(date -u +%s)
run dose "$P2" --drug x --amount 2 --unit mg
expect_id
run show "$ID" --json
t=$(date -u -d "$(jq -r .time "$TMP/.out")" +%s 2>/dev/null || echo 0)
check "dose without --at is stamped now (got $(jq -r .time "$TMP/.out"))" test "$t" -ge $((before - 2)) -a "$t" -le $(($(date -u +%s) + 2))

section "symptom"
run symptom "$P" --code fever --severity 4 --at 2026-11-20T09:00:00+01:00 --note "38.9 at night"
expect_id
S1=$ID
run show "$S1" --json
expect_json '.kind' symptom
expect_json '.code' fever
expect_json '.severity' 4
expect_json '.severity | type' number
expect_json '.note' "38.9 at night"
expect_json '.time' 2026-11-20T08:00:00Z
run symptom "$P" --code other --severity 0 --note "itchy eyes" --at 2026-11-20T10:00:00Z
expect_id
run symptom "$P" --code swollen-nodes --severity 10 --at 2026-11-20T11:00:00Z
expect_id
run symptom "$P" --code fatigue --severity 3.0 --at 2026-11-20T11:00:00Z
expect_id
run show "$ID" --json
expect_json '.severity' 3

section "measure"
run measure "$P" --code platelets --value 80 --low 150 --high 400 --at 2026-11-20T12:00:00Z --note "CBC"
expect_id
M1=$ID
run show "$M1" --json
expect_json '.kind' measurement
expect_json '.code' platelets
expect_json '.value' 80
expect_json '.unit' '10*3/uL'
expect_json '.loinc' 777-3
expect_json '.range.low' 150
expect_json '.range.high' 400
expect_json 'has("entered")' false
run measure "$P" --code dnt --value 4.2 --at 2026-11-20T12:00:00Z
expect_id
run show "$ID" --json
expect_json '.unit' %
expect_json 'has("loinc")' false
run measure "$P" --code platelets --value 80 --low 150 --at 2026-11-20T12:30:00Z
expect_id
run show "$ID" --json
expect_json '.range | keys | join(",")' low
expect_json '.time' 2026-11-20T12:30:00Z
run measure "$P" --code hemoglobin --value 9.5 --high 16 --at 2026-11-20T12:30:00Z
expect_id
run show "$ID" --json
expect_json '.range | keys | join(",")' high

section "note"
run note "$P" "first
line two" --at 2026-11-19T10:00:00Z
expect_id
N1=$ID
run show "$N1" --json
expect_json '.kind' note
expect_json '.text' "first
line two"
run note "$P" -- "--starts with dashes" --at 2026-11-19T10:00:00Z
# options after -- are positional: this must be a usage error, not a note
expect_usage "unexpected argument"
run note "$P" --at 2026-11-19T11:00:00Z -- "--starts with dashes"
expect_id
run show "$ID" --json
expect_json '.text' "--starts with dashes"

section "timeline"
run timeline "$P" --json
expect_ok
expect_json 'map(.kind) | unique | join(",")' dose,measurement,note,plan,symptom
expect_json '[.[] | select(.kind == "patient")] | length' 0
# oldest first, by time then id
expect_json '(map([.time, .id]) | . == sort)' true
expect_json 'map(.id) | (index("'"$N1"'") < index("'"$S1"'")) and (index("'"$S1"'") < index("'"$D1"'")) and (index("'"$D1"'") < index("'"$M1"'"))' true
n_all=$(jq length "$TMP/.out")
run timeline "$P" --json --kind dose
expect_ok
expect_json 'length' 4
expect_json 'map(.kind) | unique | join(",")' dose
run timeline "$P" --json --since 2026-11-20T08:00:00Z --until 2026-11-20T12:00:00Z
expect_ok
expect_json 'map(.time >= "2026-11-20T08:00:00Z" and .time < "2026-11-20T12:00:00Z") | all' true
expect_json 'map(.id) | index("'"$S1"'") != null' true
expect_json 'map(.id) | index("'"$M1"'") == null' true
expect_json 'map(.id) | index("'"$D1"'") != null' true
run timeline "$P" --json --since 2026-11-20T09:00:00+01:00 --until 2026-11-20T08:00:01Z
expect_ok
expect_json 'map(.id) | join(",")' "$S1"
run timeline "$P"
expect_ok
assert_eq "$(wc -l <"$TMP/.out")" "$n_all" "text timeline: one line per record"
expect_stdout_re "^2026-11-19T10:00:00Z  note +first line two  \($N1\)$"
expect_stdout_re "^2026-11-20T08:05:00Z  dose +sirolimus 1.5 mg given - with breakfast  \($D1\)$"
run timeline "$P2" --json --kind note
expect_ok
expect_stdout_eq "[]"

section "show"
run show "$D1"
expect_ok
check "show prints indented JSON" jq -e ".id == \"$D1\"" "$TMP/.out"
expect_stdout_re '^  "drug": "sirolimus",$'
run show "$D1" --json
expect_ok
assert_eq "$(wc -l <"$TMP/.out")" 1 "show --json is one line"
# canonical JSON: sorted keys, compact
check "show --json is canonical (sorted keys, compact)" \
	test "$(jq -cS . "$TMP/.out")" == "$OUT"
run show "$D1" --history --json
expect_ok
expect_json 'length' 1
expect_json '.[0].id' "$D1"
run show "$D1" --history
expect_ok
expect_stdout_re '^[0-9T:.-]+Z-[0-9]{4}  [0-9a-f]{12}  active  Anna B$'

section "check"
run check
expect_ok
expect_stdout_empty

finish
