#!/usr/bin/env bash
# carelog check: exit 0 on a sound store, exit 1 with one
# `carelog: check: <patient>: <problem>` line per problem when a chart holds
# an invalid record, a record at the wrong path, or unreadable history; a
# repaired chart checks clean again. Charts are changed behind carelog's back
# with plain git (clone, commit, push), as another git client could.
source "$(dirname "$0")/lib.sh" "$@"

section "setup"
setup_store_with_patient Tom
P=$ID
run patient add --name Ada
expect_id
P2=$ID
run dose "$P" --drug x --amount 1 --unit mg --at 2026-11-20T08:00:00Z
expect_id
D=$ID
run note "$P2" "fine" --at 2026-11-20T08:00:00Z
expect_id
run check
expect_ok
expect_stdout_empty

C=$TMP/clone
git clone -q "$STORE/charts/$P.git" "$C" || fail "git clone"
git -C "$C" config user.email test@example.org
git -C "$C" config user.name test
DPATH=$(cd "$C" && ls dose/*/*/"$D".json)
push() { git -C "$C" commit -qam "$1" && git -C "$C" push -q origin main 2>/dev/null; }
undo() { # reverts the last commit of the clone and pushes it
	if git -C "$C" revert --no-edit HEAD >/dev/null && git -C "$C" push -q origin main 2>/dev/null; then
		pass
	else
		fail "git revert/push"
	fi
}

section "an invalid record in a chart"
jq -c '.amount = -5' "$C/$DPATH" >"$TMP/x" && mv "$TMP/x" "$C/$DPATH"
push "bad amount" || fail "git push"
run check
expect_rc 1
expect_stdout_empty
expect_stderr_re "^carelog: check: $P: $DPATH: invalid record: amount -5 is out of range"
check "every problem line names the patient or the store" \
	test "$(grep -Evc "^carelog: check: ($P|$P2|store): " "$TMP/.err")" -eq 0
check "no problem reported for the sound chart" test "$(grep -c "$P2" "$TMP/.err")" -eq 0

section "repaired: clean again"
undo
run check
expect_ok
run show "$D" --json
expect_json '.amount' 1

section "an unknown field"
jq -c '.colour = "red"' "$C/$DPATH" >"$TMP/x" && mv "$TMP/x" "$C/$DPATH"
push "unknown field" || fail "git push"
run check
expect_rc 1
expect_stderr_re "^carelog: check: $P: $DPATH: invalid record: unknown field 'colour' in a dose record$"
undo
run check
expect_ok

section "a file that is not JSON"
echo "not json" >"$C/$DPATH"
push "garbage" || fail "git push"
run check
expect_rc 1
expect_stderr_re "^carelog: check: $P: $DPATH"
undo
run check
expect_ok

section "a record at the wrong path"
mkdir -p "$C/dose/2020/01"
git -C "$C" mv "$DPATH" "dose/2020/01/$D.json"
push "moved" || fail "git push"
run check
expect_rc 1
expect_stderr_re "^carelog: check: $P: dose/2020/01/$D.json: .*belongs at $(ere_quote "$DPATH")"
undo
run check
expect_ok
run timeline "$P" --json
expect_json 'map(.id) | join(",")' "$D"

section "unreadable history (objects lost)"
mkdir -p "$TMP/packs"
mv "$STORE/charts/$P2.git/objects/pack/"* "$TMP/packs/"
run check
expect_rc 1
check "the problem is reported on stderr" grep -q "^carelog: " "$TMP/.err"
mv "$TMP/packs/"* "$STORE/charts/$P2.git/objects/pack/"
run check
expect_ok

finish
