#!/usr/bin/env bash
# tests/servers/store_test.sh CARELOG LG2_PROBE - a real carelog store's
# charts/, as carelog writes them (its modes, config and packs), served by
# each server of servers.sh: git and libgit2 clone a chart and see its main
# head; a branch pushed through the server lands in the chart and is deleted
# again, and `carelog check` finds the store clean afterwards.
set -euo pipefail
CL=${1:?usage: $0 PATH-TO-carelog PATH-TO-lg2_probe}
probe=${2:?usage: $0 PATH-TO-carelog PATH-TO-lg2_probe}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=servers.sh
source "$here/servers.sh"

T=$SERVERS_DIR/t
mkdir -p "$T"
servers_client_env
servers_lsan_libgit2
unset CARELOG_STORE XDG_DATA_HOME

fail() {
	echo "FAIL [${kind:-store}]: $*" >&2
	[ -z "${SERVER_ID:-}" ] || servers_log "$SERVER_ID" >&2
	exit 1
}
same() { [ "$1" == "$2" ] || fail "$3: expected '$2', got '$1'"; }
run() { # a command whose failure fails the test, with its output
	local out
	out=$("$@" 2>&1) || fail "$* failed: $out"
	printf '%s' "$out"
}

store=$T/clinic
# not a clinic store: a clinic's charts refuse any branch but main through
# their pre-receive hook (tests/cli/hook.sh), and this test pushes one
run "$CL" --store "$store" init >/dev/null
patient=$(run "$CL" --store "$store" patient add --name "Léo Martin" --born 2018-03-02)
run "$CL" --store "$store" dose "$patient" --drug sirolimus --amount 1.5 --unit mg >/dev/null
chart=$store/charts/$patient.git
head=$(run git --git-dir "$chart" rev-parse refs/heads/main)

n=0
for kind in git_daemon http_nginx https_nginx http_lighttpd ssh; do
	n=$((n + 1))
	"servers_start_$kind" "$store/charts" || fail "the server did not start"
	url=$SERVER_URL/$patient.git
	opts=()
	unset GIT_SSH_COMMAND GIT_SSL_CAINFO
	case $kind in
	https_nginx) export GIT_SSL_CAINFO=$SERVER_CA; opts=(--ca "$SERVER_CA") ;;
	ssh)
		export GIT_SSH_COMMAND=$SERVER_SSH_COMMAND
		opts=(--ssh-key "$SERVER_SSH_KEY" "$SERVER_SSH_PUBKEY" --known-hosts "$SERVER_SSH_KNOWN_HOSTS")
		;;
	esac
	same "$(run git ls-remote "$url" refs/heads/main | cut -f1)" "$head" "$kind: ls-remote main"
	run "$probe" "${opts[@]}" clone "$url" "$T/lg2-$n" >/dev/null
	same "$(run git -C "$T/lg2-$n" rev-parse HEAD)" "$head" "$kind: libgit2 clone's HEAD"
	run git -C "$T/lg2-$n" checkout -q -b "probe-$n"
	run git -C "$T/lg2-$n" commit -q --allow-empty -m "probe $n" >/dev/null
	run "$probe" "${opts[@]}" push "$T/lg2-$n" "refs/heads/probe-$n:refs/heads/probe-$n" >/dev/null
	same "$(run git --git-dir "$chart" rev-parse "refs/heads/probe-$n")" \
		"$(run git -C "$T/lg2-$n" rev-parse HEAD)" "$kind: pushed branch in the chart"
	run git -C "$T/lg2-$n" push -q origin ":refs/heads/probe-$n" >/dev/null
	if git --git-dir "$chart" rev-parse -q --verify "refs/heads/probe-$n" >/dev/null; then
		fail "$kind: the deleted branch is still in the chart"
	fi
	servers_stop "$SERVER_ID"
	SERVER_ID=""
done
same "$(git --git-dir "$chart" for-each-ref --format='%(refname)')" refs/heads/main "the chart's refs at the end"
same "$(run git --git-dir "$chart" rev-parse refs/heads/main)" "$head" "the chart's main at the end"
run "$CL" --store "$store" check >/dev/null
echo "store_test: a carelog store's chart served by git daemon, nginx (http, https), lighttpd and sshd: cloned, pushed to and checked clean"
