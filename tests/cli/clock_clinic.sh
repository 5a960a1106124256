#!/usr/bin/env bash
# A phone whose wall clock is three days ahead (libfaketime) does not win
# every conflict at the clinic by accident. The clinic's store is served by
# a real git daemon on loopback, its charts carrying carelog's pre-receive
# hook, which holds pushed versions to the server's clock:
#   - the fast phone's push is refused, it learns how far ahead its clock
#     is, gives its own versions corrected stamps (the wrong ones stay in
#     the history) and pushes again: sync exits 0 and warns;
#   - an edit made on the right phone after the fast phone's concurrent
#     edit wins, and one made before it loses: the later edit in real time
#     wins either way, listed alike on both phones and at the clinic;
#   - with the clock set right before the sync, versions written while it
#     was ahead (and an amendment made after, which follows them) still get
#     corrected stamps, and a time the phone filled in moves back too;
#   - two versions of one record written ahead keep their order;
#   - a refusal whose statement of the clock is garbled keeps its reason;
#   - plain `git push` of a version stamped ahead is refused, naming the
#     device whose clock is wrong;
#   - a phone that received the fast phone's uncorrected version through a
#     bundle is refused too (it corrects only its own versions) and syncs
#     once the fast phone has;
#   - a clinic store refuses a bundle stamped ahead of its clock; a bundle
#     made once the phone's clock is right carries corrected stamps;
#   - a folder has no clock of its own, but a phone whose clock is right
#     again corrects its own versions before it pushes (an amendment made
#     after the fix too), and a phone whose clock is behind corrects
#     nothing.
# (tests/cli/clock_skew.sh covers the fast phone's own ordering through a
# folder, which has no server clock.)
source "$(dirname "$0")/lib.sh" "$@"
command -v faketime >/dev/null || { echo "FATAL: faketime is required (scripts/setup.sh installs it)" >&2; exit 1; }

FAST=$TMP/fast
OK=$TMP/right
CLINIC=$TMP/clinic
fast() { run_skewed +3d "$FAST" "$@"; }
right() { run_raw --store "$OK" "$@"; }
clinic() { run_raw --store "$CLINIC" "$@"; }
TODAY=$(date -u +%Y-%m-%d)
tree_of() { git --git-dir "$1/charts/$P.git" rev-parse 'main^{tree}'; }
# the fast phone syncs: refused, N of its versions corrected, pushed again
fast_sync_corrected() { # N
	fast sync --json
	expect_rc 0
	expect_json '[.[0].ok, .[0].restamped] | map(tostring) | join(",")' "true,$1"
	expect_stderr_re "warning: this device's clock is 3 days 0 hours ahead of clinic's: $1 versions? of chart $P got corrected stamps"
}
same_everywhere() { # WHAT
	assert_eq "$(tree_of "$FAST")" "$(tree_of "$CLINIC")" "$1: fast phone's tree against the clinic's"
	assert_eq "$(tree_of "$OK")" "$(tree_of "$CLINIC")" "$1: right phone's tree against the clinic's"
}

section "a clinic served by git daemon, two phones"
clinic init --role clinic --device clinic --author Clinic
expect_ok
clinic patient add --name Ivy
expect_id
P=$ID
port=$((20000 + RANDOM % 20000))
while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
git daemon --reuseaddr --listen=127.0.0.1 --port="$port" --base-path="$CLINIC/charts" --export-all \
	--enable=receive-pack "$CLINIC/charts" 2>"$TMP/daemon.log" &
DAEMON=$!
trap 'kill $DAEMON 2>/dev/null; cleanup' EXIT
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.05; done
URL=git://127.0.0.1:$port
fast init --device fast --author Fast
expect_ok
right init --device right --author Right
expect_ok
fast remote add clinic "$URL"
expect_ok
right remote add clinic "$URL"
expect_ok
fast sync --patient "$P" --quiet
expect_ok
right sync --patient "$P" --quiet
expect_ok

section "the fast phone's push is refused, its stamps corrected, and pushed again"
fast dose "$P" --drug sirolimus --amount 1 --unit mg --at 2026-11-20T08:00:00Z
expect_id
D=$ID
fast show "$D" --json
FAST_DAY=$(jq_out '.hlc[0:10]')
check "the fast phone stamps days ahead" test "$FAST_DAY" != "$TODAY"
fast_sync_corrected 1
expect_json '.[0].sent' "1"
expect_json '(.[0].clock_ahead_ms / 3600000 | round)' "72"
clinic show "$D" --json
expect_json '.hlc[0:10]' "$TODAY"
expect_json '.amount' "1"
fast show "$D" --history --json
expect_json 'length' "2"
expect_json '.[0].hlc[0:10]' "$FAST_DAY"
expect_json '.[1].hlc[0:10]' "$TODAY"
expect_json '[.[0].amount, .[1].amount] | map(tostring) | join(",")' "1,1"
right sync --quiet
expect_ok
same_everywhere "after the correction"
clinic check
expect_ok

