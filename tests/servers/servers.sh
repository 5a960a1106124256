# shellcheck shell=bash
# shellcheck disable=SC2034  # SERVER_* are set for the scripts that source this
# tests/servers/servers.sh - real git servers on 127.0.0.1 for tests.
#
#   source "$SRC/tests/cli/lib.sh" "$CL"       # if the test uses it: first
#   source "$SRC/tests/servers/servers.sh"
#   servers_client_env; servers_lsan_libgit2
#   servers_start_http_nginx "$STORE/charts"   # or any start below
#   remote=$SERVER_URL                         # "$remote/<patient-id>.git"
#   ...; servers_stop "$SERVER_ID" KILL        # a fault test's server dies
#
# Every server serves one directory, a store's charts/ (CHARTS below), so
# that "$SERVER_URL/<patient-id>.git" is a chart, and runs as the current
# user (libgit2 and git refuse repositories owned by another user: keep the
# store and the server with one owner). Each listens on a port free when it
# starts (never a fixed one: parallel tests do not collide), and everything
# it writes (config, pid, log, sockets, keys) is under its own directory in
# $SERVERS_DIR, a fresh mktemp -d removed when the test exits.
#
#   servers_start_git_daemon CHARTS     git://127.0.0.1:PORT
#   servers_start_http_nginx CHARTS     http://127.0.0.1:PORT/charts
#                                       (git http-backend through fcgiwrap)
#   servers_start_http_lighttpd CHARTS  http://127.0.0.1:PORT/charts
#                                       (git http-backend as a CGI)
#   servers_start_https_nginx CHARTS    https://localhost:PORT/charts
#                                       (the same over TLS; SERVER_CA is the
#                                       PEM of the throwaway test CA to trust)
#   servers_start_https_nginx_auth CHARTS USER PASSWORD
#                                       the same, behind HTTP basic
#                                       authentication (one user)
#   servers_start_ssh CHARTS            ssh://USER@127.0.0.1:PORT/ABS/CHARTS
#                                       (sshd with a throwaway ed25519 host
#                                       key; a throwaway ed25519 client key)
# Each sets, for the server it started:
#   SERVER_ID    handle for servers_stop       SERVER_PORT  its port
#   SERVER_URL   base URL of the charts        SERVER_DIR   its directory
#   SERVER_PID   its (main) process            SERVER_LOG   its log file
# and returns 0 once the server accepts connections on its port. It fails
# (non-zero, after printing the server's log to stderr) if it does not come
# up within SERVERS_START_TIMEOUT seconds (default 20); a port taken between
# choosing and binding it is retried with another.
# servers_start_ssh also sets (the only credentials it accepts):
#   SERVER_SSH_USER        the user name in SERVER_URL (the current user)
#   SERVER_SSH_KEY         throwaway private key (ed25519, no passphrase)
#   SERVER_SSH_PUBKEY      its public key
#   SERVER_SSH_KNOWN_HOSTS known_hosts holding the server's host key
#   SERVER_SSH_COMMAND     an ssh command line for GIT_SSH_COMMAND: that key
#                          only, that known_hosts, strict host key checking
#
#   servers_stop ID [SIGNAL]  stops one server (default TERM) with its helper
#                             processes (fcgiwrap) and waits until they are
#                             gone; KILL (for fault tests: the server dies
#                             mid-fetch or mid-push) kills every process of
#                             the server, the ones serving a request too
#                             (nginx workers, git http-backend, git-daemon's
#                             and sshd's per-connection children)
#   servers_wait_serving ID [SECONDS]
#                             waits (default 10 s) until the server runs a git
#                             request (a git upload-pack, receive-pack or
#                             http-backend among its processes) and prints
#                             that process's pid; 1 if none ran in time. A
#                             fault test then kills the server mid-transfer
#                             (the transfer must last: a large chart)
#   servers_ssh_agent_start   starts an ssh-agent holding the ssh server's
#                             client key (servers_start_ssh first); exports
#                             SSH_AUTH_SOCK and SSH_AGENT_PID (libgit2's
#                             agent credentials read SSH_AUTH_SOCK)
#   servers_ssh_agent_stop    stops it and unsets both
#   servers_stop_all          stops everything started here (the EXIT trap
#                             calls it; a test may call it earlier)
#   servers_log ID            prints every log of a server
#   servers_on_exit COMMAND   runs COMMAND at exit too, after the servers stop
#   servers_free_port         prints a port nothing listens on now
#   servers_test_ca           makes the throwaway CA (servers_start_https_nginx
#                             calls it); sets SERVER_CA
#   servers_render TEMPLATE OUT ADDR PORT CHARTS RUN
#                             fills in a docs/servers/ configuration
#   servers_client_env        a clean environment for git clients: HOME in
#                             $SERVERS_DIR, no system git config, no prompt,
#                             a fixed author; no ssh, TLS or GIT_DIR setting
#                             inherited from the caller's environment
#   servers_lsan_libgit2      in sanitizer builds, LeakSanitizer ignores the
#                             leaks of libgit2 1.5.1 itself (lsan-libgit2.supp;
#                             every clone hits one), and only those
#
# Cleanup never depends on the test ending well: an EXIT trap (chained with
# any EXIT trap the test set before sourcing or sets through
# servers_on_exit) stops every server, and a watchdog process kills them if
# the test's shell dies without running its traps (SIGKILL, ctest timeout).
# SERVERS_KEEP=1 keeps $SERVERS_DIR for a look after the run.
# Requires git, nginx, fcgiwrap, lighttpd, sshd, ssh, ssh-keygen, ssh-agent,
# ssh-add, openssl and ss (scripts/setup.sh installs them); a missing one is
# an error, never a skip.

