#!/usr/bin/env bash
# tests/servers/servers_test.sh TRANSPORT - proves one test server of
# servers.sh with plain git, before any sync code uses it.
#   TRANSPORT: git-daemon | http-nginx | https-nginx | http-lighttpd | ssh |
#              ssh-agent (servers.sh's servers), or readme-git-daemon | readme-nginx |
#              readme-lighttpd: the server started by running README.md's
#              block of that name as written (STORE, and PORT and RUN of
#              its first line set by the test; 0.0.0.0 -> 127.0.0.1), and
#              stopped by README's block "stop"
# A bare chart (HEAD -> main) in a fresh charts/ dir is served; git clones it
# through the server, commits (one of them over 1 MiB, so that git's HTTP
# push is chunked, as libgit2's always is), pushes, clones again elsewhere
# and compares; a second branch pushed from the second clone must land in
# the server's repository and reach the first clone; a chart that does not
# exist must not be served. With LG2_PROBE, libgit2 (the library sync uses)
# clones, pushes and fetches through the same server, with the credentials
# sync will use: the test CA, ssh key files or ssh-agent, the known host key.
# Then the server stops and its port closes.
set -euo pipefail
transport=${1:?usage: $0 git-daemon|http-nginx|https-nginx|http-lighttpd|ssh|ssh-agent|readme-NAME [LG2_PROBE]}
probe=${2:-}   # lg2_probe (tests/servers/lg2_probe.c): the same through libgit2
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=servers.sh
source "$here/servers.sh"

T=$SERVERS_DIR/t   # removed with the servers at exit
mkdir -p "$T"
servers_client_env

fail() {
	echo "FAIL [$transport]: $*" >&2
	[ -z "${SERVER_ID:-}" ] || servers_log "$SERVER_ID" >&2
	exit 1
}
same() { # ACTUAL EXPECTED WHAT
	[ "$1" == "$2" ] || fail "$3: expected '$2', got '$1'"
}
# git ARGS... with its output kept for the failure message
g() {
	local out
	out=$(git "$@" 2>&1) || fail "git $* failed: $out"
	printf '%s' "$out"
}

# http_status PATH: the status code the HTTP server answers GET PATH with
http_status() {
	local line
	exec 3<>"/dev/tcp/127.0.0.1/$SERVER_PORT"
	printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$1" >&3
	IFS= read -r line <&3 || true
	exec 3<&-
	line=${line%$'\r'}
	echo "${line#HTTP/1.? }" | cut -d' ' -f1
}

