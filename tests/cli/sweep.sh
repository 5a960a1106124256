#!/usr/bin/env bash
# A writer killed while making a new patient's chart leaves
# charts/.new-<patient>-<pid>.git behind. The next write that takes the
# store lock removes those of dead processes, and only those.
source "$(dirname "$0")/lib.sh" "$@"

section "setup"
run init
expect_ok
dead="$STORE/charts/.new-01a213a7-f257-7f2b-89b5-e2198bf3eee6-999999999.git"
live="$STORE/charts/.new-01a213a7-f257-7f2b-89b5-e2198bf3eee7-$$.git"
mkdir -p "$dead/objects" "$live/objects"

section "an import after the crash"
run import "$(dirname "$0")/../../fixtures/sample-small.jsonl"
expect_ok
expect_stdout_eq 60
check "the dead writer's temporary chart is gone" test ! -e "$dead"
check "a live process's temporary chart is kept" test -d "$live"

section "a new patient after the crash"
mkdir -p "$dead/objects"
run patient add --name Sweep
expect_id
check "the dead writer's temporary chart is gone again" test ! -e "$dead"
run check
expect_ok

finish
