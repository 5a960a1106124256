#!/usr/bin/env bash
# The clinical commands: due, adherence, steroids, trend, target set, alerts,
# rule set. stdout JSON read with jq, errors on stderr, exit codes. The
# numbers are the hand-computed ones of tests/engine/test_clinical.c's taper
# week. Sync (issue 4) does not exist yet: a double dose "arriving by sync"
# is simulated by importing a second caregiver's dose (own author and
# device) into the same store, which is what the merged chart would hold.
source "$(dirname "$0")/lib.sh" "$@"

section "setup"
run init --device anna-phone --author Anna
expect_ok
run patient add --name "Léo Martin" --born 2018-03-02 --weight-kg 25 --asplenic --timezone Europe/Paris
expect_id
P=$ID
run plan add "$P" --drug prednisone --dose 20 --unit mg --times 08:00 --start 2026-11-16 \
	--end 2026-11-30 --taper 2026-11-19:15,2026-11-22:10
expect_id
PLAN=$ID
dose() { # AMOUNT OUTCOME LOCAL-TIME
	run dose "$P" --drug prednisone --amount "$1" --unit mg --outcome "$2" --plan "$PLAN" --at "$3:00+01:00"
	expect_id
}
dose 20 given 2026-11-16T08:05
dose 20 given 2026-11-17T07:10
dose 20 missed 2026-11-18T08:00
MISSED=$ID
dose 15 given 2026-11-19T10:30
dose 15 given 2026-11-20T08:20
dose 20 given 2026-11-21T08:00
MISMATCH=$ID
dose 10 given 2026-11-22T07:45

section "adherence: a taper week with one missed and one late dose"
run adherence "$P" --from 2026-11-16 --to 2026-11-23 --at 2026-11-25T12:00:00Z --json
expect_ok
expect_json 'length' 1
expect_json '.[0] | "\(.drug) \(.scheduled) \(.given) \(.late) \(.missed) \(.extra) \(.percent)"' \
	"prednisone 7 5 1 1 0 71.4"
expect_json '.[0].mismatches | length' 1
expect_json '.[0].mismatches[0] | "\(.dose) \(.amount) \(.expected) \(.slot)"' "$MISMATCH 20 15 2026-11-21T08:00"
expect_json '.[0].missed_slots | map("\(.slot) \(.outcome)") | join(",")' "2026-11-18T08:00 missed"
expect_json '.[0].late_slots | map(.slot) | join(",")' "2026-11-19T08:00"
expect_json '.[0].late_slots[0].dose != null' true
run adherence "$P" --at 2026-11-25T12:00:00Z --json
expect_json '.[0] | "\(.scheduled) \(.given) \(.late) \(.missed) \(.percent)"' "10 5 1 4 50"
# the 23rd to the 25th: nothing logged
expect_json '.[0].missed_slots | map("\(.slot) \(.dose) \(.outcome)") | join(",")' \
	"2026-11-18T08:00 $MISSED missed,2026-11-23T08:00 null null,2026-11-24T08:00 null null,2026-11-25T08:00 null null"
run adherence "$P" --drug PREDNISONE --from 2026-11-16 --to 2026-11-23 --at 2026-11-25T12:00:00Z
expect_ok
expect_stdout_re '^prednisone +7 +5 +1 +1 +0 +71\.4%$'
expect_stdout_re "^amount: prednisone 20 mg logged for the 2026-11-21T08:00 slot, 15 mg expected \(dose $MISMATCH\)$"
run adherence "$P" --drug sirolimus --json
expect_ok
expect_stdout_eq '[]'

section "due"
run due "$P" --at 2026-11-23T09:30:00Z --json
expect_ok
expect_json '.[0] | "\(.plan) \(.drug) \(.dose_now) \(.unit) \(.window_minutes)"' "$PLAN prednisone 10 mg 60"
expect_json '.[0].next | "\(.local) \(.time) \(.dose) \(.due_now)"' "2026-11-24T08:00 2026-11-24T07:00:00Z 10 false"
expect_json '.[0].overdue | map(.local) | join(",")' "2026-11-23T08:00"
run due "$P" --at 2026-11-23T07:30:00Z
expect_ok
expect_stdout_re '^  due now: 2026-11-23T08:00  10 mg$'

