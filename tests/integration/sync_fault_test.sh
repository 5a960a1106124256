#!/usr/bin/env bash
# Sync fault test. A clinic store served by a real git daemon on loopback, a
# phone that logs and syncs. For ROUNDS rounds:
#   - the syncing process is SIGKILLed at a random instant (10-400 ms; five
#     rounds in six), or
#   - the server is SIGKILLed at a random instant of a transfer (a fresh
#     phone cloning the chart, or the phone pushing), then restarted;
# and after each: `carelog check` is clean on the phone and the clinic, no
# acknowledged record is lost, the phone's next sync completes (exit 0), and
# phone and clinic then hold the same tree.
#
#   sync_fault_test.sh PATH-TO-carelog   (env: CARELOG_FAULT_SEED, default 11;
#                                         CARELOG_FAULT_ROUNDS, default 36:
#                                         30 sync kills, 6 server kills)
source "$(dirname "$0")/../cli/lib.sh" "$@"
FIXTURES=${CARELOG_FIXTURES:-$(dirname "$CL")/../fixtures/carelog-fixtures}

SEED=${CARELOG_FAULT_SEED:-11}
ROUNDS=${CARELOG_FAULT_ROUNDS:-36}
RANDOM=$SEED
CLINIC=$TMP/clinic
PHONE=$TMP/phone
on() { local s=$1; shift; run_raw --store "$s" "$@"; }
sleep_ms() { sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"; }

port=$((20000 + RANDOM % 20000))
while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
DAEMON=
start_daemon() {
	git daemon --reuseaddr --listen=127.0.0.1 --port="$port" --base-path="$CLINIC/charts" --export-all \
		--enable=receive-pack "$CLINIC/charts" 2>>"$TMP/daemon.log" &
	DAEMON=$!
	for _ in $(seq 200); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0; sleep 0.05; done
	fail "git daemon did not start: $(tail -3 "$TMP/daemon.log")"
}
stop_daemon() {
	[ -n "$DAEMON" ] || return 0
	pkill -KILL -P "$DAEMON" 2>/dev/null # its per-connection children
	kill -KILL "$DAEMON" 2>/dev/null
	wait "$DAEMON" 2>/dev/null
	DAEMON=
}
trap 'stop_daemon; cleanup' EXIT

section "setup: a clinic chart of a few thousand records"
on "$CLINIC" init --role clinic --device clinic --author Clinic
expect_ok
"$FIXTURES" --seed "$SEED" --records 4000 --patients 1 --out "$TMP/fixture.jsonl" >/dev/null
check "fixtures written" test -s "$TMP/fixture.jsonl"
on "$CLINIC" import "$TMP/fixture.jsonl"
expect_ok
on "$CLINIC" patient list --json
P=$(jq_out '.[0].id')
start_daemon
URL=git://127.0.0.1:$port
on "$PHONE" init --device phone --author Anna
expect_ok
on "$PHONE" remote add clinic "$URL"
expect_ok
on "$PHONE" sync --patient "$P" --quiet
expect_ok
: >"$TMP/acked"

kills_client=0 kills_server=0
for ((round = 1; round <= ROUNDS; round++)); do
	section "round $round"
	# something to send: a few acknowledged records
	for _ in 1 2 3; do
		on "$PHONE" dose "$P" --drug sirolimus --amount $((RANDOM % 5 + 1)) --unit mg
		expect_id
		[ -n "$ID" ] && echo "$ID" >>"$TMP/acked"
	done
	delay=$((10 + RANDOM % 391))
	# five rounds in six kill the syncing process, the sixth the server
	if [ $((round % 6)) -ne 0 ]; then
		# the syncing process dies
		kills_client=$((kills_client + 1))
		set -m
		"$CL" --store "$PHONE" sync --quiet >/dev/null 2>&1 &
		spid=$!
		set +m
		sleep_ms "$delay"
		kill -KILL -- "-$spid" 2>/dev/null
		wait "$spid" 2>/dev/null
	else
		# the server dies mid-transfer: a fresh phone cloning, or this one pushing
		kills_server=$((kills_server + 1))
		rm -rf "$TMP/fresh"
		"$CL" --store "$TMP/fresh" init --device fresh >/dev/null 2>&1
		"$CL" --store "$TMP/fresh" remote add clinic "$URL" >/dev/null 2>&1
		"$CL" --store "$TMP/fresh" sync --patient "$P" --quiet >/dev/null 2>&1 &
		c1=$!
		"$CL" --store "$PHONE" sync --quiet >/dev/null 2>&1 &
		c2=$!
		sleep_ms "$delay"
		stop_daemon
		wait "$c1" "$c2" 2>/dev/null
		on "$TMP/fresh" check
		expect_ok
		start_daemon
	fi
	on "$PHONE" check
	expect_ok
	if [ $((round % 6)) -eq 0 ]; then
		on "$CLINIC" check
		expect_ok
	fi
	on "$PHONE" sync --quiet
	expect_ok
	assert_eq "$(git --git-dir "$CLINIC/charts/$P.git" rev-parse 'main^{tree}')" \
		"$(git --git-dir "$PHONE/charts/$P.git" rev-parse 'main^{tree}')" "trees after the next sync"
done
echo "sync killed $kills_client times, server killed $kills_server times"

section "no acknowledged record lost"
on "$CLINIC" timeline "$P" --all --json
cp "$TMP/.out" "$TMP/timeline"
missing=0
while read -r id; do
	jq -e --arg id "$id" 'any(.[]; .id == $id)' "$TMP/timeline" >/dev/null || missing=$((missing + 1))
done <"$TMP/acked"
assert_eq "$missing" 0 "acknowledged records missing at the clinic"
check "ends with git fsck --strict of the phone's chart" git --git-dir "$PHONE/charts/$P.git" fsck --strict --no-dangling

finish
