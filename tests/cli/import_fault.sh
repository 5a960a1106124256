#!/usr/bin/env bash
# An import's packs are written in the background (pack_background.c); when
# one fails, the import fails naming the chart and publishes nothing: not
# the failing chart, and not another patient's chart whose packs were all
# written. The fault: tests/cli/fault_pack_file.c, preloaded into the real
# binary, makes the background thread's pack file of one chart fail as on a
# full disk.
source "$(dirname "$0")/lib.sh" "$@"
SHIM=${CARELOG_FAULT_SHIM:?CARELOG_FAULT_SHIM must name the fault_pack_file library}
FIX=${CARELOG_FIXTURES:?CARELOG_FIXTURES must name the carelog-fixtures program}

section "setup: two patients, 15,000 records each"
"$FIX" --seed 5 --records 30000 --patients 2 --out "$TMP/two.jsonl" >/dev/null
mapfile -t PATIENTS < <(jq -r 'select(.kind == "patient") | .id' "$TMP/two.jsonl")
check "the fixture has two patients" test "${#PATIENTS[@]}" -eq 2
run init --device fault
expect_ok

# run with the fault on chart $1 (ASan must accept a library loaded before it)
faulty() {
	local chart=$1
	shift
	CARELOG_FAULT_CHART=$chart LD_PRELOAD=$SHIM ASAN_OPTIONS="${ASAN_OPTIONS}:verify_asan_link_order=0" run "$@"
}

for P in "${PATIENTS[@]}"; do
	section "the background pack of chart $P fails"
	faulty "$P" import "$TMP/two.jsonl"
	expect_failure "^carelog: chart $P: cannot create a pack file in .*$P[-0-9]*.git/objects/pack: No space left on device"
	check "no chart was published" test "$(find "$STORE/charts" -mindepth 1 -maxdepth 1 | wc -l)" -eq 0
	run patient list --json
	expect_ok
	expect_json 'length' "0"
	run check
	expect_ok
done

section "one patient: the chart's own next pack finds its failed one"
"$FIX" --seed 5 --records 20000 --patients 1 --out "$TMP/one.jsonl" >/dev/null
ONE=$(jq -r 'select(.kind == "patient") | .id' "$TMP/one.jsonl")
faulty "$ONE" import "$TMP/one.jsonl"
expect_failure "^carelog: chart $ONE: cannot create a pack file in .*$ONE[-0-9]*.git/objects/pack: No space left on device"
check "no chart was published" test "$(find "$STORE/charts" -mindepth 1 -maxdepth 1 | wc -l)" -eq 0

section "without the fault, the same file imports both charts"
run import "$TMP/two.jsonl"
expect_ok
expect_stdout_eq "30000"
run patient list --json
expect_json 'length' "2"
for P in "${PATIENTS[@]}"; do
	check "git fsck of chart $P" git --git-dir "$STORE/charts/$P.git" fsck --no-dangling
done
run check
expect_ok

finish
