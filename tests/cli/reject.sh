#!/usr/bin/env bash
# Exit 2 (bad usage or invalid input): one `carelog: <what>` line on stderr,
# nothing on stdout, and nothing written: after every rejected command the
# chart heads, the files under charts/, the patient list and the timelines
# (`timeline --json`, with and without --all) are exactly as before.
source "$(dirname "$0")/lib.sh" "$@"

section "setup"
run init --device dev --author tester
expect_ok
run patient add --name Tom
expect_id
P=$ID
run plan add "$P" --drug sirolimus --dose 1 --unit mg --start 2026-11-01
expect_id
PLAN=$ID
run dose "$P" --drug sirolimus --amount 1 --unit mg --at 2026-11-20T08:00:00Z
expect_id
D=$ID
run symptom "$P" --code fever --severity 2 --at 2026-11-20T08:00:00Z
expect_id
run note "$P" "a note" --at 2026-11-20T09:00:00Z
expect_id
VOIDED=$ID
run void "$VOIDED" --reason "typo"
expect_ok
HEAD0=$(chart_head "$P")
snapshot "$P"

# reject ERE ARGS...: `carelog ARGS...` must exit 2 with a message matching
# ERE and change nothing.
reject() {
	local re=$1
	shift
	run "$@"
	expect_usage "$re"
	local before=$FAILS
	expect_unchanged
	[ "$FAILS" -eq "$before" ] || snapshot "$P"
}

long() { head -c "$1" /dev/zero | tr '\0' "${2:-x}"; }

section "option parsing"
reject "^carelog: unknown option '--colour'$" dose "$P" --drug x --amount 1 --unit mg --colour red
reject "^carelog: --amount needs a value$" dose "$P" --drug x --unit mg --amount
reject "^carelog: --drug needs a value$" dose "$P" --amount 1 --unit mg --drug
reject "^carelog: --amount 'abc' is not a number$" dose "$P" --drug x --amount abc --unit mg
reject "^carelog: --amount '' is not a number$" dose "$P" --drug x --amount= --unit mg
reject "--amount '0x10' is not a number" dose "$P" --drug x --amount 0x10 --unit mg
reject "--amount 'nan' is not a number" dose "$P" --drug x --amount nan --unit mg
reject "--amount 'inf' is not a number" dose "$P" --drug x --amount inf --unit mg
reject "--amount '1e400' is not a number" dose "$P" --drug x --amount 1e400 --unit mg
reject "--amount ' 1' is not a number" dose "$P" --drug x --amount " 1" --unit mg
reject "--amount '1,5' is not a number" dose "$P" --drug x --amount 1,5 --unit mg
reject "--drug is given more than once" dose "$P" --drug x --drug y --amount 1 --unit mg
reject "--amount is required" dose "$P" --drug x --unit mg
reject "^carelog: dose: unexpected argument 'extra'$" dose "$P" extra --drug x --amount 1 --unit mg
reject "--asplenic takes no value" patient add --name X --asplenic=yes
reject "--severity is required" symptom "$P" --code fever
reject "--value is required" measure "$P" --code platelets
reject "--dose is required" plan add "$P" --drug x --unit mg

section "dose"
reject "^carelog: unit 'kg' is not one of mg, g, mcg, mL, mg/kg, mg/m2, units, tablet$" \
	dose "$P" --drug x --amount 1 --unit kg
reject "unit 'MG' is not one of mg, g, mcg, mL, mg/kg, mg/m2, units, tablet" \
	dose "$P" --drug x --amount 1 --unit MG
reject "unit is required" dose "$P" --drug x --amount 1
reject "^carelog: drug is required in a dose record$" dose "$P" --amount 1 --unit mg
reject "drug" dose "$P" --drug "pred;nisone" --amount 1 --unit mg
reject "drug" dose "$P" --drug "   " --amount 1 --unit mg
reject "^carelog: outcome 'skipped' is not one of given, missed, refused, held$" \
	dose "$P" --drug x --amount 1 --unit mg --outcome skipped
