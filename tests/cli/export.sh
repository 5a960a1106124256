#!/usr/bin/env bash
# export / import --format: a generated patient-year plus hand-made edge cases
# (voided and amended records, tapers, doses not given, converted units,
# symptoms with and without SNOMED CT, notes full of commas, quotes and line
# breaks, a clinician, a target, a rule) go out as FHIR and JSON lines and
# into new stores, which then answer `timeline --json --all`, `patient list`
# and a JSON-lines export exactly as the original; the Bundle passes two FHIR
# R4 validators (tests/fhir/validate.js); CSV tables read back with python3's
# csv module; --from/--to pick days in the patient's time zone; bad Bundles
# exit 2 naming the entry, resource and element, and write nothing.
# Needs CARELOG_FIXTURES (the carelog-fixtures program), node and python3.
source "$(dirname "$0")/lib.sh" "$@"
FIX=${CARELOG_FIXTURES:?CARELOG_FIXTURES must name the carelog-fixtures program}
FHIRDIR=$(cd "$(dirname "$0")/../fhir" && pwd)
"$FHIRDIR/install.sh" || { echo "FATAL: cannot install the FHIR validators" >&2; exit 1; }

# in_store DIR ARGS...: carelog against another store
in_store() {
	local dir=$1
	shift
	run_raw --store "$dir" "$@"
}

section "a generated patient-year and edge cases"
run init --device phone-a --author Maman
expect_ok
"$FIX" --seed 11 --records 800 --out "$TMP/fixtures.jsonl" >/dev/null
run import "$TMP/fixtures.jsonl"
expect_ok
expect_stdout_eq 800
run patient list --json
P=$(jq_out '.[0].id')
TZ_P=$(jq_out '.[0].timezone')
check "the fixtures have a clinician (a Practitioner)" grep -q '"role":"clinician"' "$TMP/fixtures.jsonl"

