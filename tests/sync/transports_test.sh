#!/usr/bin/env bash
# carelog sync through every transport, against real servers on 127.0.0.1
# serving a clinic store's charts/: git daemon, git http-backend behind
# nginx (http, and https with a throwaway CA handed to carelog through
# $CARELOG_CA_FILE, verification never turned off) and behind lighttpd, and
# sshd (ed25519 key file, and ssh-agent). For each: a phone brings the chart
# in with --patient, both sides write, sync both ways, and the trees agree.
# Also: https without the CA is refused; a chart the server lacks gets an
# error saying how a clinic enrolls it. https-nginx-auth: the charts need
# HTTP basic authentication; no credentials and a wrong token are refused,
# a token from the environment and one from git's credential helper
# (credential.helper store) get in, and the token is never printed nor
# written into the store. On a terminal, sync shows progress per chart,
# then its summary line. ssh: an unknown host and a changed key are
# refused, in plain and in hashed known_hosts (ssh-key syncs through a
# hashed one). A phone whose clock is three days ahead gets its push
# refused by the clinic's hook, corrects its stamps and pushes again.
#
#   transports_test.sh PATH-TO-carelog TRANSPORT
#   TRANSPORT: git-daemon | http-nginx | https-nginx | https-nginx-auth |
#              http-lighttpd | ssh-key | ssh-agent
source "$(dirname "$0")/../cli/lib.sh" "$1"
source "$(dirname "$0")/../servers/servers.sh"
servers_client_env
servers_lsan_libgit2
T=${2:?usage: $0 PATH-TO-carelog TRANSPORT}

CLINIC=$TMP/clinic
SEED=$TMP/seed
PHONE=$TMP/phone
on() { local s=$1; shift; run_raw --store "$s" "$@"; }
tree_of() { git --git-dir "$1/charts/$2.git" rev-parse 'main^{tree}'; }

section "a clinic store with a chart, served over $T"
on "$CLINIC" init --role clinic --device clinic --author Clinic
expect_ok
on "$SEED" init --device seed --author Seed
expect_ok
on "$SEED" patient add --name Noah --born 2017-06-01
expect_id
P=$ID
on "$SEED" dose "$P" --drug prednisone --amount 10 --unit mg --at 2026-11-24T08:00:00Z
expect_id
on "$SEED" remote add folder "$CLINIC/charts"
expect_ok
on "$SEED" sync --quiet
expect_ok

case $T in
git-daemon) servers_start_git_daemon "$CLINIC/charts" ;;
http-nginx) servers_start_http_nginx "$CLINIC/charts" ;;
https-nginx) servers_start_https_nginx "$CLINIC/charts" ;;
https-nginx-auth)
	TOKEN=tok-$RANDOM$RANDOM-secret
	servers_start_https_nginx_auth "$CLINIC/charts" clinic-user "$TOKEN" ;;
http-lighttpd) servers_start_http_lighttpd "$CLINIC/charts" ;;
ssh-key | ssh-agent) servers_start_ssh "$CLINIC/charts" ;;
*) echo "FATAL: unknown transport $T" >&2; exit 2 ;;
esac || { fail "the $T server did not start"; finish; }
URL=$SERVER_URL
case $T in
ssh-key | ssh-agent)
	section "ssh: the server's host key is checked"
	export CARELOG_SSH_KNOWN_HOSTS=$TMP/none
	on "$TMP/probe" init
	on "$TMP/probe" remote add clinic "$URL"
	on "$TMP/probe" sync --patient "$P"
	expect_rc 1
	expect_stderr_re "is not a known ssh host"
	sed 's/ [A-Za-z0-9+\/]*=*$/ AAAAC3NzaC1lZDI1NTE5AAAAIKq0qqmGSC0yD+ZqkB3nBXWn3gbLo4oi2zRUjzL0j0Zz/' \
		"$SERVER_SSH_KNOWN_HOSTS" >"$TMP/wrong_known_hosts"
	export CARELOG_SSH_KNOWN_HOSTS=$TMP/wrong_known_hosts
	on "$TMP/probe" sync --patient "$P"
	expect_rc 1
	expect_stderr_re "host key of .* is not the one"
	check "nothing came in from an unverified host" test ! -e "$TMP/probe/charts/$P.git"
	export CARELOG_SSH_KNOWN_HOSTS=$SERVER_SSH_KNOWN_HOSTS
	# OpenSSH's hashed names (ssh-keygen -H; Debian's HashKnownHosts yes):
	# a wrong key under the hashed name is refused as a changed key, and
	# ssh-key runs the rest of the test with the hashed file
	cp "$SERVER_SSH_KNOWN_HOSTS" "$TMP/hashed_known_hosts"
	ssh-keygen -H -f "$TMP/hashed_known_hosts" >/dev/null 2>&1
	check "ssh-keygen hashed the host names" grep -q '^|1|' "$TMP/hashed_known_hosts"
	check "no plain host name is left" bash -c '! grep -q "127.0.0.1" "$1"' _ "$TMP/hashed_known_hosts"
	sed 's/ [A-Za-z0-9+\/]*=*$/ AAAAC3NzaC1lZDI1NTE5AAAAIKq0qqmGSC0yD+ZqkB3nBXWn3gbLo4oi2zRUjzL0j0Zz/' \
		"$TMP/hashed_known_hosts" >"$TMP/wrong_hashed_known_hosts"
	CARELOG_SSH_KNOWN_HOSTS=$TMP/wrong_hashed_known_hosts on "$TMP/probe" sync --patient "$P"
	expect_rc 1
	expect_stderr_re "host key of .* is not the one"
	[ "$T" = ssh-agent ] || export CARELOG_SSH_KNOWN_HOSTS=$TMP/hashed_known_hosts
	;;
