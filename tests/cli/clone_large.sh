#!/usr/bin/env bash
# A first sync of a large chart: past 512 blobs its history's records are
# checked on threads of their own (sync/src/validate_pool.c) while the
# syncing thread walks the commits and indexes what they accepted. The
# clone must index every record as the store that wrote them does, and a
# bad record deep in a large history must be refused with the message a
# check on one thread gives: the first bad one in walk order, even when a
# later one, or a bad path the walking thread meets itself, fails first.
source "$(dirname "$0")/lib.sh" "$@"
FIX=${CARELOG_FIXTURES:?CARELOG_FIXTURES must name the carelog-fixtures program}
# four checking threads whatever the machine (one per CPU but one by
# default: none on one CPU, a single one on two, which finishes in order)
export CARELOG_CHECK_THREADS=4

section "setup: a clinic chart of 3,000 records"
"$FIX" --seed 7 --records 3000 --patients 1 --out "$TMP/c.jsonl" >/dev/null
CLINIC=$TMP/clinic
run_raw --store "$CLINIC" init --device clinic
expect_ok
run_raw --store "$CLINIC" import "$TMP/c.jsonl"
expect_ok
expect_stdout_eq "3000"
P=$(basename "$CLINIC"/charts/*.git .git)

# new_store DIR NAME URL: a store at DIR (device NAME) with remote NAME at URL
new_store() {
	run_raw --store "$1" init --device "$2"
	expect_ok
	run_raw --store "$1" remote add "$2" "$3"
	expect_ok
}

section "a first sync indexes every record as the clinic has it"
PHONE=$TMP/phone
new_store "$PHONE" clinic "$CLINIC/charts"
run_raw --store "$PHONE" sync clinic --patient "$P" --json
expect_ok
expect_json '.[0].received' "3000"
for s in "$CLINIC" "$PHONE"; do
	"$CL" --store "$s" timeline "$P" --json >"$TMP/timeline.$(basename "$s")" 2>&1
done
check "timeline --json of the phone = the clinic's" cmp -s "$TMP/timeline.clinic" "$TMP/timeline.phone"
check "the timeline is not empty" test "$(jq length "$TMP/timeline.phone")" -gt 2000
assert_eq "$(git --git-dir "$PHONE/charts/$P.git" rev-parse main)" \
	"$(git --git-dir "$CLINIC/charts/$P.git" rev-parse main)" "the phone's head = the clinic's"
run_raw --store "$PHONE" check
expect_ok
# the index answers the same once rebuilt from the chart alone
rm "$PHONE/carelog.db"
"$CL" --store "$PHONE" timeline "$P" --json >"$TMP/timeline.rebuilt" 2>&1
check "timeline --json after a rebuild = the clone's" cmp -s "$TMP/timeline.phone" "$TMP/timeline.rebuilt"

# rogue_root NAME: one root commit holding the work tree as it is now,
# pushed as the rogue remote's main; its id is left in ROOT.
ROGUE=$TMP/rogue
mkdir -p "$ROGUE" && git clone -q --bare "$CLINIC/charts/$P.git" "$ROGUE/$P.git"
W=$TMP/work
git clone -q "$ROGUE/$P.git" "$W" 2>/dev/null
G() { git -C "$W" -c user.name=M -c user.email=m@x "$@"; }
rogue_root() {
	G add -A
	ROOT=$(G commit-tree -m "$1" "$(G write-tree)")
	G push -q -f origin "$ROOT:refs/heads/main" 2>/dev/null
}
# pretty FILE...: the files rewritten as indented JSON (valid, not canonical)
pretty() {
	local f
	for f in "$@"; do
		jq . "$W/$f" >"$W/$f.tmp" && mv "$W/$f.tmp" "$W/$f"
	done
}
# refused REGEX: a store without the chart refuses the rogue's, naming it,
# and keeps nothing of it: no chart, no patient, the index as it was
NEW=0
refused() {
	NEW=$((NEW + 1))
	local s=$TMP/new$NEW
	new_store "$s" rogue "$ROGUE"
	STORE=$s snapshot "$P"
	run_raw --store "$s" sync rogue --patient "$P"
	expect_failure "$1"
	STORE=$s expect_unchanged
	check "no chart directory" test ! -e "$s/charts/$P.git"
	run_raw --store "$s" patient list --json
	expect_json 'length' "0"
	run_raw --store "$s" check
	expect_ok
}
mapfile -t FILES < <(G ls-tree -r --name-only HEAD)
check "the chart holds 3,000 files" test "${#FILES[@]}" -eq 3000

section "bad records deep in one large commit: the first of them is named"
# file 2,500 in tree order (the walk's order), well past the 512 blobs
# checked before the threads start, made slow to refuse (valid JSON, not
# canonical), and the 20 files after it made quick to refuse (not JSON):
# with four threads these are refused before it, and must not be named
F1=${FILES[2499]}
pretty "$F1"
for i in $(seq 2500 2519); do echo x >"$W/${FILES[$i]}"; done
rogue_root "bad records"
refused "refused: commit ${ROOT:0:12}: $(ere_quote "$F1"): record is not in canonical form"
G reset -q --hard

section "a bad record, then a bad path the walking thread meets itself"
# the path check runs on the walking thread, which meets zzz/ right after
# handing out the last record's check (most likely still out then): the
# record comes first in walk order and must be the one named
N=${#FILES[@]}
F1=${FILES[$((N - 1))]}
pretty "$F1"
mkdir -p "$W/zzz" && echo '{"x":1}' >"$W/zzz/evil.json"
rogue_root "a bad record and junk"
refused "refused: commit ${ROOT:0:12}: $(ere_quote "$F1"): record is not in canonical form"
G reset -q --hard

section "a bad path alone, late in a large commit"
mkdir -p "$W/zzz" && echo '{"x":1}' >"$W/zzz/evil.json"
rogue_root "junk"
refused "refused: commit ${ROOT:0:12}: zzz/evil.json: not a record path"
G reset -q --hard

section "a record of another patient in a later commit of a large history"
F1=${FILES[1500]}
sed -i "s/\"patient\":\"$P\"/\"patient\":\"0194f3a2-7c1d-7e55-8a10-3b2c4d5e6f70\"/" "$W/$F1"
G commit -qam "another patient's"
G push -q -f origin "HEAD:refs/heads/main" 2>/dev/null
BAD=$(G rev-parse HEAD)
refused "refused: commit ${BAD:0:12}: $(ere_quote "$F1"): a record of patient 0194f3a2"

section "an incremental sync of 1,000 records: a bad one refused, then all of them taken"
# The import wrote two commits (2,000 records, then 1,000). A phone that
# has the first checks the second's 1,000 blobs, past 512: on threads too.
G reset -q --hard "$(git --git-dir "$CLINIC/charts/$P.git" rev-parse main)"
assert_eq "$(G rev-list --count HEAD)" 2 "the clinic chart's commits"
mapfile -t LAST < <(G diff-tree -r --no-commit-id --name-only HEAD)
assert_eq "${#LAST[@]}" 1000 "files the second commit adds"
G push -q -f origin "HEAD~1:refs/heads/main" 2>/dev/null
PH2=$TMP/phone2
new_store "$PH2" rogue "$ROGUE"
run_raw --store "$PH2" sync rogue --patient "$P" --json
expect_ok
expect_json '.[0].received' "2000"
F1=${LAST[899]}
pretty "$F1"
G add -A
BAD=$(G commit-tree -p HEAD~1 -m "the second commit, one record not canonical" "$(G write-tree)")
G push -q -f origin "$BAD:refs/heads/main" 2>/dev/null
STORE=$PH2 snapshot "$P"
run_raw --store "$PH2" sync rogue
expect_failure "refused: commit ${BAD:0:12}: $(ere_quote "$F1"): record is not in canonical form"
STORE=$PH2 expect_unchanged
G reset -q --hard
G push -q -f origin "HEAD:refs/heads/main" 2>/dev/null
run_raw --store "$PH2" sync rogue --json
expect_ok
expect_json '.[0].received' "1000"
"$CL" --store "$PH2" timeline "$P" --json >"$TMP/timeline.phone2" 2>&1
check "timeline --json of phone 2 = the clinic's" cmp -s "$TMP/timeline.clinic" "$TMP/timeline.phone2"
run_raw --store "$PH2" check
expect_ok

finish
