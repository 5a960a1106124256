#!/usr/bin/env bash
# A chart is an ordinary git repository: `git clone` checks out one file per
# record at <kind>/<YYYY>/<MM>/<id>.json (the month of the id's time bits),
# holding the record's current canonical JSON and a newline.
source "$(dirname "$0")/lib.sh" "$@"

# month_of ID: YYYY/MM of the id's first 48 bits (ms since the epoch), UTC
month_of() {
	local hex=${1:0:8}${1:9:4}
	date -u -d "@$((16#$hex / 1000))" +%Y/%m
}

section "setup"
run init --author Anna
expect_ok
run patient add --name Tom
expect_id
P=$ID
IDS=("$P")
add() { run "$@"; expect_id; IDS+=("$ID"); }
add plan add "$P" --drug sirolimus --dose 1 --unit mg --start 2026-10-01
add dose "$P" --drug sirolimus --amount 1 --unit mg --at 2026-10-31T23:59:59Z
D=$ID
add dose "$P" --drug sirolimus --amount 1 --unit mg --at 2026-11-01T00:00:00+01:00
add symptom "$P" --code rash --severity 2 --at 2025-01-15T12:00:00Z
add measure "$P" --code temperature --value 101.3 --unit '[degF]' --at 2026-09-01T06:00:00Z
add note "$P" "hello" --at 2026-11-20T08:00:00Z
N=$ID
run amend "$D" --set amount=2
expect_ok
run void "$N" --reason "wrong chart"
expect_ok

section "git clone"
if git clone -q "$STORE/charts/$P.git" "$TMP/clone" 2>"$TMP/.clone-err"; then pass; else
	fail "git clone failed: $(cat "$TMP/.clone-err")"
fi
assert_eq "$(git -C "$TMP/clone" rev-parse --abbrev-ref HEAD)" main "checked-out branch"
assert_eq "$(git -C "$TMP/clone" rev-parse HEAD)" "$(chart_head "$P")" "clone HEAD = chart main"
assert_eq "$(git -C "$TMP/clone" status --porcelain | wc -l)" 0 "clean checkout"
assert_eq "$(git -C "$TMP/clone" rev-list --count HEAD)" $((${#IDS[@]} + 2)) "one commit per write"
(cd "$TMP/clone" && find . -path ./.git -prune -o -type f -print | sed 's|^\./||' | LC_ALL=C sort) >"$TMP/files"
assert_eq "$(wc -l <"$TMP/files")" "${#IDS[@]}" "one file per record"

section "one file per record, at kind/YYYY/MM/id.json, holding its current JSON"
for id in "${IDS[@]}"; do
	run show "$id" --json
	expect_ok
	kind=$(jq -r .kind "$TMP/.out")
	path=$kind/$(month_of "$id")/$id.json
	if grep -qxF "$path" "$TMP/files"; then pass; else
		fail "no $path in the clone: $(tr '\n' ' ' <"$TMP/files")"
		continue
	fi
	# the file is the canonical JSON plus a newline: exactly show --json's output
	if cmp -s "$TMP/.out" "$TMP/clone/$path"; then pass; else
		fail "$path differs from show --json: $(diff "$TMP/.out" "$TMP/clone/$path" | head -5)"
	fi
done
check "the voided note is still in the chart, marked" \
	jq -e '.status == "entered-in-error" and .reason == "wrong chart"' "$TMP/clone/note/$(month_of "$N")/$N.json"
check "the amended dose holds its last version" jq -e '.amount == 2' "$TMP/clone/dose/$(month_of "$D")/$D.json"
old=$(git -C "$TMP/clone" show "HEAD~2:dose/$(month_of "$D")/$D.json" 2>&1)
assert_eq "$(jq -r .amount <<<"$old" 2>&1)" 1 "the dose's first version in the clone's history"
check "git fsck of the chart" git --git-dir "$STORE/charts/$P.git" fsck --strict --no-progress

finish