reject "amount -1 is out of range" dose "$P" --drug x --amount -1 --unit mg
reject "amount 100001 is out of range" dose "$P" --drug x --amount 100001 --unit mg
reject "plan 'bad' is not a carelog id" dose "$P" --drug x --amount 1 --unit mg --plan bad
reject "note" dose "$P" --drug x --amount 1 --unit mg --note "$(long 2001)"
reject "patient 'not-an-id' is not a carelog id" dose not-an-id --drug x --amount 1 --unit mg
reject "patient" dose "$(echo "$P" | tr a-f A-F)" --drug x --amount 1 --unit mg

section "bad times"
for t in yesterday "2026-11-20 08:00:00Z" 2026-11-20T08:00:00 2026-11-20 \
	2026-13-01T00:00:00Z 2026-02-30T00:00:00Z 2026-11-20T24:00:00Z \
	2026-11-20T08:60:00Z 2026-11-20T08:00:00+25:00 "" ; do
	reject "^carelog: time '$(ere_quote "$t")' is not an RFC 3339 time" dose "$P" --drug x --amount 1 --unit mg --at "$t"
done
reject "time 'tomorrow' is not an RFC 3339 time" symptom "$P" --code fever --severity 1 --at tomorrow
reject "time" measure "$P" --code platelets --value 100 --at 2026-11-20T25:00:00Z
reject "time" note "$P" text --at 2026-11-20T08:00
reject "start '2026-11-31' is not a date" plan add "$P" --drug x --dose 1 --unit mg --start 2026-11-31
reject "since 'notatime' is not an RFC 3339 time" timeline "$P" --since notatime
reject "until" timeline "$P" --until 2026-11-20T08:00:00

section "symptom"
reject "^carelog: severity 11 is out of range 0-10$" symptom "$P" --code fever --severity 11
reject "severity -1 is out of range 0-10" symptom "$P" --code fever --severity -1
reject "--severity '3.5' is not an integer" symptom "$P" --code fever --severity 3.5
reject "--severity 'high' is not a number" symptom "$P" --code fever --severity high
reject "^carelog: code 'sneezing' is not a symptom code \(one of fever, fatigue, bruising, bleeding, petechiae, pallor, rash, night-sweats, weight-loss, abdominal-pain, swollen-nodes, infection, jaundice, pain, other\)$" \
	symptom "$P" --code sneezing --severity 1
reject "code 'Fever' is not a symptom code" symptom "$P" --code Fever --severity 1
reject "code is required" symptom "$P" --severity 1
reject "note is required when code is 'other'" symptom "$P" --code other --severity 3
reject "note" symptom "$P" --code other --severity 3 --note ""

section "measure"
reject "^carelog: unit 'mmol/L' is not accepted for temperature \(accepted: Cel, \[degF\]\)$" \
	measure "$P" --code temperature --value 37 --unit mmol/L
reject "unit 'lb' is not accepted for weight \(accepted: kg, \[lb_av\], g\)" \
	measure "$P" --code weight --value 20 --unit lb
reject "unit 'g/L' is not accepted for platelets \(accepted: 10\*3/uL, 10\*9/L\)" \
	measure "$P" --code platelets --value 20 --unit g/L
reject "unit 'x' is not accepted for dnt \(accepted: %\)" measure "$P" --code dnt --value 2 --unit x
reject "value 99 is out of range 25-45 Cel for temperature" measure "$P" --code temperature --value 99
reject "value" measure "$P" --code temperature --value 200 --unit "[degF]"
reject "value" measure "$P" --code platelets --value -1
reject "code 'foo' is not a measurement code" measure "$P" --code foo --value 1
reject "--value 'high' is not a number" measure "$P" --code platelets --value high
reject "range" measure "$P" --code platelets --value 100 --low 400 --high 150