# start_from_readme NAME CHARTS: runs README.md's block NAME through
# servers.sh's start loop (its port choice, readiness wait and cleanup)
readme_block() {
	awk -v tag="<!-- servers:$1 -->" '
		$0 == tag { found = 1; next }
		found && !inblock && /^```sh$/ { inblock = 1; next }
		inblock && /^```$/ { exit }
		inblock { print }' "$SERVERS_SRC/README.md"
}
servers__launch_readme() { # ID DIR CHARTS PORT
	local id=$1 dir=$2 charts=$3 port=$4 block first pids=() f i
	block=$(readme_block "$readme_name")
	[ -n "$block" ] || fail "README.md has no block <!-- servers:$readme_name -->"
	first=${block%%$'\n'*}
	[[ $first == "PORT="*" RUN="* ]] || fail "README block $readme_name does not start with PORT=... RUN=...: $first"
	block="PORT=$port RUN=$dir${block#"$first"}"
	block=${block//0.0.0.0/127.0.0.1}
	# README's nginx runs as the store's (unprivileged) owner; as root its
	# workers would become nobody, who cannot reach fcgiwrap's socket here
	if [ "$(id -u)" -eq 0 ]; then
		block=${block//-c \"\$RUN\/nginx.conf\"/-c \"\$RUN\/nginx.conf\" -g \"user root root;\"}
	fi
	printf '%s\n' "$block" >"$dir/readme-block.sh"
	# shellcheck disable=SC2034 # servers.sh reads it
	SERVERS__LOG[$id]=$dir/readme.log
	if ! (cd "$SERVERS_SRC" && STORE=${charts%/charts} bash -eu "$dir/readme-block.sh") \
		</dev/null >"$dir/readme.log" 2>&1; then
		echo "README block $readme_name failed:" >&2
		cat "$dir/readme-block.sh" >&2
		SERVERS__IDS+=("$id")
		servers_log "$id" >&2
		return 1
	fi
	# the daemons write their pid files once detached
	for f in $readme_pidfiles; do
		for i in $(seq 1 100); do
			[ -s "$dir/$f" ] && break
			sleep 0.05
		done
		[ -s "$dir/$f" ] || { SERVERS__IDS+=("$id"); servers_log "$id" >&2; fail "no $f after README block $readme_name"; }
		pids+=("$(cat "$dir/$f")")
	done
	servers__register "$id" "${pids[0]}" "$dir/readme.log"
	for ((i = 1; i < ${#pids[@]}; i++)); do servers__companion "$id" "${pids[i]}"; done
}
start_from_readme() { # NAME CHARTS
	readme_name=$1
	case $1 in
	git-daemon) readme_pidfiles=git-daemon.pid ;;
	nginx) readme_pidfiles="nginx.pid fcgiwrap.pid" ;;
	lighttpd) readme_pidfiles=lighttpd.pid ;;
	*) fail "no README block $1 known" ;;
	esac
	[ "$(basename "$2")" = charts ] || fail "README blocks serve \$STORE/charts"
	servers__start readme "$2" || fail "README block $1 did not start a server"
	case $1 in
	git-daemon) SERVER_URL=git://127.0.0.1:$SERVER_PORT ;;
	*) SERVER_URL=http://127.0.0.1:$SERVER_PORT/charts ;;
	esac
}

charts=$T/store/charts
chart=0196a3c2-5d1e-7a10-8b2c-3d4e5f607182   # the shape of a patient id
mkdir -p "$charts"
g init -q --bare -b main "$charts/$chart.git" >/dev/null
same "$(git --git-dir "$charts/$chart.git" symbolic-ref HEAD)" refs/heads/main "server HEAD"

start_server() { # the server of $transport, for $charts
	case $transport in
	git-daemon) servers_start_git_daemon "$charts" ;;
	http-nginx) servers_start_http_nginx "$charts" ;;
	https-nginx) servers_start_https_nginx "$charts" ;;
	http-lighttpd) servers_start_http_lighttpd "$charts" ;;
	ssh | ssh-agent) servers_start_ssh "$charts" ;;
	readme-*) start_from_readme "${transport#readme-}" "$charts" ;;
	*) fail "unknown transport" ;;
	esac || fail "the $transport server did not start"
}
start_server
case $transport in
https-nginx)
	# the test CA is handed to git; verification stays on (checked below)
	export GIT_SSL_CAINFO=$SERVER_CA
	;;
ssh | ssh-agent)
	if [ "$transport" = ssh ]; then
		export GIT_SSH_COMMAND=$SERVER_SSH_COMMAND
	else
		# the key only through the agent, as libgit2's agent credentials
		servers_ssh_agent_start || fail "ssh-agent did not start"
		[ -S "$SSH_AUTH_SOCK" ] || fail "SSH_AUTH_SOCK is not a socket"
		same "$(ssh-add -L | cut -d' ' -f1,2)" "$(cut -d' ' -f1,2 "$SERVER_SSH_PUBKEY")" "agent's key"
		export GIT_SSH_COMMAND="ssh -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile=$SERVER_SSH_KNOWN_HOSTS -o GlobalKnownHostsFile=/dev/null"
	fi
	;;