# nginx, lighttpd, fcgiwrap and sshd live in sbin, which a user's PATH may lack
PATH=$PATH:/usr/sbin:/sbin
SERVERS_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SERVERS_CONF=$SERVERS_SRC/docs/servers
SERVERS_DIR=$(mktemp -d "${TMPDIR:-/tmp}/carelog-servers.XXXXXX") || return 1
SERVERS_START_TIMEOUT=${SERVERS_START_TIMEOUT:-20}
SERVERS__IDS=()
declare -A SERVERS__PID=() SERVERS__LOG=()
SERVERS__N=0
SERVERS__WATCHDOG=""
SERVERS__OWNER=$BASHPID
SERVERS__EXIT_HOOK=""

# Our EXIT trap; an EXIT trap the test set before (lib.sh's cleanup, say)
# is chained: it runs after the servers stop. Installed again by every start,
# so a trap the test sets after sourcing is chained too.
servers__trap() {
	local t
	t=$(trap -p EXIT | sed -e "s/^trap -- '//" -e "s/' EXIT\$//" -e "s/'\\\\''/'/g")
	if [ "$t" != servers__on_exit ]; then
		[ -z "$t" ] || SERVERS__EXIT_HOOK+="${SERVERS__EXIT_HOOK:+; }$t"
		trap servers__on_exit EXIT
	fi
	trap 'exit 130' INT
	trap 'exit 143' TERM
}
servers__trap

# servers_on_exit COMMAND: run COMMAND at exit too (after the servers stop).
servers_on_exit() {
	SERVERS__EXIT_HOOK+="${SERVERS__EXIT_HOOK:+; }$1"
}

servers__on_exit() {
	local rc=$?
	set +e   # nothing stops the cleanup
	servers_stop_all
	servers_ssh_agent_stop
	[ -z "$SERVERS__WATCHDOG" ] || kill -9 "$SERVERS__WATCHDOG" 2>/dev/null || true
	if [ "${SERVERS_KEEP:-0}" = 1 ]; then
		echo "(kept $SERVERS_DIR)" >&2
	else
		rm -rf "$SERVERS_DIR"
	fi
	[ -z "$SERVERS__EXIT_HOOK" ] || eval "$SERVERS__EXIT_HOOK"
	exit "$rc"
}

servers__need() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || [ -x "$c" ] || {
			echo "FATAL: servers.sh needs $c (scripts/setup.sh installs it)" >&2
			return 1
		}
	done
}

