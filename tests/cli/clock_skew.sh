#!/usr/bin/env bash
# A phone whose wall clock is three days ahead (libfaketime) syncing with a
# phone whose clock is right, through a clinic folder:
#   - its own later edits order after its earlier ones;
#   - an edit made on the other phone after seeing its version wins (the
#     merge goes by what each side had seen, not by clocks), with no conflict;
#   - it does not drag the other phone's clock ahead: that phone's next
#     stamps carry today's date;
#   - an edit made concurrently on both phones is kept as a conflict, listed
#     alike everywhere.
source "$(dirname "$0")/lib.sh" "$@"
command -v faketime >/dev/null || { echo "FATAL: faketime is required (scripts/setup.sh installs it)" >&2; exit 1; }

FAST=$TMP/fast
OK=$TMP/right
CLINIC=$TMP/clinic
fast() { run_skewed +3d "$FAST" "$@"; }
right() { run_raw --store "$OK" "$@"; }
TODAY=$(date -u +%Y-%m-%d)

section "setup"
mkdir -p "$CLINIC"
fast init --device fast --author Fast
expect_ok
right init --device right --author Right
expect_ok
fast patient add --name Ivy
expect_id
P=$ID
fast remote add clinic "$CLINIC"
expect_ok
right remote add clinic "$CLINIC"
expect_ok
fast dose "$P" --drug sirolimus --amount 1 --unit mg --at 2026-11-20T08:00:00Z
expect_id
D=$ID
fast show "$D" --json
FAST_DAY=$(jq_out '.hlc[0:10]')
check "the fast phone's stamps are days ahead" test "$FAST_DAY" != "$TODAY"

section "its own later edits order after the earlier ones"
fast amend "$D" --set amount=2
expect_ok
fast amend "$D" --set amount=3
expect_ok
fast show "$D" --history --json
expect_json 'map(.amount) | join(",")' "1,2,3"
expect_json '[.[1].hlc < .[2].hlc, .[0].hlc < .[1].hlc] | all' "true"

section "an edit made after seeing its version wins, whatever the clocks say"
fast sync --quiet
expect_ok
right sync --patient "$P" --quiet
expect_ok
right amend "$D" --set amount=4
expect_ok
right sync --quiet
expect_ok
fast sync --quiet
expect_ok
fast show "$D" --json
expect_json '.amount' "4"
fast conflicts --json
expect_json 'length' "0"

section "the right phone's clock is not dragged ahead"
right note "$P" "after the sync"
expect_id
N=$ID
right show "$N" --json
expect_json '.hlc[0:10]' "$TODAY"

section "concurrent edits are a conflict, listed alike on both phones"
fast amend "$D" --set amount=5
expect_ok
right amend "$D" --set amount=6
expect_ok
fast sync --quiet
expect_ok
right sync --quiet
expect_ok
fast sync --quiet
expect_ok
right conflicts --json
expect_json 'length' "1"
expect_json '[.[0].winner.amount, .[0].loser.amount] | map(tostring) | join(",")' "5,6"
R=$OUT
fast conflicts --json
assert_eq "$OUT" "$R" "conflicts on the two phones"
assert_eq "$(git --git-dir "$FAST/charts/$P.git" rev-parse 'main^{tree}')" \
	"$(git --git-dir "$OK/charts/$P.git" rev-parse 'main^{tree}')" "chart trees"

finish
