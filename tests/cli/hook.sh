#!/usr/bin/env bash
# A clinic's charts refuse bad pushes on the server itself: `init --role
# clinic` gives every chart a pre-receive hook running carelog's checks.
# Served by a real git daemon on loopback: a phone's sync is accepted; plain
# `git push` of junk, of a record of another patient, of a deletion and of
# a rewritten history is refused with the reason, and the clinic's chart
# does not move.
source "$(dirname "$0")/lib.sh" "$@"

CLINIC=$TMP/clinic
PHONE=$TMP/phone
on() { local s=$1; shift; run_raw --store "$s" "$@"; }

section "a clinic store installs the hook in its charts"
on "$CLINIC" init --role clinic --device clinic --author Clinic
expect_ok
check "device.json names the hook program" jq -e --arg p "$CL" '.hook_program == $p' "$CLINIC/device.json"
on "$PHONE" init --device phone --author Anna
expect_ok
on "$PHONE" patient add --name Zoe
expect_id
P=$ID
on "$PHONE" remote add folder "$CLINIC/charts"
expect_ok
on "$PHONE" sync folder --quiet
expect_ok
on "$CLINIC" patient list --json
expect_json '.[0].id' "$P"
check "the chart a phone pushed into place has the hook once the clinic store opened" \
	grep -q "hook pre-receive" "$CLINIC/charts/$P.git/hooks/pre-receive"

section "git daemon on loopback"
port=$((20000 + RANDOM % 20000))
while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
git daemon --reuseaddr --listen=127.0.0.1 --port="$port" --base-path="$CLINIC/charts" --export-all \
	--enable=receive-pack --pid-file="$TMP/daemon.pid" "$CLINIC/charts" 2>"$TMP/daemon.log" &
DAEMON=$!
trap 'kill $DAEMON 2>/dev/null; cleanup' EXIT
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.05; done
URL=git://127.0.0.1:$port

section "a phone's sync through the server passes the hook"
on "$PHONE" remote add clinic "$URL"
expect_ok
on "$PHONE" dose "$P" --drug sirolimus --amount 1 --unit mg
expect_id
on "$PHONE" sync clinic --json
expect_ok
expect_json '.[0].sent' "1"
HEAD=$(git --git-dir "$CLINIC/charts/$P.git" rev-parse main)
assert_eq "$HEAD" "$(git --git-dir "$PHONE/charts/$P.git" rev-parse main)" "clinic head after the phone's push"

section "plain git pushes of bad history are refused, with the reason"
W=$TMP/work
git clone -q "$URL/$P.git" "$W" 2>/dev/null
G() { git -C "$W" -c user.name=M -c user.email=m@x "$@"; }
push_refused() { # WHAT REGEX
	if G push origin HEAD:main >"$TMP/.push" 2>&1; then
		fail "$1: the push was accepted"
	elif grep -Eq -- "$2" "$TMP/.push"; then pass; else
		fail "$1: the refusal does not say /$2/: $(head -5 "$TMP/.push")"
	fi
	assert_eq "$(git --git-dir "$CLINIC/charts/$P.git" rev-parse main)" "$HEAD" "$1: clinic head"
}
mkdir -p "$W/junk" && echo '{}' >"$W/junk/x.json" && G add -A && G commit -qm junk
push_refused "junk file" "remote: carelog: refused: commit [0-9a-f]{12}: junk/x.json: not a record path"
G reset -q --hard origin/main
F=$(cd "$W" && find dose -name '*.json' | head -1)
sed -i "s/\"patient\":\"$P\"/\"patient\":\"0194f3a2-7c1d-7e55-8a10-3b2c4d5e6f70\"/" "$W/$F"
G commit -qam other
push_refused "another patient's record" "a record of patient 0194f3a2"
G reset -q --hard origin/main
G rm -q "$F" && G commit -qm delete
push_refused "deleting a record" "deletes a record"
G reset -q --hard origin/main
G commit -q --amend -m rewritten
if G push -f origin HEAD:main >"$TMP/.push" 2>&1; then fail "a rewrite was accepted"; else
	check "a rewrite is refused as dropping history" grep -q "would drop history" "$TMP/.push"
fi
assert_eq "$(git --git-dir "$CLINIC/charts/$P.git" rev-parse main)" "$HEAD" "clinic head after the rewrite"
G reset -q --hard origin/main
G push origin HEAD:refs/heads/other >"$TMP/.push" 2>&1 && fail "another branch was accepted" ||
	check "another branch is refused" grep -q "only the branch main" "$TMP/.push"
on "$CLINIC" check
expect_ok

finish
