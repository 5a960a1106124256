#!/usr/bin/env bash
# Two syncs of one store never interleave: while another sync holds the
# store's sync lock, a sync waits for it (bounded by CARELOG_LOCK_TIMEOUT_MS)
# and then fails clearly, changing nothing; once the lock is free it runs.
# A bundle apply takes the same lock. Writers are not held up by it.
source "$(dirname "$0")/lib.sh" "$@"
command -v flock >/dev/null || { echo "FATAL: flock (util-linux) is required" >&2; exit 1; }

CLINIC=$TMP/clinic
on() { local s=$1; shift; run_raw --store "$s" "$@"; }

section "setup"
on "$CLINIC" init --role clinic
expect_ok
run init --device phone
expect_ok
run patient add --name Ada
expect_id
P=$ID
run remote add clinic "$CLINIC/charts"
expect_ok

# another store's chart, as a bundle (applied below while the lock is held)
OTHER=$TMP/other
run_raw --store "$OTHER" init --device other
expect_ok
run_raw --store "$OTHER" patient add --name Mia
expect_id
MIA=$ID
run_raw --store "$OTHER" bundle create "$MIA" "$TMP/mia.bundle"
expect_ok

section "another sync holds the lock: this one waits, then fails clearly"
flock "$STORE/sync.lock" sleep 5 &
holder=$!
for _ in $(seq 100); do flock -n "$STORE/sync.lock" true || break; sleep 0.02; done
snapshot "$P"
start=$(date +%s%N)
CARELOG_LOCK_TIMEOUT_MS=400 run sync
waited=$((($(date +%s%N) - start) / 1000000))
expect_failure "another sync of store .* is running"
check "it waited for the lock (${waited} ms) before giving up" test "$waited" -ge 350
expect_unchanged
check "the clinic got nothing" test ! -e "$CLINIC/charts/$P.git"

section "a bundle is applied as a sync is run: it waits for the lock, then fails clearly"
CARELOG_LOCK_TIMEOUT_MS=400 run bundle apply "$TMP/mia.bundle"
expect_failure "another sync of store .* is running"
check "the bundle's chart did not come in" test ! -e "$STORE/charts/$MIA.git"

section "a writer is not held up by the sync lock"
CARELOG_LOCK_TIMEOUT_MS=400 run dose "$P" --drug sirolimus --amount 1 --unit mg
expect_id

section "once the lock is free, the waiting sync runs"
CARELOG_LOCK_TIMEOUT_MS=10000 run sync --json
expect_ok
expect_json '.[0].sent' "2"
wait "$holder"
run bundle apply "$TMP/mia.bundle"
expect_ok
check "with the lock free, the bundle's chart came in" test -d "$STORE/charts/$MIA.git"

finish
