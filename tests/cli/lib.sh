# shellcheck shell=bash
# tests/cli/lib.sh - the tiny assert helper every CLI test script sources.
#
#   source "$(dirname "$0")/lib.sh" "$@"     # $1 = path to the carelog binary
#
# Gives the script:
#   CL      the carelog binary          TMP   a fresh mktemp -d, removed at exit
#   ID_RE   the record id regex         STORE "$TMP/store" (the default --store)
#   run ARGS...      runs `carelog --store "$STORE" ARGS...`; sets RC, OUT, ERR
#   run_raw ARGS...  runs `carelog ARGS...` (no --store)
#   run_skewed OFFSET STORE ARGS...  the same with a wrong wall clock
#   expect_*         assertions on the last run (see below); a failed one is
#                    reported with the command, its stdout and stderr, and the
#                    script goes on; `finish` exits 1 if any failed.
# Every assertion checks real output; none is skipped.

set -u
CL=${1:?usage: $0 PATH-TO-carelog}
case $CL in /*) ;; *) CL=$PWD/$CL ;; esac
[ -x "$CL" ] || { echo "FATAL: $CL is not executable" >&2; exit 1; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/carelog-test.XXXXXX") || exit 1
STORE=$TMP/store
ID_RE='^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'
# The environment must not point the CLI at some real store.
unset CARELOG_STORE XDG_DATA_HOME
export HOME=$TMP/home
mkdir -p "$HOME"
# Keep ASan/UBSan reports in stderr (they then fail the stderr checks) and
# make leaks fail the exit status too.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
# Third-party leaks we cannot fix (see the file): libgit2 1.5's pcre2 use.
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/lsan.supp:print_suppressions=0}

FAILS=0
CHECKS=0
SECTION=""
RC=0 OUT="" ERR="" LAST=""

cleanup() {
	if [ "${KEEP_TMP:-0}" = 1 ] || { [ "$FAILS" -gt 0 ] && [ -n "${KEEP_TMP_ON_FAIL:-}" ]; }; then
		echo "(kept $TMP)" >&2
	else
		rm -rf "$TMP"
	fi
}
trap cleanup EXIT

section() {
	SECTION=$*
	echo "--- $SECTION"
}

# run ARGS...: carelog --store $STORE ARGS...
run() {
	run_raw --store "$STORE" "$@"
}

# run_raw ARGS...: carelog ARGS..., stdin from /dev/null unless RUN_STDIN is set
run_raw() {
	LAST="carelog $*"
	"$CL" "$@" <"${RUN_STDIN:-/dev/null}" >"$TMP/.out" 2>"$TMP/.err"
	RC=$?
	OUT=$(cat "$TMP/.out")
	ERR=$(cat "$TMP/.err")
}

fail() {
	FAILS=$((FAILS + 1))
	{
		echo "FAIL [${SECTION}]: $*"
		echo "    command: $LAST"
		echo "    exit:    $RC"
		echo "    stdout:  $(head -c 2000 "$TMP/.out" | sed '2,$s/^/             /')"
		echo "    stderr:  $(head -c 2000 "$TMP/.err" | sed '2,$s/^/             /')"
	} >&2
}

pass() { CHECKS=$((CHECKS + 1)); }

# check DESCRIPTION CONDITION...: fails with DESCRIPTION unless CONDITION succeeds
check() {
	local what=$1
	shift
	if "$@" >/dev/null; then pass; else fail "$what"; fi
}

assert_eq() { # ACTUAL EXPECTED WHAT
	if [ "$1" == "$2" ]; then pass; else
		fail "$3: expected '$2', got '$1'"
	fi
}

expect_rc() {
	if [ "$RC" -eq "$1" ]; then pass; else fail "exit status $RC, expected $1"; fi
}

expect_stdout_empty() {
	if [ ! -s "$TMP/.out" ]; then pass; else fail "stdout should be empty"; fi
}

expect_stderr_empty() {
	if [ ! -s "$TMP/.err" ]; then pass; else fail "stderr should be empty"; fi
}

expect_stdout_eq() {
	if [ "$OUT" == "$1" ]; then pass; else fail "stdout should be exactly '$1'"; fi
}

expect_stdout_re() { # ERE matched against the whole stdout (grep -E, any line)
	if grep -Eq -- "$1" "$TMP/.out"; then pass; else fail "stdout should match /$1/"; fi
}

expect_stdout_not_re() {
	if ! grep -Eq -- "$1" "$TMP/.out"; then pass; else fail "stdout should not match /$1/"; fi
}

expect_stderr_re() {
	if grep -Eq -- "$1" "$TMP/.err"; then pass; else fail "stderr should match /$1/"; fi
}

# The error shape of the contract: exactly one line `carelog: <what>` on
# stderr, nothing on stdout, exit status $1; the message matches ERE $2.
expect_error() {
	local rc=$1 re=${2:-.}
	expect_rc "$rc"
	expect_stdout_empty
	if [ "$(wc -l <"$TMP/.err")" -eq 1 ] && grep -Eq '^carelog: .+' "$TMP/.err"; then
		pass
	else
		fail "stderr should be one line 'carelog: <what>'"
	fi
	if grep -Eq -- "$re" "$TMP/.err"; then pass; else fail "error message should match /$re/"; fi
}
expect_usage() { expect_error 2 "${1:-.}"; }
expect_failure() { expect_error 1 "${1:-.}"; }

# num DECIMALS VALUE: VALUE as the visit report prints it (C printf %.Nf,
# trailing zeros dropped); awk's printf is C's, on a double as the library's is.
num() {
	awk -v d="$1" -v v="$2" 'BEGIN { s = sprintf("%." d "f", v); if (s ~ /\./) { sub(/0+$/, "", s); sub(/\.$/, "", s) }
		if (s == "-0") s = "0"; print s }'
}

# g VALUE: C printf %g, as `carelog trend` and the report print a lab value
g() { awk -v v="$1" 'BEGIN { printf "%g", v }'; }

# ere_quote TEXT: TEXT as an ERE matching it literally
ere_quote() {
	printf '%s' "$1" | sed 's/[][\\.*^$+?(){}|]/\\&/g'
}

# A creating command: exit 0, stdout exactly one line holding an id, stderr
# empty. Sets ID (empty if the output is not an id).
expect_id() {
	ID=""
	expect_rc 0
	expect_stderr_empty
	if [ "$(wc -l <"$TMP/.out")" -eq 1 ] && [ "$(wc -c <"$TMP/.out")" -eq 37 ] \
		&& grep -Eq -- "$ID_RE" "$TMP/.out"; then
		pass
		ID=$OUT
	else
		fail "stdout should be a record id alone on one line"
	fi
}

# run_skewed OFFSET STORE ARGS...: runs `carelog --store STORE ARGS...` with
# its wall clock moved by OFFSET (libfaketime, "+3d"); sets RC, OUT, ERR.
# Leak checking is off for these runs only (the same commands are
# leak-checked elsewhere). libfaketime 0.9.10 takes a semaphore of its own
# around every stat() and releases it in its destructor; LeakSanitizer's
# check runs after that destructor and its symbolizer stat()s files, so the
# sem_post hit released memory and glibc aborted ("The futex facility
# returned an unexpected error code") or hung: a CI flake, 2 in 25 runs
# under load (gdb: unlock_for_stat <- lstat <- elf_is_symlink <-
# __lsan::DoLeakCheck <- exit).
run_skewed() {
	local offset=$1 store=$2
	shift 2
	LAST="($offset) carelog --store $store $*"
	ASAN_OPTIONS="${ASAN_OPTIONS}:verify_asan_link_order=0:detect_leaks=0" faketime -f "$offset" "$CL" \
		--store "$store" "$@" <"${RUN_STDIN:-/dev/null}" >"$TMP/.out" 2>"$TMP/.err"
	RC=$?
	OUT=$(cat "$TMP/.out")
	ERR=$(cat "$TMP/.err")
}

# Exit 0, stderr empty.
expect_ok() {
	expect_rc 0
	expect_stderr_empty
}

# jq FILTER on the last stdout: prints the result (raw), or fails.
jq_out() {
	local r
	if ! r=$(jq -r "$1" "$TMP/.out" 2>&1); then
		fail "stdout is not JSON jq '$1' can read: $r"
		return 1
	fi
	printf '%s' "$r"
}

# expect_json FILTER EXPECTED: jq -r FILTER of the last stdout equals EXPECTED
expect_json() {
	local r
	r=$(jq -r "$1" "$TMP/.out" 2>&1)
	if [ "$r" == "$2" ]; then pass; else
		fail "jq '$1' of stdout: expected '$2', got '$r'"
	fi
}

# Everything a rejected write must leave alone: the chart directories, every
# chart's main head, every file under charts/ (no stray pack), the patient
# list and `timeline --json` of the patients given. (Voided records are
# covered by the heads and files: any write moves a head.)
store_state() {
	local d p
	(cd "$STORE/charts" && find . -type f -o -type d | LC_ALL=C sort)
	for d in "$STORE"/charts/*.git; do
		[ -d "$d" ] || continue
		echo "head $(basename "$d") $(git --git-dir "$d" rev-parse -q --verify refs/heads/main 2>&1)"
	done
	"$CL" --store "$STORE" patient list --json 2>&1
	for p in "$@"; do
		echo "timeline $p"
		"$CL" --store "$STORE" timeline "$p" --json 2>&1
	done
}

# snapshot PATIENT...; (rejected command); expect_unchanged
snapshot() {
	SNAP_ARGS=("$@")
	store_state "$@" >"$TMP/.state-before"
}
expect_unchanged() {
	store_state "${SNAP_ARGS[@]}" >"$TMP/.state-after"
	if cmp -s "$TMP/.state-before" "$TMP/.state-after"; then pass; else
		fail "the store changed after a rejected command: $(diff "$TMP/.state-before" "$TMP/.state-after" | head -20)"
	fi
}

# chart_head PATIENT: the chart's main commit
chart_head() {
	git --git-dir "$STORE/charts/$1.git" rev-parse main
}

finish() {
	if [ "$FAILS" -gt 0 ]; then
		echo "$(basename "$0"): $FAILS of $((CHECKS + FAILS)) checks FAILED" >&2
		exit 1
	fi
	echo "$(basename "$0"): all $CHECKS checks passed"
	exit 0
}

command -v jq >/dev/null || { echo "FATAL: jq is required" >&2; exit 1; }
command -v git >/dev/null || { echo "FATAL: git is required" >&2; exit 1; }

# setup_store_with_patient NAME: `init`, then `patient add --name NAME`,
# both asserted; the patient's id is left in ID.
setup_store_with_patient() {
	run init
	expect_ok
	run patient add --name "$1"
	expect_id
}