section "steroids"
run measure "$P" --code weight --value 20 --at 2026-11-21T06:00:00Z
expect_id
run dose "$P" --drug dexamethasone --amount 0.75 --unit mg --at 2026-11-22T12:00:00Z
expect_id
run steroids "$P" --from 2026-11-16 --to 2026-11-23 --at 2026-11-22T12:00:00Z --json
expect_ok
# 100 mg prednisone + 0.75 mg dexamethasone (= 5 mg prednisone); the 20 kg
# reading is the only weight measurement, so it is the weight nearest every
# dose (the patient's weight_kg is the fallback): 105 / 20 = 5.25 mg/kg
expect_json '.prednisone_equivalent_mg' 105
expect_json '.mg_per_kg' 5.25
expect_json '.days' 6
expect_json '.by_drug | map("\(.drug):\(.prednisone_equivalent_mg)") | join(",")' "dexamethasone:5,prednisone:100"
expect_json '.current_daily_mg' 10
expect_json '.current_daily_mg_per_kg' 0.5
run steroids "$P" --from 2026-11-16 --to 2026-11-23 --at 2026-11-22T12:00:00Z
expect_ok
expect_stdout_re '^Cumulative corticosteroid dose: 105 mg prednisone equivalent \(5\.25 mg/kg\), on 6 days$'

section "trend and target"
run measure "$P" --code platelets --value 120 --at 2026-11-20T08:00:00Z
expect_id
run measure "$P" --code platelets --value 45 --low 150 --high 400 --at 2026-11-24T08:00:00Z
expect_id
PLT=$ID
run trend "$P" --code platelets --json
expect_ok
expect_json 'map("\(.value) \(.flag) \(.range.source) \(.change)") | join(",")' \
	"120 low default null,45 low report -75"
run target set "$P" --code platelets --low 30 --high 400
expect_id
TARGET=$ID
run trend "$P" --code platelets --json
expect_json 'map("\(.flag) \(.range.source) \(.range.low)") | join(",")' "normal target 30,normal target 30"
run trend "$P" --code platelets --from 2026-11-21
expect_ok
expect_stdout_re "^2026-11-24T08:00:00Z  45 10\*3/uL  normal  \(target 30-400\)  \($PLT\)$"

section "alerts"
run measure "$P" --code temperature --value 38.3 --at 2026-11-24T21:00:00+01:00
expect_id
FEVER=$ID
run alerts "$P" --at 2026-11-24T21:30:00Z --json
expect_ok
expect_json '.[0] | "\(.rule) \(.severity) \(.records | join(","))"' "fever urgent $FEVER"
expect_json '.[0].message | test("no working spleen")' true
expect_json 'map(.rule) | index("platelets-low") != null' true
expect_json 'map(select(.rule == "platelets-low"))[0].records[0]' "$PLT"
expect_json 'all(.[]; has("rule") and has("severity") and has("message") and has("records"))' true
run alerts "$P" --at 2026-11-24T21:30:00Z
expect_ok
expect_stdout_re '^URGENT   Fever: 38\.3 °C on 2026-11-24 at 21:00\.'

section "a voided record drops its alert"
run void "$FEVER" --reason "thermometer error"
expect_id
run alerts "$P" --at 2026-11-24T21:30:00Z --json
expect_json 'map(select(.rule == "fever")) | length' 0

section "rule set"
run rule set "$P" platelets-low --off
expect_id
run alerts "$P" --at 2026-11-24T21:30:00Z --json
expect_json 'map(select(.rule == "platelets-low")) | length' 0
run rule set "$P" platelets-low --threshold 60 --severity urgent
expect_id
run alerts "$P" --at 2026-11-24T21:30:00Z --json
expect_json 'map(select(.rule == "platelets-low"))[0].severity' urgent
run rule list "$P" --json
expect_ok
expect_json 'length' 10
expect_json 'map(select(.rule == "platelets-low"))[0] | "\(.enabled) \(.threshold) \(.severity) \(.lookback_days) \(.record != null)"' \
	"true 60 urgent 7 true"
expect_json 'map(select(.rule == "fever"))[0] | "\(.enabled) \(.threshold) \(.severity) \(.lookback_days) \(.record)"' \
	"true 38 warning 7 null"
