#!/usr/bin/env bash
# carelog --version, --help, `COMMAND --help` for every command, and the
# usage errors of the command line itself (no store needed for any of them).
source "$(dirname "$0")/lib.sh" "$@"

COMMANDS=("init" "patient add" "patient list" "plan add" "dose" "symptom"
	"measure" "note" "amend" "void" "timeline" "show" "import" "check")

section "--version"
run_raw --version
expect_ok
check "--version prints 'carelog MAJOR.MINOR.PATCH'" grep -Eqx 'carelog [0-9]+\.[0-9]+\.[0-9]+' "$TMP/.out"
assert_eq "$(wc -l <"$TMP/.out")" 1 "--version output lines"

section "--help"
run_raw --help
expect_ok
expect_stdout_re '^usage: carelog \[--store DIR\] COMMAND'
for c in "${COMMANDS[@]}"; do
	check "--help lists '$c'" grep -Eq "^  $c " "$TMP/.out"
done
run_raw -h
expect_ok
expect_stdout_re '^usage: carelog'

section "COMMAND --help (exit 0, usage on stdout, no store needed)"
for c in "${COMMANDS[@]}"; do
	# shellcheck disable=SC2086  # split "patient add" into two words
	run_raw --store "$TMP/no-such-store" $c --help
	expect_ok
	check "'$c --help' starts with its usage line" grep -Eq "^usage: carelog .*$c" "$TMP/.out"
	check "'$c --help' did not create a store" test ! -e "$TMP/no-such-store"
done
# --help needs none of the command's required arguments
run_raw --store "$TMP/no-such-store" dose not-a-patient --help
expect_ok
expect_stdout_re '^usage: carelog .*dose'
run_raw --store "$TMP/no-such-store" patient --help
expect_ok
expect_stdout_re '^usage: carelog patient add'
expect_stdout_re '^usage: carelog patient list'

section "usage errors of the command line (exit 2)"
run_raw
expect_rc 2
expect_stdout_empty
expect_stderr_re '^carelog: missing command$'
run_raw --store "$STORE" bogus
expect_usage "^carelog: unknown command 'bogus'"
run_raw --store "$STORE" patient
expect_usage "^carelog: patient needs a subcommand"
run_raw --store "$STORE" patient bogus
expect_usage "^carelog: unknown command 'patient bogus'"
run_raw --bogus
expect_usage "^carelog: unknown option '--bogus'$"
run_raw --store
expect_usage "^carelog: --store needs a value$"
run_raw --version=1
expect_usage "--version takes no value"
run_raw --store "$STORE" init --device
expect_usage "^carelog: --device needs a value$"
check "a rejected init wrote nothing" test ! -e "$STORE"
run_raw --store "$STORE" init --colour red
expect_usage "^carelog: unknown option '--colour'$"
check "a rejected init wrote nothing" test ! -e "$STORE"
run_raw --store "$STORE" init --role doctor
expect_usage "role 'doctor' is not one of caregiver, clinician, clinic"
check "a rejected init leaves no store files" test ! -e "$STORE/device.json"
run_raw --store "$STORE" init --device a --device b
expect_usage "--device is given more than once"
run_raw --store "$STORE" check extra
expect_usage "^carelog: check: unexpected argument 'extra'$"
run_raw --store "$STORE" dose
expect_usage "^carelog: dose: missing PATIENT$"
run_raw --store "$STORE" show
expect_usage "^carelog: show: missing RECORD$"
run_raw --store "$STORE" note 0194f3a2-7c1d-7e55-8a10-3b2c4d5e6f70
expect_usage "^carelog: note: missing TEXT$"
run_raw --store "$STORE" import
expect_usage "^carelog: import: missing FILE"

finish