esac
case $T in
ssh-key)
	export CARELOG_SSH_KEY=$SERVER_SSH_KEY
	unset SSH_AUTH_SOCK
	;;
ssh-agent)
	servers_ssh_agent_start
	unset CARELOG_SSH_KEY
	;;
esac

on "$PHONE" init --device phone --author Anna
expect_ok
on "$PHONE" remote add clinic "$URL"
expect_ok

if [ "$T" = https-nginx ]; then
	section "https: the server's certificate is checked"
	unset CARELOG_CA_FILE
	on "$PHONE" sync --patient "$P"
	expect_rc 1
	expect_stderr_re "certificate|TLS|SSL|ssl"
	check "nothing came in without the CA" test ! -e "$PHONE/charts/$P.git"
	export CARELOG_CA_FILE=$SERVER_CA
fi

if [ "$T" = https-nginx-auth ]; then
	export CARELOG_CA_FILE=$SERVER_CA
	unset CARELOG_HTTP_TOKEN CARELOG_HTTP_USER
	section "https with authentication: none, then a wrong token, are refused"
	on "$PHONE" sync --patient "$P"
	expect_rc 1
	expect_stderr_re "$P.*asks for a user name and token: set CARELOG_HTTP_TOKEN"
	check "nothing came in without credentials" test ! -e "$PHONE/charts/$P.git"
	CARELOG_HTTP_USER=clinic-user CARELOG_HTTP_TOKEN=wrong-token on "$PHONE" sync --patient "$P"
	expect_rc 1
	expect_stderr_re "authentication"
	check "nothing came in with a wrong token" test ! -e "$PHONE/charts/$P.git"

	section "a token from the environment gets in"
	CARELOG_HTTP_USER=clinic-user CARELOG_HTTP_TOKEN=$TOKEN on "$TMP/envtoken" init
	CARELOG_HTTP_USER=clinic-user CARELOG_HTTP_TOKEN=$TOKEN on "$TMP/envtoken" remote add clinic "$URL"
	CARELOG_HTTP_USER=clinic-user CARELOG_HTTP_TOKEN=$TOKEN on "$TMP/envtoken" sync --patient "$P" --json
	expect_ok
	expect_json '.[0].received' "2"
	check "the token is not printed" bash -c '! grep -qF -- "$1" <<<"$2$3"' _ "$TOKEN" "$OUT" "$ERR"

	section "git's credential helper answers (credential.helper store), the environment has no token"
	printf 'https://clinic-user:%s@localhost:%s\n' "$TOKEN" "$SERVER_PORT" >"$TMP/git-credentials"
	git config --global credential.helper "store --file=$TMP/git-credentials"
fi

section "the phone brings the chart in"
on "$PHONE" sync --patient "$P" --json
expect_ok
expect_json '.[0].ok' "true"
expect_json '.[0].cloned' "true"
expect_json '.[0].received' "2"

section "both sides write; sync both ways; the same tree"
on "$PHONE" symptom "$P" --code fever --severity 5
expect_id
S=$ID
on "$CLINIC" measure "$P" --code platelets --value 48 --unit '10*3/uL' --at 2026-11-24T10:00:00Z
expect_id
M=$ID
on "$PHONE" sync --json
expect_ok
expect_json '.[0].received' "1"
expect_json '.[0].sent' "1"
on "$CLINIC" show "$S" --json
expect_json '.code' "fever"
on "$PHONE" show "$M" --json
expect_json '.value' "48"
assert_eq "$(tree_of "$PHONE" "$P")" "$(tree_of "$CLINIC" "$P")" "phone and clinic trees"
on "$PHONE" sync --json
expect_ok
expect_json '[.[0].received, .[0].sent] | map(tostring) | join(",")' "0,0"

section "on a terminal: progress per chart (objects, bytes), then a summary line"
on "$CLINIC" note "$P" "clinic note for the terminal test" --at 2026-11-24T11:00:00Z
expect_id
on "$PHONE" note "$P" "phone note for the terminal test" --at 2026-11-24T11:05:00Z
expect_id
# script(1) runs sync on a pseudo-terminal (stdout and stderr both) and
# copies what it printed
script -qefc "$(printf '%q ' "$CL" --store "$PHONE" sync)" "$TMP/tty.log" >/dev/null 2>&1 </dev/null
check "sync on a terminal exits 0" test $? -eq 0
check "it shows the transfer: objects and bytes" \
	grep -aqE "clinic $P: (receiving|sending) [0-9]+/[0-9]+ objects, [0-9]+ bytes" "$TMP/tty.log"