section "an edit made on the right phone after the fast phone's wins"
fast amend "$D" --set amount=5
expect_ok
sleep 1
right sync --quiet
expect_ok
right amend "$D" --set amount=6
expect_ok
right sync --quiet
expect_ok
fast_sync_corrected 1
right sync --quiet
expect_ok
for who in fast right clinic; do
	$who show "$D" --json
	expect_json '.amount' "6"
	$who conflicts --json
	expect_json 'length' "1"
	expect_json '[.[0].winner.amount, .[0].loser.amount, (.[0].loser.device | startswith("fast-"))] | map(tostring) | join(",")' "6,5,true"
	expect_json '.[0].loser.hlc[0:10]' "$TODAY"
done
same_everywhere "after the first conflict"

section "an edit made on the fast phone after the right phone's wins"
right resolve "$D" --keep winner
expect_ok
right dose "$P" --drug prednisone --amount 10 --unit mg
expect_id
E=$ID
right sync --quiet
expect_ok
fast sync --quiet
expect_ok
right amend "$E" --set amount=12
expect_ok
right sync --quiet
expect_ok
sleep 1
fast amend "$E" --set amount=15
expect_ok
fast_sync_corrected 1
right sync --quiet
expect_ok
for who in fast right clinic; do
	$who show "$E" --json
	expect_json '.amount' "15"
	expect_json '.device | startswith("fast-")' "true"
	expect_json '.hlc[0:10]' "$TODAY"
	$who conflicts --json
	expect_json '[.[] | [.winner.amount, .loser.amount] | map(tostring) | join(",")] | join(" ")' "15,12"
done
same_everywhere "after the second conflict"

section "the clock set right before the sync: versions written while it was ahead are corrected"
fast note "$P" "written three days ahead"
expect_id
N2=$ID
fast note "$P" "written three days ahead, then amended with the clock set right"
expect_id
N3=$ID
fast show "$N3" --json
check "a time the phone filled in is days ahead too" test "$(jq_out '.time[0:10]')" != "$TODAY"
right_clock() { run_raw --store "$FAST" "$@"; }
right_clock amend "$N3" --set "text=amended"
expect_ok
right_clock sync --json
expect_rc 0
expect_json '[.[0].ok, .[0].restamped, .[0].clock_ahead_ms] | map(tostring) | join(",")' "true,2,0"
expect_stderr_re "warning: 2 versions of chart $P, written while this device's clock was ahead, got corrected stamps"
# corrected against the phone's own clock (before the push, no server's
# word): the stamps, not the times it recorded
for n in "$N2" "$N3"; do
	clinic show "$n" --json
	expect_json '.hlc[0:10]' "$TODAY"
	expect_json '.time[0:10]' "$FAST_DAY"
done
expect_json '.text' "amended"
right_clock show "$N3" --history --json
expect_json 'length' "3"
expect_json '[.[0].hlc < .[1].hlc, .[1].hlc > .[2].hlc] | all' "true"
fast show "$D" --json
expect_json '.time' "2026-11-20T08:00:00Z"

section "two versions of one record written ahead: the newer stays after the older"
fast note "$P" "first"
expect_id
N4=$ID
fast amend "$N4" --set "text=second"
expect_ok
fast_sync_corrected 1
clinic show "$N4" --history --json
expect_json '[.[-1].text, .[-1].hlc[0:10]] | join(",")' "second,$TODAY"
right sync --quiet
expect_ok
same_everywhere "after the two versions"

section "a large push refused for the clock: the reason still gets through git's progress lines"
# receive-pack reports "Resolving deltas: N%" on the side band, a hundred
# lines for a pack with enough deltas, before the hook's own lines
for i in $(seq 400); do printf '{"kind":"note","patient":"%s","text":"bulk %d"}\n' "$P" "$i"; done >"$TMP/bulk.jsonl"
RUN_STDIN=$TMP/bulk.jsonl run_skewed +3d "$FAST" import -
expect_ok
expect_stdout_eq "400"
fast_sync_corrected 400
right sync --quiet
expect_ok

section "a refusal whose clock statement is garbled keeps its reason"
HOOK=$CLINIC/charts/$P.git/hooks/pre-receive
cp "$HOOK" "$TMP/hook.saved"
printf '#!/bin/sh\necho "carelog: refused: made up; the clinic'"'"'s clock says XXXX-11-26T11:40:00.123Z" >&2\nexit 1\n' >"$HOOK"
fast note "$P" "refused by a made-up hook"
expect_id
fast sync --quiet
expect_failure "sync of chart $P with clinic failed: .*refused the push: refused: made up; the clinic's clock says XXXX"
cp "$TMP/hook.saved" "$HOOK"
fast_sync_corrected 1
right sync --quiet
expect_ok