PL1=01a1f7f8-3000-7000-8000-0000000000b1
PL2=01a1f7f8-3000-7000-8000-0000000000b2
D1=01a1f7f8-3000-7000-8000-0000000000d1
D2=01a1f7f8-3000-7000-8000-0000000000d2
D3=01a1f7f8-3000-7000-8000-0000000000d3
D4=01a1f7f8-3000-7000-8000-0000000000d4
S1=01a1f7f8-3000-7000-8000-0000000000e1
S2=01a1f7f8-3000-7000-8000-0000000000e2
S3=01a1f7f8-3000-7000-8000-0000000000e3
M1=01a1f7f8-3000-7000-8000-0000000000c1
M2=01a1f7f8-3000-7000-8000-0000000000c2
N1=01a1f7f8-3000-7000-8000-0000000000f1
cat >"$TMP/edge.jsonl" <<EOF
{"kind":"plan","id":"$PL1","patient":"$P","time":"2026-03-01T08:00:00Z","drug":"prednisone","dose":40,"unit":"mg","times":["08:00"],"start":"2026-03-01","end":"2026-04-05","taper":[{"date":"2026-03-01","dose":40},{"date":"2026-03-15","dose":20},{"date":"2026-03-29","dose":5.5},{"date":"2026-04-05","dose":0}]}
{"kind":"plan","id":"$PL2","patient":"$P","time":"2026-03-01T08:05:00Z","drug":"sirolimus","dose":1.5,"unit":"mg/m2","route":"nasogastric","times":["20:00","08:00"],"start":"2026-03-01","taper":[{"date":"2026-03-20","dose":1}],"window_minutes":90,"note":"trough before the morning dose"}
{"kind":"dose","id":"$D1","patient":"$P","time":"2026-03-02T08:00:00Z","drug":"prednisone","amount":40,"unit":"mg","plan":"$PL1"}
{"kind":"dose","id":"$D2","patient":"$P","time":"2026-03-03T08:00:00Z","drug":"prednisone","amount":40,"unit":"mg","outcome":"refused","plan":"$PL1","note":"spat it out"}
{"kind":"dose","id":"$D3","patient":"$P","time":"2026-03-03T20:00:00Z","drug":"sirolimus","amount":1,"unit":"tablet","outcome":"held","plan":"$PL2"}
{"kind":"dose","id":"$D4","patient":"$P","time":"2026-03-04T20:00:00Z","drug":"sirolimus","amount":1,"unit":"units","outcome":"missed"}
{"kind":"symptom","id":"$S1","patient":"$P","time":"2026-03-05T07:00:00Z","code":"fever","severity":6}
{"kind":"symptom","id":"$S2","patient":"$P","time":"2026-03-05T07:10:00Z","code":"bruising","severity":2}
{"kind":"symptom","id":"$S3","patient":"$P","time":"2026-03-05T07:20:00Z","code":"other","severity":3,"note":"itchy eyes"}
{"kind":"measurement","id":"$M1","patient":"$P","time":"2026-03-05T07:30:00Z","code":"temperature","value":101.3,"unit":"[degF]"}
{"kind":"measurement","id":"$M2","patient":"$P","time":"2026-03-06T09:00:00Z","code":"hemoglobin","value":95,"unit":"g/L","range":{"low":115,"high":155}}
{"kind":"note","id":"$N1","patient":"$P","time":"2026-03-06T10:00:00Z","text":"first draft"}
EOF
run import "$TMP/edge.jsonl"
expect_ok
expect_stdout_eq 12
NOTE_TEXT=$'Fever at night, "38.5" by the ear,\nthen 37.9; gave paracetamol, 250 mg.\n\tCall Dr. O\'Brien, tomorrow'
run amend "$N1" --set "text=$NOTE_TEXT"
expect_ok
run amend "$N1" --set "note=second, amended"
expect_ok
run void "$D1" --reason "logged twice, see the other dose"
expect_ok
run void "$D3" --reason "wrong day"
expect_ok
run target set "$P" --code sirolimus-trough --low 5 --high 15 --note "Teachey, 5-15"
expect_id
TG=$ID
run rule set "$P" fever --threshold 37.8 --severity urgent --lookback-days 3
expect_id
RU=$ID
run void "$RU" --reason "set on the wrong patient"
expect_ok

section "the FHIR Bundle: resources, codes, units, Provenance"
run export "$P" --format fhir
expect_ok
cp "$TMP/.out" "$TMP/a.fhir.json"
entry() { jq_out ".entry[] | select(.resource.id == \"$1\") | .resource | $2"; }
expect_json '.resourceType + " " + .type' "Bundle collection"
expect_json '[.entry[].resource.resourceType] | unique | join(",")' \
	"Basic,Communication,Goal,MedicationAdministration,MedicationRequest,Observation,Patient,Practitioner,Provenance,RelatedPerson"
expect_json '[.entry[] | select(.resource.resourceType == "Provenance")] | length' \
	"$(jq '[.entry[] | select(.resource.resourceType != "Provenance")] | length' "$TMP/a.fhir.json")"
assert_eq "$(entry "$P" '.identifier[0].system + " " + .identifier[0].value')" "urn:carelog:record $P" "Patient identifier"
# taper from the start day: every dosage is a step, the plan dose in an extension
assert_eq "$(entry "$PL1" '[.dosageInstruction[] | "\(.sequence) \(.timing.repeat.boundsPeriod.start)..\(.timing.repeat.boundsPeriod.end) \(.doseAndRate[0].doseQuantity.value) \(.doseAndRate[0].doseQuantity.code)"] | join(";")')" \
	"1 2026-03-01..2026-03-14 40 mg;2 2026-03-15..2026-03-28 20 mg;3 2026-03-29..2026-04-04 5.5 mg;4 2026-04-05..2026-04-05 0 mg" \
	"prednisone taper as sequenced dosageInstruction"
assert_eq "$(entry "$PL1" '.extension[] | select(.url == "urn:carelog:extension:dose") | .valueInteger')" 40 \
	"plan dose shadowed by a first-day step kept in its extension"