esac
url=$SERVER_URL/$chart.git
echo "$transport: $url (pid $SERVER_PID)"
case $transport in
*git-daemon) [[ $url == git://127.0.0.1:*/$chart.git ]] ;;
http-* | readme-*) [[ $url == http://127.0.0.1:*/charts/$chart.git ]] ;;
https-*) [[ $url == https://localhost:*/charts/$chart.git ]] ;;
ssh*) [[ $url == "ssh://$(id -un)@127.0.0.1:"*"$charts/$chart.git" ]] ;;
esac || fail "unexpected URL $url"

# 1. clone the empty chart, commit, push
g clone -q "$url" "$T/one" >/dev/null
same "$(g -C "$T/one" remote get-url origin)" "$url" "origin of the first clone"
g -C "$T/one" checkout -q -b main >/dev/null 2>&1 || true
printf 'dose sirolimus 1.5 mg\n' >"$T/one/record"
g -C "$T/one" add record >/dev/null
g -C "$T/one" commit -q -m first >/dev/null
head -c 1500000 /dev/urandom >"$T/one/large"   # > http.postBuffer: chunked
g -C "$T/one" add large >/dev/null
g -C "$T/one" commit -q -m large >/dev/null
g -C "$T/one" push -q origin main >/dev/null
head1=$(g -C "$T/one" rev-parse HEAD)
same "$(git --git-dir "$charts/$chart.git" rev-parse refs/heads/main)" "$head1" "server's main after the push"
g --git-dir "$charts/$chart.git" fsck --strict --no-progress >/dev/null

# 2. a second clone holds the same commit and the same files
g clone -q "$url" "$T/two" >/dev/null
same "$(g -C "$T/two" rev-parse HEAD)" "$head1" "second clone's HEAD"
same "$(g -C "$T/two" symbolic-ref HEAD)" refs/heads/main "second clone's branch"
diff -r --exclude=.git "$T/one" "$T/two" >/dev/null || fail "the two clones' files differ"
cmp -s "$T/one/large" "$T/two/large" || fail "the large file differs"

# 3. a second branch and a commit on main from the second clone land on the
# server, and the first clone fetches both
g -C "$T/two" checkout -q -b second >/dev/null
printf 'symptom fever 2\n' >"$T/two/record2"
g -C "$T/two" add record2 >/dev/null
g -C "$T/two" commit -q -m second >/dev/null
g -C "$T/two" push -q origin second >/dev/null
second=$(g -C "$T/two" rev-parse HEAD)
same "$(git --git-dir "$charts/$chart.git" rev-parse refs/heads/second)" "$second" "server's second branch"
g -C "$T/two" checkout -q main >/dev/null
printf 'note clinic visit\n' >>"$T/two/record"
g -C "$T/two" commit -q -am 'main moves' >/dev/null
g -C "$T/two" push -q origin main >/dev/null
head2=$(g -C "$T/two" rev-parse HEAD)
same "$(git --git-dir "$charts/$chart.git" rev-parse refs/heads/main)" "$head2" "server's main after the second push"
same "$(g --git-dir "$charts/$chart.git" rev-parse "$head2^")" "$head1" "parent of the new main"
g -C "$T/one" fetch -q origin >/dev/null
same "$(g -C "$T/one" rev-parse origin/second)" "$second" "first clone's origin/second"
same "$(g -C "$T/one" rev-parse origin/main)" "$head2" "first clone's origin/main"
same "$(g ls-remote "$url" | LC_ALL=C sort)" \
	"$(git --git-dir "$charts/$chart.git" show-ref --head | awk '{print $1 "\t" $2}' | LC_ALL=C sort)" \
	"ls-remote through the server vs the server's refs"

# 4. a push the server must refuse (not a fast-forward) is refused, and the
# server's repository is unchanged
g -C "$T/one" reset -q --hard "$head1" >/dev/null
printf 'diverging\n' >"$T/one/record3"
g -C "$T/one" add record3 >/dev/null
g -C "$T/one" commit -q -m diverging >/dev/null
if out=$(git -C "$T/one" push origin main 2>&1); then
	fail "a non-fast-forward push was accepted: $out"
fi
grep -Eq 'rejected|fetch first|non-fast-forward' <<<"$out" || fail "push refused for another reason: $out"
same "$(git --git-dir "$charts/$chart.git" rev-parse refs/heads/main)" "$head2" "server's main after a refused push"

# 5. no chart, no service
if out=$(git ls-remote "$SERVER_URL/0196a3c2-0000-7000-8000-000000000000.git" 2>&1); then
	fail "a chart that does not exist was served: $out"
fi

# 5a. libgit2 through the same server
if [ -n "$probe" ]; then
	[ -x "$probe" ] || fail "$probe is not executable"
	lg2_opts=()
	case $transport in
	https-nginx) lg2_opts=(--ca "$SERVER_CA") ;;
	ssh) lg2_opts=(--ssh-key "$SERVER_SSH_KEY" "$SERVER_SSH_PUBKEY" --known-hosts "$SERVER_SSH_KNOWN_HOSTS") ;;
	ssh-agent) lg2_opts=(--ssh-agent --known-hosts "$SERVER_SSH_KNOWN_HOSTS") ;;
	esac
	# in a sanitizer build, leak checks stay on but for libgit2's own leaks
	servers_lsan_libgit2
	lg2() {
		local out
		out=$("$probe" "${lg2_opts[@]}" "$@" 2>&1) || fail "lg2_probe $* failed: $out"
	}
	lg2 clone "$url" "$T/lg2"
	same "$(g -C "$T/lg2" rev-parse HEAD)" "$head2" "libgit2 clone's HEAD"
	same "$(g -C "$T/lg2" rev-parse origin/second)" "$second" "libgit2 clone's origin/second"
	head -c 1500000 /dev/urandom >"$T/lg2/large-lg2"
	g -C "$T/lg2" add large-lg2 >/dev/null
	g -C "$T/lg2" commit -q -m 'through libgit2' >/dev/null
	head3=$(g -C "$T/lg2" rev-parse HEAD)
	lg2 push "$T/lg2" refs/heads/main:refs/heads/main
	same "$(git --git-dir "$charts/$chart.git" rev-parse refs/heads/main)" "$head3" "server's main after libgit2's push"
	g --git-dir "$charts/$chart.git" fsck --strict --no-progress >/dev/null
	g -C "$T/two" push -q origin "$second:refs/heads/third" >/dev/null
	lg2 fetch "$T/lg2"
	same "$(g -C "$T/lg2" rev-parse origin/third)" "$second" "libgit2 fetch of a new branch"
	# a non-fast-forward push through libgit2 is refused, the server unchanged
	g -C "$T/lg2" reset -q --hard "$head2" >/dev/null
	g -C "$T/lg2" commit -q --allow-empty -m 'diverging' >/dev/null
	if out=$("$probe" "${lg2_opts[@]}" push "$T/lg2" refs/heads/main:refs/heads/main 2>&1); then
		fail "libgit2's non-fast-forward push was accepted"
	fi
	same "$(git --git-dir "$charts/$chart.git" rev-parse refs/heads/main)" "$head3" "server's main after libgit2's refused push"
	case $transport in
	https-nginx)
		if out=$("$probe" clone "$url" "$T/lg2-noca" 2>&1); then
			fail "libgit2 cloned over TLS without the test CA"
		fi
		grep -Eqi 'certificate' <<<"$out" || fail "libgit2 without the test CA failed for another reason: $out"
		;;
	ssh)
		printf '[127.0.0.1]:%s %s\n' "$SERVER_PORT" "$(cut -d' ' -f1,2 "$SERVER_SSH_PUBKEY")" >"$T/wrong_known_hosts"
		if out=$("$probe" --ssh-key "$SERVER_SSH_KEY" "$SERVER_SSH_PUBKEY" --known-hosts "$T/wrong_known_hosts" \
			clone "$url" "$T/lg2-wronghost" 2>&1); then
			fail "libgit2 accepted a host key that is not the known one"
		fi
		grep -q 'not the known one' <<<"$out" || fail "libgit2 with a wrong known host failed for another reason: $out"
		;;
	esac