section "plain git push of a version stamped ahead is refused, naming the device"
HEAD=$(git --git-dir "$CLINIC/charts/$P.git" rev-parse main)
W=$TMP/work
git clone -q "$URL/$P.git" "$W" 2>/dev/null
F=$(cd "$W" && find dose -name "$E.json")
sed -i 's/"hlc":"[^"]*"/"hlc":"2030-01-01T00:00:00.000Z-0000"/' "$W/$F"
git -C "$W" -c user.name=M -c user.email=m@x commit -qam ahead
if git -C "$W" push origin HEAD:main >"$TMP/.push" 2>&1; then fail "the push was accepted"; else
	check "the refusal names the record, its stamp and the device" grep -Eq \
		"remote: carelog: refused: commit [0-9a-f]{12}: $F: record $E is stamped 2030-01-01T00:00:00.000Z-0000, [0-9]+ days [0-9]+ hours ahead of this clinic's clock \(the clinic's clock says $TODAY" \
		"$TMP/.push"
	check "the refusal says whose clock is wrong" grep -Eq "the clock of device 'fast-[0-9a-f]+' is wrong" "$TMP/.push"
fi
assert_eq "$(git --git-dir "$CLINIC/charts/$P.git" rev-parse main)" "$HEAD" "clinic head after the refused push"

section "a version handed on uncorrected is refused from the other phone, until the fast phone syncs"
fast note "$P" "spleen felt smaller"
expect_id
N=$ID
fast bundle create "$P" "$TMP/n.bundle" --since clinic
expect_ok
right bundle apply "$TMP/n.bundle"
expect_ok
RIGHT_HEAD=$(git --git-dir "$OK/charts/$P.git" rev-parse main)
right sync --quiet
expect_failure "sync of chart $P with clinic failed: .*refused the push: refused: commit [0-9a-f]{12}: note/.*$N.json: record $N is stamped .* the clock of device 'fast-[0-9a-f]+' is wrong"
assert_eq "$(git --git-dir "$CLINIC/charts/$P.git" rev-parse main)" "$HEAD" "clinic head after the right phone's refused push"
assert_eq "$(git --git-dir "$OK/charts/$P.git" rev-parse main)" "$RIGHT_HEAD" "the right phone re-stamped nothing of another device"
fast_sync_corrected 1
right sync --quiet
expect_ok
right show "$N" --json
expect_json '.hlc[0:10]' "$TODAY"

section "a bundle handed to the clinic is held to its clock; one made with the clock set right is taken"
fast note "$P" "handed over on a stick"
expect_id
N6=$ID
fast bundle create "$P" "$TMP/b1.bundle" --since clinic
expect_ok
CLINIC_HEAD=$(git --git-dir "$CLINIC/charts/$P.git" rev-parse main)
clinic bundle apply "$TMP/b1.bundle"
expect_usage "refused: commit [0-9a-f]{12}: note/.*$N6.json: record $N6 is stamped .* ahead of this clinic's clock .*the clock of device 'fast-[0-9a-f]+' is wrong; set it right \\(once it is, a new bundle from that device carries corrected stamps\\)"
assert_eq "$(git --git-dir "$CLINIC/charts/$P.git" rev-parse main)" "$CLINIC_HEAD" "clinic head after the refused bundle"
right_clock bundle create "$P" "$TMP/b2.bundle" --since clinic
expect_ok
clinic bundle apply "$TMP/b2.bundle"
expect_ok
clinic show "$N6" --json
expect_json '.hlc[0:10]' "$TODAY"
right_clock sync --quiet
expect_ok

section "a folder has no server clock, but a phone whose clock is right again corrects its own versions first"
fast note "$P" "into a shared folder"
expect_id
N7=$ID
fast note "$P" "into a shared folder, amended once the clock is right"
expect_id
N8=$ID
right_clock amend "$N8" --set "text=amended in time"
expect_ok
mkdir -p "$TMP/folder"
right_clock remote add folder "$TMP/folder"
expect_ok
right_clock sync folder --json
expect_rc 0
expect_json '[.[0].ok, .[0].restamped, .[0].created] | map(tostring) | join(",")' "true,2,true"
for n in "$N7" "$N8"; do
	NP=$(git --git-dir "$TMP/folder/$P.git" ls-tree -r --name-only main | grep "$n")
	check "the folder's copy of note $n is stamped today" \
		bash -c 'git --git-dir "$1" show "main:$2" | jq -e --arg d "$3" ".hlc[0:10] == \$d"' _ "$TMP/folder/$P.git" "$NP" "$TODAY"
done

section "a phone whose clock is behind corrects nothing"
right note "$P" "written today on the right phone"
expect_id
RIGHT_HEAD=$(git --git-dir "$OK/charts/$P.git" rev-parse main)
run_skewed -2d "$OK" bundle create "$P" "$TMP/behind.bundle"
expect_ok
assert_eq "$(git --git-dir "$OK/charts/$P.git" rev-parse main)" "$RIGHT_HEAD" "the right phone's head after a bundle made two days behind"
right show "$ID" --json
expect_json '.hlc[0:10]' "$TODAY"
right_clock sync clinic --quiet
expect_ok
right sync --quiet
expect_ok
right_clock sync clinic --quiet
expect_ok
same_everywhere "at the end"
for who in right clinic; do
	$who check
	expect_ok
done

finish