run rule list "$P"
expect_ok
expect_stdout_re '^steroid-stop +yes +21  warning +7 d  default$'
snapshot "$P"
run rule set "$P" glucose-high
expect_usage "^carelog: rule 'glucose-high' is not one of platelets-low, "
run rule set "$P" fever --severity loud
expect_usage "severity 'loud' is not one of info, warning, urgent"
run rule set "$P" fever --lookback-days 0
expect_usage "lookback-days"
run target set "$P" --code platelets
expect_usage "^carelog: a target needs low, high or both$"
run target set "$P" --code glucose --low 1
expect_usage "is not a measurement code"
expect_unchanged

section "targets and rule settings are on the timeline"
run timeline "$P" --kind target
expect_ok
expect_stdout_re "  target       platelets 30-400  \($TARGET\)$"
run timeline "$P" --kind rule
expect_ok
expect_stdout_re "  rule         platelets-low off  \([0-9a-f-]{36}\)$"
expect_stdout_re "  rule         platelets-low threshold 60 severity urgent  \([0-9a-f-]{36}\)$"
run timeline "$P" --kind rule --json
expect_json 'map("\(.rule) \(.enabled)") | join(",")' "platelets-low false,platelets-low true"

section "a double dose arriving by sync"
# Marc's phone logged the 24th's dose too; the charts merged.
cat >"$TMP/marc.jsonl" <<EOF
{"kind":"dose","patient":"$P","time":"2026-11-24T08:02:00+01:00","drug":"prednisone","amount":10,"unit":"mg","plan":"$PLAN","author":"Anna","device":"phone-anna"}
{"kind":"dose","patient":"$P","time":"2026-11-24T08:09:00+01:00","drug":"prednisone","amount":10,"unit":"mg","plan":"$PLAN","author":"Marc","device":"phone-marc"}
EOF
run import "$TMP/marc.jsonl"
expect_ok
expect_stdout_eq 2
run adherence "$P" --from 2026-11-24 --to 2026-11-25 --at 2026-11-24T12:00:00Z --json
expect_json '.[0] | "\(.scheduled) \(.given) \(.extra)"' "1 1 1"
run alerts "$P" --at 2026-11-24T12:00:00Z --json
expect_json 'map(select(.rule == "double-dose")) | length' 1
expect_json 'map(select(.rule == "double-dose"))[0] | "\(.severity) \(.records | length)"' "warning 2"
expect_json 'map(select(.rule == "double-dose"))[0].message | test("Marc")' true
SECOND=$(jq -r 'map(select(.rule == "double-dose"))[0].records[1]' "$TMP/.out")
run steroids "$P" --from 2026-11-24 --to 2026-11-25 --at 2026-11-24T12:00:00Z --json
expect_json '.prednisone_equivalent_mg' 20
run void "$SECOND" --reason "the same dose logged on both phones"
expect_id
run alerts "$P" --at 2026-11-24T12:00:00Z --json
expect_json 'map(select(.rule == "double-dose")) | length' 0
run steroids "$P" --from 2026-11-24 --to 2026-11-25 --at 2026-11-24T12:00:00Z --json
expect_json '.prednisone_equivalent_mg' 10

section "errors"
run adherence 01a9a0d0-0000-7000-8000-00000000ffff
expect_failure "^carelog: no patient 01a9a0d0-0000-7000-8000-00000000ffff"
run due not-an-id
expect_usage "patient"
run adherence "$P" --at yesterday
expect_usage "^carelog: at 'yesterday' is not an RFC 3339 time"
run steroids "$P" --from 2026-02-30
expect_usage "^carelog: from '2026-02-30' is not a date"
run adherence "$P" --from 2026-11-20 --to 2026-11-10
expect_usage "^carelog: to 2026-11-10 is before from 2026-11-20$"
run trend "$P"
expect_usage "code is required"
run trend "$P" --code glucose
expect_usage "^carelog: code 'glucose' is not a measurement code$"
run alerts
expect_usage "missing PATIENT"
run alerts "$P" --bogus
expect_usage "unknown option '--bogus'"

section "--help"
for c in due adherence steroids trend alerts "target set" "rule set" "rule list"; do
	# shellcheck disable=SC2086
	run $c --help
	expect_ok
	expect_stdout_re "^usage: carelog $c "
done
run rule --help
expect_ok
expect_stdout_re '^usage: carelog rule set '
expect_stdout_re '^usage: carelog rule list '
run --help
expect_stdout_re '^  adherence +how many scheduled doses'

section "check"
run check
expect_ok

finish