check "then the chart's summary line" grep -aqE "clinic $P: received 1, sent 1, conflicts 0" "$TMP/tty.log"
assert_eq "$(tree_of "$PHONE" "$P")" "$(tree_of "$CLINIC" "$P")" "phone and clinic trees after the terminal sync"

section "pushes are thin: the same writes pushed as deltas, then whole"
# a month of 300 notes on the clinic; the phone amends 20 of them and adds
# 20 (40 commits, each rewriting the month's tree of 300 entries). The same
# commits go twice to the same server state: from the phone (thin), then,
# the clinic's chart put back as it was, from a copy of the phone made
# before (CARELOG_THIN_PUSH=0: libgit2's whole pack).
for i in $(seq 1 300); do
	printf '{"kind":"note","patient":"%s","time":"2026-11-20T%02d:%02d:00Z","text":"clinic note %d"}\n' \
		"$P" $((i / 60)) $((i % 60)) "$i"
done >"$TMP/notes.jsonl"
on "$PHONE" import "$TMP/notes.jsonl"
expect_ok
on "$PHONE" sync --json
expect_ok
expect_json '.[0].sent' "300"
on "$PHONE" timeline "$P" --kind note --json
NOTES=$(jq -r '.[] | select(.text | startswith("clinic note")) | .id' <<<"$OUT" | head -20)
check "20 notes to amend" test "$(wc -w <<<"$NOTES")" -eq 20
for id in $NOTES; do
	on "$PHONE" amend "$id" --set text="amended on the phone"
	expect_id
	on "$PHONE" note "$P" "phone note after $id"
	expect_id
done
rm -rf "$TMP/phone-copy" "$TMP/chart-before.git"
cp -a "$PHONE" "$TMP/phone-copy"
cp -a "$CLINIC/charts/$P.git" "$TMP/chart-before.git"
on "$PHONE" sync --json
expect_ok
expect_json '.[0].sent' "40"
THIN=$(jq -r '.[0].bytes_sent' <<<"$OUT")
AFTER=$(tree_of "$CLINIC" "$P")
check "the clinic's chart took the thin pack whole and sound" \
	git --git-dir "$CLINIC/charts/$P.git" fsck --strict --no-dangling --no-progress
rm -rf "$CLINIC/charts/$P.git"
cp -a "$TMP/chart-before.git" "$CLINIC/charts/$P.git"
CARELOG_THIN_PUSH=0 on "$TMP/phone-copy" sync --json
expect_ok
expect_json '.[0].sent' "40"
WHOLE=$(jq -r '.[0].bytes_sent' <<<"$OUT")
check "the whole push left the same tree" test "$(tree_of "$CLINIC" "$P")" = "$AFTER"
echo "# bytes sent: thin $THIN, whole $WHOLE" >&2
# the whole pack holds the month's tree whole once, then deltas (measured:
# 18.6 kB thin, 34.1 kB whole)
check "the thin push sent under two thirds of the bytes ($THIN against $WHOLE)" \
	test "$THIN" -gt 0 -a $((THIN * 3)) -lt $((WHOLE * 2))
on "$PHONE" sync --json
expect_ok
expect_json '[.[0].received, .[0].sent] | map(tostring) | join(",")' "0,0"

section "a phone whose clock is three days ahead: its push is refused, its stamps corrected"
fast() { run_skewed +3d "$PHONE" "$@"; }
fast note "$P" "written on a phone three days ahead"
expect_id
FN=$ID
fast sync --json
expect_rc 0
expect_json '[.[0].ok, .[0].sent, .[0].restamped] | map(tostring) | join(",")' "true,1,1"
expect_stderr_re "warning: this device's clock is 3 days 0 hours ahead of clinic's: 1 version of chart $P got corrected stamps"
on "$CLINIC" show "$FN" --json
expect_json '.hlc[0:10]' "$(date -u +%Y-%m-%d)"
assert_eq "$(tree_of "$PHONE" "$P")" "$(tree_of "$CLINIC" "$P")" "phone and clinic trees after the correction"

section "a chart the server lacks: a clear error, not a silent skip"
on "$PHONE" patient add --name Lena
expect_id
on "$PHONE" sync --json
expect_rc 1
expect_stderr_re "is not on remote clinic or cannot be reached .*bundle"
expect_json 'map(select(.ok)) | length' "1"
on "$PHONE" check
expect_ok
on "$CLINIC" check
expect_ok

if [ "$T" = https-nginx-auth ]; then
	section "the token is in no file of the stores and no object of the charts"
	for st in "$PHONE" "$TMP/envtoken"; do
		check "no file of $st holds the token" bash -c '! grep -rqF -- "$1" "$2"' _ "$TOKEN" "$st"
		check "no object of $st's chart holds the token" bash -c \
			'! git --git-dir "$2/charts/$3.git" cat-file --batch-all-objects --batch | grep -qaF -- "$1"' \
			_ "$TOKEN" "$st" "$P"
	done
fi

finish
