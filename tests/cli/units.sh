#!/usr/bin/env bash
# Measurement unit conversion: a value in another accepted unit is stored in
# the code's canonical unit, with the typed value and unit kept as `entered`;
# any other unit is refused with the list of accepted ones.
source "$(dirname "$0")/lib.sh" "$@"

section "setup"
setup_store_with_patient Tom
P=$ID

# measure CODE VALUE UNIT -> stored value, unit, entered.value, entered.unit
converts() {
	local code=$1 value=$2 unit=$3 want_value=$4 want_unit=$5
	run measure "$P" --code "$code" --value "$value" --unit "$unit" --at 2026-11-20T08:00:00Z
	expect_id
	[ -n "$ID" ] || return
	run show "$ID" --json
	expect_ok
	expect_json '.value' "$want_value"
	expect_json '.unit' "$want_unit"
	expect_json '.entered.value' "$value"
	expect_json '.entered.unit' "$unit"
	expect_json '.entered | keys | join(",")' unit,value
}

section "temperature 101.3 [degF] -> 38.5 Cel"
converts temperature 101.3 '[degF]' 38.5 Cel
M=$ID
expect_json '.loinc' 8310-5
run timeline "$P"
expect_stdout_re "temperature 38\.5 Cel \(entered 101\.3 \[degF\]\)  \($M\)$"

section "other conversions"
converts temperature 98.6 '[degF]' 37 Cel
converts weight 44 '[lb_av]' 19.95806428 kg
converts weight 20500 g 20.5 kg
converts hemoglobin 95 g/L 9.5 g/dL
converts platelets 150 '10*9/L' 150 '10*3/uL'
converts bilirubin 17.1 umol/L 1 mg/dL
converts creatinine 88.42 umol/L 1 mg/dL
converts vitamin-b12 400 pg/mL 400 ng/L
converts sirolimus-trough 8 ug/L 8 ng/mL

section "canonical unit given: no entered"
run measure "$P" --code temperature --value 38.5 --unit Cel
expect_id
run show "$ID" --json
expect_json '.value' 38.5
expect_json 'has("entered")' false

section "range converted along with the value"
run measure "$P" --code hemoglobin --value 95 --unit g/L --low 110 --high 160
expect_id
run show "$ID" --json
expect_json '.value' 9.5
expect_json '.range.low' 11
expect_json '.range.high' 16
expect_json '.entered.value' 95
run measure "$P" --code bilirubin --value 20 --unit umol/L --high 17.1
expect_id
run show "$ID" --json
expect_json '.range.high' 1
expect_json '.range | has("low")' false

section "plausible range applies after conversion"
snapshot "$P"
run measure "$P" --code temperature --value 120 --unit '[degF]'
expect_usage "out of range 25-45 Cel for temperature"
run measure "$P" --code weight --value 0.1 --unit '[lb_av]'
expect_usage "out of range"
expect_unchanged

section "an unaccepted unit lists the accepted ones"
run measure "$P" --code temperature --value 37 --unit degC
expect_usage "^carelog: unit 'degC' is not accepted for temperature \(accepted: Cel, \[degF\]\)$"
run measure "$P" --code bilirubin --value 1 --unit mmol/L
expect_usage "^carelog: unit 'mmol/L' is not accepted for bilirubin \(accepted: mg/dL, umol/L\)$"
run measure "$P" --code weight --value 1 --unit lb
expect_usage "^carelog: unit 'lb' is not accepted for weight \(accepted: kg, \[lb_av\], g\)$"
run measure "$P" --code alt --value 1 --unit IU/L
expect_usage "^carelog: unit 'IU/L' is not accepted for alt \(accepted: U/L\)$"
expect_unchanged

section "check"
run check
expect_ok

finish