fi

# 5b. over TLS, a client that does not trust the test CA is refused
if [ "$transport" = https-nginx ]; then
	if out=$(env -u GIT_SSL_CAINFO git ls-remote "$url" 2>&1); then
		fail "ls-remote without the test CA succeeded: $out"
	fi
	grep -Eqi 'certificate|SSL' <<<"$out" || fail "ls-remote without the test CA failed for another reason: $out"
fi

# 6. an HTTP server serves the charts and nothing else (not its own files)
case $transport in
http-* | readme-nginx | readme-lighttpd)
	same "$(http_status "/charts/$chart.git/info/refs?service=git-upload-pack")" 200 "GET info/refs"
	for path in / /nginx.conf /lighttpd.conf /nginx-error.log /lighttpd-error.log /charts/; do
		status=$(http_status "$path")
		[[ $status == 4?? ]] || fail "GET $path answered '$status', not 4xx"
	done
	;;
esac

# 7. stopping the server closes its port
port=$SERVER_PORT pid=$SERVER_PID
case $transport in
readme-*)
	# README.md's own stop line, in the server's RUN directory
	stop=$(readme_block stop)
	[ -n "$stop" ] || fail "README.md has no block <!-- servers:stop -->"
	# shellcheck disable=SC2034 # the block reads RUN
	(RUN=$SERVER_DIR && eval "$stop") || fail "README's stop line failed: $stop"
	for i in $(seq 1 50); do servers__gone "$pid" && break; sleep 0.1; done
	;;