# A port that nothing listens on now, below the kernel's ephemeral range so
# that no outgoing connection holds it. Taken for good only when the server
# binds it: starts retry with another port when that fails.
servers_free_port() {
	local low _ p i
	read -r low _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || low=32768
	[ "$low" -gt 12000 ] || low=32768
	for i in $(seq 1 100); do
		p=$((10000 + (RANDOM * 32768 + RANDOM) % (low - 10000)))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	echo "servers_free_port: no free port found" >&2
	return 1
}

servers_client_env() {
	mkdir -p "$SERVERS_DIR/home"
	export HOME=$SERVERS_DIR/home GIT_CONFIG_NOSYSTEM=1 GIT_TERMINAL_PROMPT=0
	export GIT_AUTHOR_NAME=Tester GIT_AUTHOR_EMAIL=tester@example.invalid
	export GIT_COMMITTER_NAME=Tester GIT_COMMITTER_EMAIL=tester@example.invalid
	unset GIT_DIR GIT_WORK_TREE GIT_SSH GIT_SSH_COMMAND SSH_AUTH_SOCK \
		GIT_SSL_CAINFO GIT_SSL_CAPATH GIT_SSL_NO_VERIFY
}

servers_lsan_libgit2() {
	export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}:fast_unwind_on_malloc=0
	export LSAN_OPTIONS=${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$SERVERS_SRC/tests/servers/lsan-libgit2.supp
}

# The watchdog: kills every server of this test once the test's shell is gone
# without having run its EXIT trap.
servers__watchdog() {
	[ -z "$SERVERS__WATCHDOG" ] || return 0
	(
		trap '' INT TERM HUP
		while kill -0 "$SERVERS__OWNER" 2>/dev/null; do sleep 1; done
		# the owner died: its EXIT trap may be running; give it a moment
		sleep 1
		# TERM first: nginx's master takes its workers along only then
		[ -f "$SERVERS_DIR/pids" ] && xargs -r kill <"$SERVERS_DIR/pids" 2>/dev/null && sleep 1
		[ -f "$SERVERS_DIR/pids" ] && xargs -r kill -9 <"$SERVERS_DIR/pids" 2>/dev/null || true
		rm -rf "$SERVERS_DIR"
	) </dev/null >/dev/null 2>&1 &
	SERVERS__WATCHDOG=$!
	disown "$SERVERS__WATCHDOG"   # no "Killed" notice when the EXIT trap ends it
}

servers__register() { # ID PID LOG: a server's main process
	SERVERS__IDS+=("$1")
	SERVERS__PID[$1]=$2
	SERVERS__LOG[$1]=$3
	echo "$2" >>"$SERVERS_DIR/pids"
}

servers__companion() { # ID PID: a process that lives and dies with server ID
	SERVERS__PID[$1]+=" $2"
	echo "$2" >>"$SERVERS_DIR/pids"
}

servers__forget_pid() { # PID: not the watchdog's to kill any more
	local f=$SERVERS_DIR/pids
	[ -f "$f" ] || return 0
	grep -vx -- "$1" "$f" >"$f.new" || true
	mv "$f.new" "$f"
}

