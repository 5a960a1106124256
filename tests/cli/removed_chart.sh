#!/usr/bin/env bash
# The index follows the charts, also when a chart goes away (a chart
# directory removed or moved out of charts/, e.g. a patient created in the
# wrong store): every query then agrees that the patient is gone, and
# `check` is clean. Putting the chart back brings the patient back.
source "$(dirname "$0")/lib.sh" "$@"

section "setup"
setup_store_with_patient Tom
P=$ID
run patient add --name Ada
expect_id
P2=$ID
run dose "$P2" --drug x --amount 1 --unit mg --at 2026-11-20T08:00:00Z
expect_id
D2=$ID
run patient list --json
expect_json 'length' 2

section "chart moved out of charts/"
mv "$STORE/charts/$P2.git" "$TMP/"
run timeline "$P2" --json
expect_failure "no patient $P2"
run show "$D2" --json
expect_failure "no (record $D2|patient $P2)"
run patient list --json
expect_ok
expect_json 'map(.id) | join(",")' "$P"
run check
expect_ok

section "chart put back"
mv "$TMP/$P2.git" "$STORE/charts/"
run patient list --json
expect_ok
expect_json 'length' 2
run timeline "$P2" --json
expect_ok
expect_json 'map(.id) | join(",")' "$D2"
run check
expect_ok

finish