assert_eq "$(entry "$PL2" '[.dosageInstruction[] | "\(.sequence) \(.timing.repeat.boundsPeriod.start)..\(.timing.repeat.boundsPeriod.end // "open") \(.doseAndRate[0].doseQuantity.value) \(.doseAndRate[0].doseQuantity.code) \(.timing.repeat.timeOfDay | join(","))"] | join(";")')" \
	"1 2026-03-01..2026-03-19 1.5 mg/m2 08:00:00,20:00:00;2 2026-03-20..open 1 mg/m2 08:00:00,20:00:00" \
	"a plan dose, then a taper step"
assert_eq "$(entry "$PL2" '.dosageInstruction[0].route.coding[0].code + " " + .intent + " " + .status')" "nasogastric plan active" "route, intent, status"
assert_eq "$(entry "$D1" '.status + " " + (.statusReason | tostring)')" "entered-in-error null" "voided given dose"
assert_eq "$(entry "$D2" '.status + " " + .statusReason[0].coding[0].system + " " + .statusReason[0].coding[0].code')" \
	"not-done urn:carelog:dose-outcome refused" "refused dose"
assert_eq "$(entry "$D3" '.status + " " + .statusReason[0].coding[0].code + " " + .dosage.dose.code')" \
	"entered-in-error held {tablet}" "voided held dose keeps its outcome"
assert_eq "$(entry "$D4" '.status + " " + .statusReason[0].coding[0].code + " " + .dosage.dose.code')" "not-done missed {unit}" "missed dose"
assert_eq "$(entry "$D2" '.request.reference')" "urn:uuid:$PL1" "a dose's plan is its request"
assert_eq "$(entry "$S1" '"\([.code.coding[] | .system + "|" + .code] | join(" ")) \(.valueInteger)"')" \
	"http://snomed.info/sct|386661006 urn:carelog:symptom|fever 6" "fever: SNOMED CT and carelog codes"
assert_eq "$(entry "$S2" '[.code.coding[] | .system] | join(" ")')" "urn:carelog:symptom" "bruising has no SNOMED CT code"
assert_eq "$(entry "$M1" '"\(.code.coding[0].system)|\(.code.coding[0].code) \(.valueQuantity.value) \(.valueQuantity.system) \(.valueQuantity.code)"')" \
	"http://loinc.org|8310-5 38.5 http://unitsofmeasure.org Cel" "temperature: LOINC, UCUM"
assert_eq "$(entry "$M1" '.extension[] | select(.url == "urn:carelog:extension:entered") | "\(.valueQuantity.value) \(.valueQuantity.code)"')" \
	"101.3 [degF]" "the value as typed"
assert_eq "$(entry "$M2" '"\(.valueQuantity.value) \(.referenceRange[0].low.value)-\(.referenceRange[0].high.value) \(.referenceRange[0].low.code) \(.interpretation[0].coding[0].code)"')" \
	"9.5 11.5-15.5 g/dL L" "hemoglobin: converted range, interpretation L"
assert_eq "$(entry "$N1" '.resourceType + " " + .payload[0].contentString')" "Communication $NOTE_TEXT" "note text"
assert_eq "$(entry "$TG" '"\(.resourceType) \(.target[0].measure.coding[0].code) \(.target[0].detailRange.low.value)-\(.target[0].detailRange.high.value) \(.target[0].detailRange.high.code)"')" \
	"Goal 29247-4 5-15 ng/mL" "target as a Goal"
assert_eq "$(entry "$RU" '"\(.resourceType) \(.code.coding[0].code) \([.extension[] | select(.url != "urn:carelog:extension:time") | .url + "=" + ((.valueString // .valueDecimal // .valueInteger // .valueBoolean) | tostring)] | sort | join(" "))"')" \
	"Basic fever urn:carelog:extension:enabled=true urn:carelog:extension:lookback_days=3 urn:carelog:extension:reason=set on the wrong patient urn:carelog:extension:severity=urgent urn:carelog:extension:status=entered-in-error urn:carelog:extension:threshold=37.8" \
	"rule as a Basic with its fields in extensions" 
PROV=$(jq -r --arg id "$D2" '.entry[] | select(.resource.resourceType == "Provenance" and .resource.target[0].reference == "urn:uuid:" + $id) | .resource | "\(.agent[0].who.display) \(.agent[1].who.identifier.value) \(.extension[0].valueString)"' "$TMP/a.fhir.json")
run show "$D2" --json
assert_eq "$PROV" "$(jq_out '"\(.author) \(.device) \(.hlc)"')" "Provenance holds author, device and clock stamp"

section "the Bundle passes the FHIR R4 validators (and a broken one does not)"
if node "$FHIRDIR/validate.js" "$TMP/a.fhir.json" >"$TMP/validate.out" 2>&1; then pass; else
	fail "validate.js: $(head -20 "$TMP/validate.out")"
fi
jq --arg id "$D2" '(.entry[] | select(.resource.id == $id) | .resource.status) = "skipped"
	| (.entry[] | select(.resource.id == $id) | .resource.colour) = "red"' "$TMP/a.fhir.json" >"$TMP/broken.json"
node "$FHIRDIR/validate.js" "$TMP/broken.json" >"$TMP/validate.out" 2>&1
check "the validators reject an unknown status code and an unknown element" test $? -eq 1
check "... naming the status" grep -q "MedicationAdministration.status" "$TMP/validate.out"
check "... and the unknown element" grep -q '"additionalProperty":"colour"' "$TMP/validate.out"

section "FHIR round trip into a new store"
in_store "$TMP/b" init --device phone-b --author Papa
expect_ok
in_store "$TMP/b" import "$TMP/a.fhir.json" --format fhir
expect_ok
N_ALL=$(wc -l < <("$CL" --store "$STORE" export "$P" --format jsonl))
expect_stdout_eq "$N_ALL"
same_as_original() { # STORE WHAT
	local cmd
	for cmd in "timeline $P --json --all" "patient list --json" "export $P --format jsonl" "rule list $P --json"; do
		# shellcheck disable=SC2086
		if cmp -s <("$CL" --store "$STORE" $cmd 2>&1) <("$CL" --store "$1" $cmd 2>&1); then pass; else
			fail "$2: '$cmd' differs: $(diff <("$CL" --store "$STORE" $cmd 2>&1) <("$CL" --store "$1" $cmd 2>&1) | head -10)"
		fi
	done
}
same_as_original "$TMP/b" "fhir round trip"
in_store "$TMP/b" show "$N1" --history --json
expect_json 'length' 1 # only the current version travels
expect_json '.[0].text' "$NOTE_TEXT"
in_store "$TMP/b" check
expect_ok
HEAD_B=$(git --git-dir "$TMP/b/charts/$P.git" rev-parse main)
assert_eq "$(git --git-dir "$TMP/b/charts/$P.git" rev-list --count main)" 1 "one commit for the chart"
in_store "$TMP/b" import "$TMP/a.fhir.json" --format fhir
expect_ok
expect_stdout_eq 0
assert_eq "$(git --git-dir "$TMP/b/charts/$P.git" rev-parse main)" "$HEAD_B" "the same Bundle again writes nothing"
RUN_STDIN=$TMP/a.fhir.json in_store "$TMP/b" import - --format fhir
expect_ok
expect_stdout_eq 0

section "JSON lines round trip into a new store"
run export "$P" --format jsonl --out "$TMP/a.jsonl"
expect_ok
expect_stdout_empty
check "the jsonl file is mode 0600" test "$(stat -c %a "$TMP/a.jsonl")" = 600
assert_eq "$(head -1 "$TMP/a.jsonl" | jq -r .kind)" patient "the patient comes first"
in_store "$TMP/c" init --device phone-c
in_store "$TMP/c" import "$TMP/a.jsonl"
expect_ok
expect_stdout_eq "$N_ALL"
same_as_original "$TMP/c" "jsonl round trip"
run export "$P" --format fhir --out "$TMP/a2.fhir.json"
expect_ok
in_store "$TMP/c" export "$P" --format fhir
check "the FHIR exports of both stores hold the same entries" cmp -s <(jq -S .entry "$TMP/a2.fhir.json") <(jq -S .entry "$TMP/.out")

section "CSV tables read back with python3's csv module"
run export "$P" --format csv
expect_usage "--out DIR"
run export "$P" --format csv --out "$TMP/csv"
expect_ok
for k in patient caregiver plan dose symptom measurement note target rule; do
	check "$k.csv exists" test -f "$TMP/csv/$k.csv"
done
jq -c . "$TMP/a.jsonl" >"$TMP/records.jsonl"
cat >"$TMP/csvcheck.py" <<'EOF'
import csv, json, sys, re
d, records = sys.argv[1], [json.loads(l) for l in open(sys.argv[2])]
problems = []
for kind in ["patient", "caregiver", "plan", "dose", "symptom", "measurement", "note", "target", "rule"]:
    raw = open(f"{d}/{kind}.csv", "rb").read()
    if not raw.endswith(b"\r\n"):
        problems.append(f"{kind}: rows do not end in CRLF")
    with open(f"{d}/{kind}.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    want = [r for r in records if r["kind"] == kind]
    if [r["id"] for r in rows] != [r["id"] for r in want]:
        problems.append(f"{kind}: {len(rows)} rows, expected {len(want)} in export order")
        continue
    for row, rec in zip(rows, want):
        for col in ["patient", "time", "status", "author", "device", "hlc", "note", "reason", "text", "name", "drug", "code"]:
            if col in row and row[col] != str(rec.get(col, "")):
                problems.append(f"{kind} {rec['id']}: {col} {row[col]!r} != {rec.get(col)!r}")
        if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z", row["time"]):
            problems.append(f"{kind} {rec['id']}: time {row['time']!r} is not ISO 8601 UTC")
        if kind == "measurement":
            for col, val in [("value", rec["value"]), ("range_low", rec.get("range", {}).get("low")),
                             ("entered_unit", rec.get("entered", {}).get("unit"))]:
                if (row[col] and val is not None and (float(row[col]) if col != "entered_unit" else row[col]) != val) or (not row[col]) != (val is None):
                    problems.append(f"measurement {rec['id']}: {col} {row[col]!r} != {val!r}")
        if kind == "plan" and rec.get("taper"):
            want_taper = ";".join(f"{s['date']}:{s['dose']:g}" for s in rec["taper"])
            if row["taper"] != want_taper:
                problems.append(f"plan {rec['id']}: taper {row['taper']!r} != {want_taper!r}")
        if kind == "dose" and row["amount"] and float(row["amount"]) != rec["amount"]:
            problems.append(f"dose {rec['id']}: amount {row['amount']!r}")
print("\n".join(problems) if problems else "ok")
EOF
check "python3 is there" command -v python3
OUT_PY=$(python3 "$TMP/csvcheck.py" "$TMP/csv" "$TMP/records.jsonl" 2>&1)
assert_eq "$OUT_PY" ok "CSV tables match the records"
check "CSV rows end in CRLF" grep -q $'\r$' "$TMP/csv/dose.csv"
assert_eq "$(head -1 "$TMP/csv/measurement.csv" | tr -d '\r')" \
	"id,patient,time,code,loinc,value,unit,range_low,range_high,entered_value,entered_unit,note,status,reason,author,device,hlc" \
	"measurement columns"
assert_eq "$(python3 -c 'import csv,sys; r=[x for x in csv.DictReader(open(sys.argv[1], newline="")) if x["id"]==sys.argv[2]][0]; print(r["text"] + "|" + r["note"])' "$TMP/csv/note.csv" "$N1")" \
	"$NOTE_TEXT|second, amended" "commas, quotes, newlines and a tab in a note survive CSV"
assert_eq "$(python3 -c 'import csv,sys; r=[x for x in csv.DictReader(open(sys.argv[1], newline="")) if x["id"]==sys.argv[2]][0]; print(r["snomed"], r["severity"])' "$TMP/csv/symptom.csv" "$S1")" \
	"386661006 6" "symptom SNOMED CT column"

section "--from/--to: inclusive days in the patient's time zone"
in_store "$TMP/d" init --device phone-d
PD=01a1f7f8-3000-7000-8000-00000000aaaa
PLD=01a1f7f8-3000-7000-8000-00000000bbbb
cat >"$TMP/d.jsonl" <<EOF
{"kind":"patient","id":"$PD","time":"2026-01-01T00:00:00Z","name":"Zoé","timezone":"Europe/Paris"}
{"kind":"plan","id":"$PLD","patient":"$PD","time":"2026-01-02T08:00:00Z","drug":"sirolimus","dose":1,"unit":"mg","start":"2026-01-02"}
{"kind":"note","id":"01a1f7f8-3000-7000-8000-000000000001","patient":"$PD","time":"2026-03-09T22:59:59Z","text":"9 March, 23:59:59 in Paris"}
{"kind":"note","id":"01a1f7f8-3000-7000-8000-000000000002","patient":"$PD","time":"2026-03-09T23:00:00Z","text":"10 March, 00:00 in Paris"}
{"kind":"dose","id":"01a1f7f8-3000-7000-8000-000000000003","patient":"$PD","time":"2026-03-10T08:00:00Z","drug":"sirolimus","amount":1,"unit":"mg","plan":"$PLD"}
{"kind":"note","id":"01a1f7f8-3000-7000-8000-000000000004","patient":"$PD","time":"2026-03-11T22:59:59Z","text":"11 March, 23:59:59 in Paris"}
{"kind":"note","id":"01a1f7f8-3000-7000-8000-000000000005","patient":"$PD","time":"2026-03-11T23:00:00Z","text":"12 March in Paris"}
EOF
in_store "$TMP/d" import "$TMP/d.jsonl"
expect_stdout_eq 7
in_store "$TMP/d" export "$PD" --format jsonl --from 2026-03-10 --to 2026-03-11
expect_ok
assert_eq "$(jq -r .id "$TMP/.out" | sed 's/.*-//' | paste -sd, -)" \
	"00000000aaaa,00000000bbbb,000000000002,000000000003,000000000004" \
	"the patient, the dose's plan, and the records of 10 and 11 March in Paris"
in_store "$TMP/d" export "$PD" --format fhir --from 2026-03-12
expect_json '[.entry[].resource | select(.resourceType != "Provenance") | .id[-4:]] | join(",")' "aaaa,0005"
in_store "$TMP/d" export "$PD" --format jsonl --to 2026-03-08
assert_eq "$(jq -r .id "$TMP/.out" | wc -l)" 2 "the patient and the plan of 2 January"
in_store "$TMP/d" export "$PD" --format jsonl --from 2026-03-11 --to 2026-03-10
expect_usage "to 2026-03-10 is before from 2026-03-11"
in_store "$TMP/d" export "$PD" --format jsonl --from 2026-3-1
expect_usage "from"
in_store "$TMP/d" export "$PD" --format xml
expect_usage "format 'xml' is not one of fhir, csv, jsonl"
in_store "$TMP/d" export 01a1f7f8-3000-7000-8000-00000000cccc --format fhir
expect_failure "no patient 01a1f7f8-3000-7000-8000-00000000cccc"
in_store "$TMP/d" export "$PLD" --format fhir
expect_failure "no patient $PLD"
in_store "$TMP/d" export "$PD"
expect_usage "--format is required"

section "bad Bundles: exit 2 naming entry, resource and element; nothing written"
# all against store b (which holds the patient) and an empty store e
in_store "$TMP/e" init --device phone-e
expect_ok
idx() { jq --arg t "$1" '[.entry[].resource.resourceType] | index($t)' "$TMP/a.fhir.json"; }
idx_id() { jq --arg id "$1" '[.entry[].resource.id] | index($id)' "$TMP/a.fhir.json"; }
bad_bundle() { # ERE JQ-PROGRAM
	jq "$2" "$TMP/a.fhir.json" >"$TMP/bad.json" || { fail "jq: $2"; return; }
	STORE=$TMP/b snapshot "$P"
	in_store "$TMP/b" import "$TMP/bad.json" --format fhir
	expect_usage "$1"
	STORE=$TMP/b expect_unchanged
	STORE=$TMP/e snapshot
	in_store "$TMP/e" import "$TMP/bad.json" --format fhir
	expect_usage "$1"
	STORE=$TMP/e expect_unchanged
	check "no chart in the empty store" test -z "$(ls "$TMP/e/charts")"
}
# a new note first, so that a Bundle that would change something is refused whole
NEWNOTE='.entry += [{"fullUrl":"urn:uuid:01a1f7f8-3000-7000-8000-0000000000f9","resource":{"resourceType":"Communication","id":"01a1f7f8-3000-7000-8000-0000000000f9","status":"completed","subject":{"reference":"urn:uuid:'$P'"},"sent":"2026-03-07T10:00:00Z","payload":[{"contentString":"new"}]}}]'
I=$(idx_id "$D2")
bad_bundle "^carelog: entry\[$I\] MedicationDispense/$D2: resourceType 'MedicationDispense' is not one carelog imports" \
	"$NEWNOTE | .entry[$I].resource.resourceType = \"MedicationDispense\""
bad_bundle "^carelog: entry\[$I\] MedicationAdministration/$D2: effectiveDateTime is required$" \
	"$NEWNOTE | del(.entry[$I].resource.effectiveDateTime)"
bad_bundle "^carelog: entry\[$I\] MedicationAdministration/$D2: dosage.dose.code 'kg' is not a dose unit" \
	"$NEWNOTE | .entry[$I].resource.dosage.dose.code = \"kg\""
bad_bundle "^carelog: entry\[$I\] MedicationAdministration/$D2: statusReason needs a coding of urn:carelog:dose-outcome" \
	"$NEWNOTE | del(.entry[$I].resource.statusReason)"
bad_bundle "^carelog: entry\[$I\] MedicationAdministration/$D2: subject.reference 'urn:uuid:$PD' is not a Patient of this Bundle$" \
	"$NEWNOTE | .entry[$I].resource.subject.reference = \"urn:uuid:$PD\""
IP=$(idx_id "$PL1")
bad_bundle "^carelog: entry\[$I\] MedicationAdministration/$D2: subject.reference 'urn:uuid:$PL1' is entry\[$IP\] MedicationRequest/$PL1, not a Patient$" \
	"$NEWNOTE | .entry[$I].resource.subject.reference = \"urn:uuid:$PL1\""
I=$(idx_id "$M1")
bad_bundle "^carelog: entry\[$I\] Observation/$M1: valueQuantity.code 'mmol/L' is not a unit carelog accepts for temperature" \
	"$NEWNOTE | .entry[$I].resource.valueQuantity.code = \"mmol/L\" | del(.entry[$I].resource.extension)"
bad_bundle "^carelog: entry\[$I\] Observation/$M1: valueQuantity.system 'http://example.org/units' is not UCUM" \
	"$NEWNOTE | .entry[$I].resource.valueQuantity.system = \"http://example.org/units\""
bad_bundle "^carelog: entry\[$I\] Observation/$M1: code.coding: LOINC 9999-9 is not a code carelog keeps" \
	"$NEWNOTE | .entry[$I].resource.code.coding = [{\"system\":\"http://loinc.org\",\"code\":\"9999-9\"}]"
bad_bundle "^carelog: entry\[$I\] Observation/$M1: code.coding has no code carelog knows" \
	"$NEWNOTE | .entry[$I].resource.code.coding = [{\"system\":\"http://snomed.info/sct\",\"code\":\"22298006\"}]"
bad_bundle "^carelog: entry\[$I\] Observation/$M1: code.coding \(system http://loinc.org\): loinc '718-7' does not match temperature" \
	"$NEWNOTE | .entry[$I].resource.code.coding[0].code = \"718-7\""
I=$(idx_id "$S1")
bad_bundle "^carelog: entry\[$I\] Observation/$S1: valueInteger: severity 11 is out of range 0-10$" \
	"$NEWNOTE | .entry[$I].resource.valueInteger = 11"
bad_bundle "^carelog: entry\[$I\] Observation/$S1: code.coding: SNOMED CT 386661006 is fever, but the carelog code is fatigue$" \
	"$NEWNOTE | .entry[$I].resource.code.coding[1].code = \"fatigue\""
I=$(idx Patient)
bad_bundle "^carelog: entry\[$I\] Patient/$P: name\[0\].text is required$" "$NEWNOTE | del(.entry[$I].resource.name)"
bad_bundle "^carelog: entry\[$I\] Patient/$P: extension urn:carelog:extension:colour: unknown field 'colour' in a patient record$" \
	"$NEWNOTE | .entry[$I].resource.extension += [{\"url\":\"urn:carelog:extension:colour\",\"valueString\":\"red\"}]"
I=$(idx_id "$PL1")
bad_bundle "^carelog: entry\[$I\] MedicationRequest/$PL1: dosageInstruction\[1\].timing.repeat.boundsPeriod.start is required$" \
	"$NEWNOTE | del(.entry[$I].resource.dosageInstruction[1].timing.repeat.boundsPeriod.start)"
bad_bundle "^carelog: entry\[$I\] MedicationRequest/$PL1: status 'on-hold' is not one carelog keeps" \
	"$NEWNOTE | .entry[$I].resource.status = \"on-hold\""
bad_bundle "^carelog: entry\[$I\] MedicationRequest/$PL1: modifierExtension" \
	"$NEWNOTE | .entry[$I].resource.modifierExtension = [{\"url\":\"http://example.org/x\",\"valueBoolean\":true}]"
bad_bundle "^carelog: resourceType 'Patient' is not Bundle" '.entry[0].resource'
bad_bundle "^carelog: entry\[1\]: resource is required" "$NEWNOTE | .entry[1] = {\"fullUrl\":\"urn:uuid:x\"}"
# a single object where FHIR has a list is refused by its path (it read as
# an empty list, and a later error blamed another element)
I=$(idx Patient)
bad_bundle "^carelog: entry\[$I\] Patient/$P: identifier must be an array$" \
	"$NEWNOTE | .entry[$I].resource.identifier |= .[0]"
I=$(idx_id "$PL1")
bad_bundle "^carelog: entry\[$I\] MedicationRequest/$PL1: medicationCodeableConcept.coding must be an array$" \
	"$NEWNOTE | .entry[$I].resource.medicationCodeableConcept.coding = {\"system\":\"http://www.nlm.nih.gov/research/umls/rxnorm\",\"code\":\"35302\"}"
# two entries with one fullUrl: a reference to it could mean either
I=$(idx Patient)
N=$(jq '.entry | length' "$TMP/a.fhir.json")
bad_bundle "^carelog: entry\[$N\] Communication/01a1f7f8-3000-7000-8000-0000000000f9: fullUrl 'urn:uuid:$P' is also entry\[$I\]'s" \
	"$NEWNOTE | .entry[$N].fullUrl = \"urn:uuid:$P\""
printf '{"resourceType":"Bundle",' >"$TMP/bad.json"
in_store "$TMP/b" import "$TMP/bad.json" --format fhir
expect_usage "^carelog: the input is not valid JSON"
in_store "$TMP/b" import "$TMP/a.fhir.json" --format csv
expect_usage "not csv"

finish