servers_log() { # ID: every log of the server (they are all in its directory)
	local log=${SERVERS__LOG[$1]:-} f
	[ -n "$log" ] || return 0
	for f in "$(dirname "$log")"/*.log; do
		[ -f "$f" ] || continue
		echo "----- $1: $f"
		cat "$f"
	done
	echo "----- end of $1's logs"
}

# servers__gone PID: true once the process is gone, or a zombie (a daemon
# that detached is reaped by init, which in a container may never do it)
servers__gone() {
	! kill -0 "$1" 2>/dev/null && return 0
	[ "$(ps -o stat= -p "$1" 2>/dev/null | cut -c1)" = Z ]
}

servers__descendants() { # PID: its children, their children, ...
	local c
	for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do
		echo "$c"
		servers__descendants "$c"
	done
}

servers_stop() { # ID [SIGNAL]
	local id=$1 sig=${2:-TERM} pid i all=()
	[ -n "${SERVERS__PID[$id]:-}" ] || return 0
	for pid in ${SERVERS__PID[$id]}; do
		all+=("$pid")
		if [ "$sig" = KILL ] || [ "$sig" = 9 ]; then
			mapfile -t -O "${#all[@]}" all < <(servers__descendants "$pid")
		fi
	done
	for pid in "${all[@]}"; do
		kill -s "$sig" "$pid" 2>/dev/null || true
	done
	for pid in ${SERVERS__PID[$id]}; do
		for i in $(seq 1 50); do
			servers__gone "$pid" && break
			sleep 0.1
		done
		if ! servers__gone "$pid"; then
			kill -9 "$pid" 2>/dev/null || true
			sleep 0.1
		fi
		wait "$pid" 2>/dev/null || true
		servers__forget_pid "$pid"
	done 2>/dev/null   # and no "Killed" notice from bash
	unset "SERVERS__PID[$id]"
	return 0
}

servers_wait_serving() { # ID [SECONDS]
	local id=$1 secs=${2:-10} i pid p
	for ((i = 0; i < secs * 20; i++)); do
		for pid in ${SERVERS__PID[$id]:-}; do
			for p in $(servers__descendants "$pid"); do
				if ps -o args= -p "$p" 2>/dev/null | grep -Eq 'upload-pack|receive-pack|http-backend'; then
					echo "$p"
					return 0
				fi
			done
		done
		sleep 0.05
	done
	return 1
}

servers_stop_all() {
	local i
	for ((i = ${#SERVERS__IDS[@]} - 1; i >= 0; i--)); do
		servers_stop "${SERVERS__IDS[i]}"
	done
}

servers__listens() { # PID PORT: PID holds a socket listening on 127.0.0.1:PORT
	ss -Hltnp "sport = :$2" 2>/dev/null | grep -q "pid=$1,"
}

# servers__wait ID PORT: until PORT accepts, the server's process alive.
# 0 ready; 1 the process died or the time ran out (log printed); 2 it died
# because the port was taken (log not printed: the caller retries).
servers__wait() {
	local id=$1 port=$2 pid=${SERVERS__PID[$1]%% *} log=${SERVERS__LOG[$1]} i
	local tries=$((SERVERS_START_TIMEOUT * 20))
	for ((i = 0; i < tries; i++)); do
		if servers__gone "$pid"; then
			if grep -qi 'address already in use' "$log" 2>/dev/null; then
				servers_stop "$id"
				return 2
			fi
			echo "servers.sh: $id exited before it accepted connections on port $port" >&2
			servers_log "$id" >&2
			servers_stop "$id"
			return 1
		fi
		# listening, and the listener is ours: a connection alone could
		# reach another server that holds the port (then ours fails to
		# bind, exits, and the start retries on another port)
		if servers__listens "$pid" "$port" && (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			return 0
		fi
		sleep 0.05
	done
	echo "servers.sh: $id did not accept connections on port $port within ${SERVERS_START_TIMEOUT}s" >&2
	servers_log "$id" >&2
	servers_stop "$id"
	return 1
}

# servers__start KIND CHARTS: the retry loop every start shares; calls
# servers__launch_KIND ID DIR CHARTS PORT, which starts the server in the
# background and registers it.
servers__start() {
	local kind=$1 charts=$2 port id dir rc
	[ -d "$charts" ] || { echo "servers.sh: $charts is not a directory" >&2; return 1; }
	charts=$(cd "$charts" && pwd -P)
	servers__need ss || return 1
	servers__trap
	servers__watchdog
	for _ in 1 2 3 4 5; do
		port=$(servers_free_port) || return 1
		SERVERS__N=$((SERVERS__N + 1))
		id=$kind-$SERVERS__N
		dir=$SERVERS_DIR/$id
		mkdir -p "$dir"
		"servers__launch_$kind" "$id" "$dir" "$charts" "$port" || return 1
		rc=0
		servers__wait "$id" "$port" || rc=$?
		case $rc in
		0)
			SERVER_ID=$id SERVER_PORT=$port SERVER_DIR=$dir
			SERVER_PID=${SERVERS__PID[$id]%% *} SERVER_LOG=${SERVERS__LOG[$id]}
			return 0 ;;
		2) echo "servers.sh: port $port was taken, trying another" >&2 ;;
		*) return 1 ;;
		esac
	done
	echo "servers.sh: $kind found no port to listen on" >&2
	return 1
}

# servers_render TEMPLATE OUT ADDR PORT CHARTS RUN: a docs/servers config
# with its placeholders filled in, exactly as README.md shows.
servers_render() {
	sed -e "s|@ADDR@|$3|g" -e "s|@PORT@|$4|g" -e "s|@CHARTS@|$5|g" -e "s|@RUN@|$6|g" \
		"$SERVERS_CONF/$1" >"$2"
}

# git daemon -------------------------------------------------------------

servers__launch_git_daemon() { # ID DIR CHARTS PORT
	local id=$1 dir=$2 charts=$3 port=$4 daemon
	daemon=$(git --exec-path)/git-daemon
	servers__need "$daemon" || return 1
	# git-daemon itself, not `git daemon` (a parent that would outlive a kill)
	"$daemon" --export-all --enable=receive-pack --base-path="$charts" --reuseaddr \
		--port="$port" --listen=127.0.0.1 --pid-file="$dir/git-daemon.pid" \
		--informative-errors --verbose "$charts" </dev/null >"$dir/git-daemon.log" 2>&1 &
	servers__register "$id" $! "$dir/git-daemon.log"
}

servers_start_git_daemon() { # CHARTS
	servers__start git_daemon "$1" || return 1
	SERVER_URL=git://127.0.0.1:$SERVER_PORT
}

# nginx + fcgiwrap + git http-backend -------------------------------------

servers__launch_http_nginx() { # ID DIR CHARTS PORT
	local id=$1 dir=$2 charts=$3 port=$4 globals="daemon off;"
	servers__need nginx fcgiwrap || return 1
	servers_render nginx.conf "$dir/nginx.conf" 127.0.0.1 "$port" "$charts" "$dir"
	if [ "${SERVERS__TLS:-0}" = 1 ]; then
		sed -i -e "s|^\(\t*\)listen 127.0.0.1:$port;\$|\1listen 127.0.0.1:$port ssl;\n\1ssl_certificate $SERVERS_TLS_CERT;\n\1ssl_certificate_key $SERVERS_TLS_KEY;|" "$dir/nginx.conf"
		grep -q "listen 127.0.0.1:$port ssl;" "$dir/nginx.conf" || {
			echo "servers.sh: no listen line to make TLS in $dir/nginx.conf" >&2
			return 1
		}
	fi
	if [ -n "${SERVERS__AUTH:-}" ]; then
		# HTTP basic authentication of the charts: one user, its password
		# hashed by openssl (apr1, which nginx reads)
		printf '%s:%s\n' "${SERVERS__AUTH%%:*}" "$(openssl passwd -apr1 "${SERVERS__AUTH#*:}")" >"$dir/htpasswd"
		sed -i -e "s|^\(\t*\)location ~ ^/charts(/\.\*)\$ {\$|&\n\1\tauth_basic \"carelog charts\";\n\1\tauth_basic_user_file $dir/htpasswd;|" "$dir/nginx.conf"
		grep -q "auth_basic_user_file $dir/htpasswd;" "$dir/nginx.conf" || {
			echo "servers.sh: no charts location to protect in $dir/nginx.conf" >&2
			return 1
		}
	fi
	rm -f "$dir/fcgiwrap.sock"
	fcgiwrap -s "unix:$dir/fcgiwrap.sock" -p /usr/lib/git-core/git-http-backend \
		</dev/null >"$dir/fcgiwrap.log" 2>&1 &
	local fcgi=$!
	# In the foreground, so that its pid is ours to stop and watch. As root,
	# nginx's workers would switch to nobody, who may neither reach fcgiwrap's
	# socket nor write the temp paths: they stay the current user. (nginx
	# takes one -g only.)
	[ "$(id -u)" -ne 0 ] || globals+=" user $(id -un) $(id -gn);"
	nginx -e "$dir/nginx-error.log" -c "$dir/nginx.conf" -g "$globals" \
		</dev/null >>"$dir/nginx-error.log" 2>&1 &
	servers__register "$id" $! "$dir/nginx-error.log"
	servers__companion "$id" "$fcgi"
}

servers_start_http_nginx() { # CHARTS
	servers__start http_nginx "$1" || return 1
	SERVER_URL=http://127.0.0.1:$SERVER_PORT/charts
}

# nginx over TLS, with a throwaway test CA --------------------------------

# servers_test_ca: a CA made for this test and a server certificate it signs
# for localhost and 127.0.0.1 (EC P-256, valid 7 days), made once per test.
# Sets SERVER_CA (the CA's PEM file: what a client is handed to trust),
# SERVERS_TLS_CERT and SERVERS_TLS_KEY.
servers_test_ca() {
	local d=$SERVERS_DIR/ca
	SERVER_CA=$d/ca.pem SERVERS_TLS_CERT=$d/server.pem SERVERS_TLS_KEY=$d/server.key
	[ ! -s "$SERVERS_TLS_CERT" ] || return 0
	servers__need openssl || return 1
	mkdir -p "$d"
	printf '%s\n' 'subjectAltName=DNS:localhost,IP:127.0.0.1' \
		'basicConstraints=critical,CA:FALSE' 'keyUsage=critical,digitalSignature' \
		'extendedKeyUsage=serverAuth' >"$d/server.ext"
	{
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
			-keyout "$d/ca.key" -out "$d/ca.pem" -days 7 -subj "/CN=carelog test CA" \
			-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign &&
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
			-keyout "$d/server.key" -out "$d/server.csr" -subj "/CN=localhost" &&
		openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
			-CAcreateserial -days 7 -extfile "$d/server.ext" -out "$d/server.pem"
	} >"$d/openssl.log" 2>&1 || {
		echo "servers_test_ca: openssl failed:" >&2
		cat "$d/openssl.log" >&2
		return 1
	}
}

servers__launch_https_nginx() { # ID DIR CHARTS PORT
	servers__launch_http_nginx "$@" || return 1
}

# servers_start_https_nginx CHARTS: docs/servers/nginx.conf with its listen
# line made TLS (the test CA's certificate); SERVER_URL is
# https://localhost:PORT/charts (the certificate also names 127.0.0.1, but
# libgit2's mbedTLS checks names only) and SERVER_CA the CA to trust.
servers_start_https_nginx() { # CHARTS
	servers_test_ca || return 1
	SERVERS__TLS=1
	servers__start https_nginx "$1" || { SERVERS__TLS=0; return 1; }
	SERVERS__TLS=0
	SERVER_URL=https://localhost:$SERVER_PORT/charts
}

# servers_start_https_nginx_auth CHARTS USER PASSWORD: the same, and the
# charts need HTTP basic authentication as USER with PASSWORD.
servers_start_https_nginx_auth() { # CHARTS USER PASSWORD
	SERVERS__AUTH="$2:$3"
	servers_start_https_nginx "$1" || { SERVERS__AUTH=""; return 1; }
	SERVERS__AUTH=""
}

# lighttpd + git http-backend (CGI) ---------------------------------------

servers__launch_http_lighttpd() { # ID DIR CHARTS PORT
	local id=$1 dir=$2 charts=$3 port=$4
	servers__need lighttpd || return 1
	servers_render lighttpd.conf "$dir/lighttpd.conf" 127.0.0.1 "$port" "$charts" "$dir"
	# -D: in the foreground, so that its pid is ours to stop and watch
	lighttpd -D -f "$dir/lighttpd.conf" </dev/null >"$dir/lighttpd-error.log" 2>&1 &
	servers__register "$id" $! "$dir/lighttpd-error.log"
}

servers_start_http_lighttpd() { # CHARTS
	servers__start http_lighttpd "$1" || return 1
	SERVER_URL=http://127.0.0.1:$SERVER_PORT/charts
}

# sshd --------------------------------------------------------------------

servers__launch_ssh() { # ID DIR CHARTS PORT
	local id=$1 dir=$2 charts=$3 port=$4 sshd=/usr/sbin/sshd
	servers__need "$sshd" ssh ssh-keygen || return 1
	if [ ! -f "$dir/host_ed25519" ]; then
		ssh-keygen -q -t ed25519 -N '' -C carelog-test-host -f "$dir/host_ed25519" || return 1
		ssh-keygen -q -t ed25519 -N '' -C carelog-test-client -f "$dir/client_ed25519" || return 1
		cp "$dir/client_ed25519.pub" "$dir/authorized_keys"
		chmod 600 "$dir/authorized_keys"
	fi
	# sshd run by root checks its privilege separation directory (Debian's
	# service makes it at boot; a container may not have it).
	if [ "$(id -u)" -eq 0 ] && [ ! -d /run/sshd ]; then
		mkdir -m 0755 /run/sshd || return 1
	fi
	cat >"$dir/sshd_config" <<-EOF
		ListenAddress 127.0.0.1:$port
		HostKey $dir/host_ed25519
		PidFile $dir/sshd.pid
		AuthorizedKeysFile $dir/authorized_keys
		AllowUsers $(id -un)
		# the key files live in a mktemp -d owned by this user
		StrictModes no
		PubkeyAuthentication yes
		PasswordAuthentication no
		KbdInteractiveAuthentication no
		PermitRootLogin prohibit-password
		UsePAM no
		AllowAgentForwarding no
		AllowTcpForwarding no
		X11Forwarding no
		PrintMotd no
		LogLevel VERBOSE
	EOF
	# -D: in the foreground; -e -E: log to a file of ours
	"$sshd" -D -e -f "$dir/sshd_config" -E "$dir/sshd.log" </dev/null >>"$dir/sshd.log" 2>&1 &
	servers__register "$id" $! "$dir/sshd.log"
	printf '[127.0.0.1]:%s %s\n' "$port" "$(cut -d' ' -f1,2 "$dir/host_ed25519.pub")" >"$dir/known_hosts"
}

servers_start_ssh() { # CHARTS
	local charts
	charts=$(cd "$1" && pwd -P) || return 1
	servers__start ssh "$charts" || return 1
	SERVER_SSH_USER=$(id -un)
	SERVER_URL=ssh://$SERVER_SSH_USER@127.0.0.1:$SERVER_PORT$charts
	SERVER_SSH_KEY=$SERVER_DIR/client_ed25519
	SERVER_SSH_PUBKEY=$SERVER_DIR/client_ed25519.pub
	SERVER_SSH_KNOWN_HOSTS=$SERVER_DIR/known_hosts
	SERVER_SSH_COMMAND="ssh -F /dev/null -i $SERVER_SSH_KEY -o IdentitiesOnly=yes -o IdentityAgent=none -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile=$SERVER_SSH_KNOWN_HOSTS -o GlobalKnownHostsFile=/dev/null"
}

# ssh-agent ---------------------------------------------------------------

servers_ssh_agent_start() {
	local out
	servers__need ssh-agent ssh-add || return 1
	[ -n "${SERVER_SSH_KEY:-}" ] || { echo "servers_ssh_agent_start: start the ssh server first" >&2; return 1; }
	servers_ssh_agent_stop
	out=$(ssh-agent -s -a "$SERVERS_DIR/agent.sock") || return 1
	eval "$out" >/dev/null
	export SSH_AUTH_SOCK SSH_AGENT_PID
	echo "$SSH_AGENT_PID" >>"$SERVERS_DIR/pids"
	SERVERS__AGENT=$SSH_AGENT_PID
	ssh-add -q "$SERVER_SSH_KEY" || { echo "servers_ssh_agent_start: ssh-add failed" >&2; return 1; }
}

servers_ssh_agent_stop() {
	[ -n "${SERVERS__AGENT:-}" ] || return 0
	kill "$SERVERS__AGENT" 2>/dev/null || true
	servers__forget_pid "$SERVERS__AGENT"
	rm -f "$SERVERS_DIR/agent.sock"
	unset SSH_AUTH_SOCK SSH_AGENT_PID SERVERS__AGENT
}
