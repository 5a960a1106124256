#!/usr/bin/env bash
# docs/records.md: a line without an id is a new record each time it is
# imported (two identical doses can be two real doses); a line with an id
# identical to the stored version is skipped. Both halves of that promise.
source "$(dirname "$0")/lib.sh" "$@"

section "setup"
setup_store_with_patient Tom
P=$ID
cat >"$TMP/noids.jsonl" <<EOF2
{"kind":"plan","patient":"$P","time":"2026-11-25T09:05:00+01:00","drug":"Sirolimus","dose":1.5,"unit":"mg","times":["20:00","08:00"],"start":"2026-11-25"}
{"kind":"measurement","patient":"$P","time":"2026-11-26T07:30:00+01:00","code":"temperature","value":101.3,"unit":"[degF]"}
{"kind":"symptom","patient":"$P","time":"2026-11-26T07:31:00+01:00","code":"fever","severity":6,"note":"shivering"}
{"kind":"dose","patient":"$P","time":"2026-11-26T08:00:00+01:00","drug":"sirolimus","amount":1.5,"unit":"mg"}
EOF2

section "first import"
run import "$TMP/noids.jsonl"
expect_ok
expect_stdout_eq 4

section "the same file again: lines without ids are new records"
run import "$TMP/noids.jsonl"
expect_ok
expect_stdout_eq 4
run timeline "$P" --json
expect_ok
expect_json 'length' 8

section "lines with ids: the second import writes nothing"
run timeline "$P" --json
expect_ok
printf '%s\n' "$OUT" | jq -c '.[]' >"$TMP/withids.jsonl"
HEAD2=$(chart_head "$P")
run import "$TMP/withids.jsonl"
expect_ok
expect_stdout_eq 0
assert_eq "$(chart_head "$P")" "$HEAD2" "chart head after re-importing records with ids"

finish