esac
servers_stop "$SERVER_ID"
servers__gone "$pid" || fail "server process $pid still runs after it was stopped"
if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
	fail "port $port still accepts after servers_stop"
fi
if out=$(git ls-remote "$url" 2>&1); then
	fail "ls-remote still works after servers_stop: $out"
fi

# 8. servers_stop ID KILL (fault tests) leaves no process of the server,
# those serving a connection included; over git:// and ssh a fetch is held
# open, servers_wait_serving must find its git upload-pack, and the kill
# must end it
case $transport in
readme-*) ;;
*)
	start_server
	sleep 0.2   # workers and helpers up
	# a fetch held open where the transport allows it: the client sends
	# nothing after connecting, so git upload-pack waits for it
	client=""
	case $transport in
	git-daemon)
		exec 4<>"/dev/tcp/127.0.0.1/$SERVER_PORT"
		# pkt-line: 4 hex digits of length, then the request (NULs in it)
		req="git-upload-pack /$chart.git"
		printf '%04x%s\0host=127.0.0.1\0' $((4 + ${#req} + 1 + 14 + 1)) "$req" >&4
		;;
	ssh | ssh-agent)
		mkfifo "$T/hold"
		$SERVER_SSH_COMMAND -i "$SERVER_SSH_KEY" -p "$SERVER_PORT" "$SERVER_SSH_USER@127.0.0.1" \
			"git-upload-pack '$charts/$chart.git'" <"$T/hold" >"$T/hold.out" 2>&1 &
		client=$!
		exec 4>"$T/hold"
		;;
	esac
	serving=""
	case $transport in
	git-daemon | ssh | ssh-agent)
		serving=$(servers_wait_serving "$SERVER_ID" 20) || fail "servers_wait_serving saw no request being served"
		;;
	esac
	procs=$(for p in ${SERVERS__PID[$SERVER_ID]}; do echo "$p"; servers__descendants "$p"; done)
	[ -n "$procs" ] || fail "no processes found for $SERVER_ID"
	[ -z "$serving" ] || grep -qx "$serving" <<<"$procs" || fail "the serving process $serving is not the server's"
	servers_stop "$SERVER_ID" KILL
	for p in $procs; do
		servers__gone "$p" || fail "process $p of $SERVER_ID survived servers_stop KILL: $(ps -o args= -p "$p")"
	done
	if [ -n "$client" ]; then
		for i in $(seq 1 100); do kill -0 "$client" 2>/dev/null || break; sleep 0.05; done
		if wait "$client"; then fail "the held ssh fetch ended well though its server was killed"; fi
	fi
	exec 4>&- || true
	if (exec 3<>"/dev/tcp/127.0.0.1/$SERVER_PORT") 2>/dev/null; then
		fail "port $SERVER_PORT still accepts after servers_stop KILL"
	fi
	;;
esac

killed=" kill,"
[[ $transport != readme-* ]] || killed=""
echo "servers_test $transport: clone, push (one over 1 MiB), second clone, second branch, refused push, missing chart,${probe:+ libgit2 clone/push/fetch/refused push,} stop,$killed all passed"