section "plan add"
reject "dose 0 must be more than 0" plan add "$P" --drug x --dose 0 --unit mg
reject "unit 'kg' is not one of" plan add "$P" --drug x --dose 1 --unit kg
reject "route 'oraly' is not one of" plan add "$P" --drug x --dose 1 --unit mg --route oraly
reject "times\[0\] '25:00' is not a time of day" plan add "$P" --drug x --dose 1 --unit mg --times 25:00
reject "times" plan add "$P" --drug x --dose 1 --unit mg --times 08:00,08:00
reject "times" plan add "$P" --drug x --dose 1 --unit mg --times 8:00
reject "times" plan add "$P" --drug x --dose 1 --unit mg --times 08:00,
reject "--taper step '2026-12-01' is not DATE:DOSE" plan add "$P" --drug x --dose 1 --unit mg --taper 2026-12-01
reject "taper" plan add "$P" --drug x --dose 1 --unit mg --start 2026-12-01 --taper 2026-11-01:1
reject "taper" plan add "$P" --drug x --dose 1 --unit mg --start 2026-11-01 --taper 2026-12-15:1,2026-12-01:0.5
reject "taper" plan add "$P" --drug x --dose 1 --unit mg --start 2026-11-01 --end 2026-11-30 --taper 2026-12-01:1
reject "--taper dose 'x' is not a number" plan add "$P" --drug x --dose 1 --unit mg --taper 2026-12-01:x
reject "end" plan add "$P" --drug x --dose 1 --unit mg --start 2026-11-10 --end 2026-11-01
reject "window_minutes" plan add "$P" --drug x --dose 1 --unit mg --window-minutes 3
reject "--window-minutes '30.5' is not an integer" plan add "$P" --drug x --dose 1 --unit mg --window-minutes 30.5

section "note"
reject "text must not be empty" note "$P" ""
reject "text" note "$P" "$(long 10001)"
reject "control" note "$P" "$(printf 'bell\007')"

section "patient add"
reject "name is required in a patient record" patient add
reject "name must not be empty" patient add --name ""
reject "name" patient add --name "$(long 201)"
reject "born 2099-01-01 is after today" patient add --name X --born 2099-01-01
reject "born" patient add --name X --born 2018-02-30
reject "born" patient add --name X --born 04/03/2018
reject "weight_kg 0.1 is out of range 0.2-500" patient add --name X --weight-kg 0.1
reject "weight_kg -3 is out of range 0.2-500" patient add --name X --weight-kg -3
reject "weight_kg 0 is out of range 0.2-500" patient add --name X --weight-kg 0
reject "timezone 'Mars/Olympus' is not a known time zone" patient add --name X --timezone Mars/Olympus
reject "timezone" patient add --name X --timezone ../../etc/passwd

section "amend / void"
reject "^carelog: unknown field 'colour' in a dose record$" amend "$D" --set colour=red
reject "amount -1 is out of range" amend "$D" --set amount=-1
reject "outcome 'skipped' is not one of given, missed, refused, held" amend "$D" --set outcome=skipped
reject "status" amend "$D" --set status=entered-in-error
reject "id" amend "$D" --set id=0194f3a2-7c1d-7e55-8a10-3b2c4d5e6f70
reject "patient" amend "$D" --set patient=0194f3a2-7c1d-7e55-8a10-3b2c4d5e6f70
reject "kind" amend "$D" --set kind=note
reject "--set 'amount' is not FIELD=VALUE" amend "$D" --set amount
reject "--set '=3' is not FIELD=VALUE" amend "$D" --set =3
reject "--set is required" amend "$D"
reject "entered-in-error and cannot be amended" amend "$VOIDED" --set text=changed
reject "a reason is required to void a record" void "$D"
reject "a reason is required to void a record" void "$D" --reason ""
reject "reason" void "$D" --reason "$(long 501)"
reject "already entered-in-error" void "$VOIDED" --reason again
reject "record 'nope' is not a carelog id" show nope
reject "kind 'foo' is not one of plan, dose, symptom, measurement, note" timeline "$P" --kind foo

section "the chart head never moved"
assert_eq "$(chart_head "$P")" "$HEAD0" "chart head after all rejected writes"
run check
expect_ok

finish
