#!/usr/bin/env bash
# Seeded randomized convergence test. Four stores (a clinic and three
# phones), every store a remote of every other (path remotes: each store's
# charts/ is a hub the others push into), ROUNDS rounds of random writes,
# amends, voids, resolves, syncs through random hubs and bundles carried by
# hand (all of a chart, or --since what the receiver had at the last sync
# with it). Then everyone syncs
# with the clinic until quiet, and:
#   - every store holds the same tree id for the chart;
#   - `timeline --json --all` and `conflicts --json` are identical everywhere;
#   - every acknowledged write (each id a command printed) is in every
#     timeline;
#   - every conflict a sync reported is still listed or was resolved;
#   - `carelog check` is clean everywhere.
#
#   convergence_test.sh PATH-TO-carelog  (env: CARELOG_CONV_SEED, default 7;
#                                         CARELOG_CONV_ROUNDS, default 200)
source "$(dirname "$0")/../cli/lib.sh" "$@"

SEED=${CARELOG_CONV_SEED:-7}
ROUNDS=${CARELOG_CONV_ROUNDS:-200}
RANDOM=$SEED
echo "seed $SEED, $ROUNDS rounds"
NAMES=(clinic anna ben carla)
dir() { echo "$TMP/$1"; }
on() { local s=$1; shift; run_raw --store "$(dir "$s")" "$@"; }
pick() { local a=("$@"); echo "${a[RANDOM % ${#a[@]}]}"; }

section "setup"
for n in "${NAMES[@]}"; do
	on "$n" init --device "$n" --author "$n"
	expect_ok
done
for n in "${NAMES[@]}"; do
	for m in "${NAMES[@]}"; do
		[ "$n" = "$m" ] && continue
		on "$n" remote add "$m" "$(dir "$m")/charts"
		expect_ok
	done
done
on anna patient add --name "Maya" --born 2016-03-02 --asplenic
expect_id
P=$ID
on anna sync clinic --quiet
expect_ok
for n in ben carla; do
	on "$n" sync clinic --patient "$P" --quiet
	expect_ok
done
: >"$TMP/acked"
IDS=()

section "random rounds"
syncs=0 writes=0 amends=0 voids=0 resolves=0 bundles=0 conflicts_seen=0
for ((r = 1; r <= ROUNDS; r++)); do
	s=$(pick "${NAMES[@]}")
	a=$((RANDOM % 10))
	if [ $a -le 2 ] || [ ${#IDS[@]} -eq 0 ]; then
		on "$s" dose "$P" --drug "$(pick prednisone sirolimus mycophenolate)" --amount $((RANDOM % 40 + 1)) --unit mg
		expect_id
		[ -n "$ID" ] && { echo "$ID" >>"$TMP/acked"; IDS+=("$ID"); writes=$((writes + 1)); }
	elif [ $a -le 4 ]; then
		id=$(pick "${IDS[@]}")
		on "$s" amend "$id" --set amount=$((RANDOM % 40 + 1))
		# the store may not have the record yet (rc 1) or it may be void (rc 2)
		[ "$RC" -eq 0 ] && amends=$((amends + 1))
		[ "$RC" -le 2 ] && pass || fail "amend crashed"
	elif [ $a -eq 5 ] && [ $((RANDOM % 3)) -eq 0 ]; then
		id=$(pick "${IDS[@]}")
		on "$s" void "$id" --reason "round $r"
		[ "$RC" -eq 0 ] && voids=$((voids + 1))
		[ "$RC" -le 2 ] && pass || fail "void crashed"
	elif [ $a -eq 6 ]; then
		on "$s" conflicts "$P" --json
		expect_ok
		rec=$(jq -r '.[0].record // empty' "$TMP/.out")
		if [ -n "$rec" ]; then
			on "$s" resolve "$rec" --keep "$(pick winner loser)"
			# "loser" is refused (rc 2) when several versions are in conflict
			[ "$RC" -eq 0 ] && resolves=$((resolves + 1))
			[ "$RC" -le 2 ] && pass || fail "resolve crashed"
		fi
	elif [ $a -eq 9 ] && [ $((RANDOM % 2)) -eq 0 ]; then
		to=$(pick "${NAMES[@]}")
		[ "$to" = "$s" ] && to=clinic
		[ "$to" = "$s" ] && to=anna
		rm -f "$TMP/hand.bundle"
		[ $((RANDOM % 2)) -eq 0 ] && on "$s" bundle create "$P" "$TMP/hand.bundle" --since "$to"
		# --since is refused (rc 1) until $s has synced with $to: then all of it
		[ -s "$TMP/hand.bundle" ] || on "$s" bundle create "$P" "$TMP/hand.bundle"
		expect_ok
		on "$to" bundle apply "$TMP/hand.bundle"
		expect_ok
		expect_stdout_re "^$P: received [0-9]+$"
		bundles=$((bundles + 1))
	else
		hub=$(pick "${NAMES[@]}")
		[ "$hub" = "$s" ] && hub=clinic
		[ "$hub" = "$s" ] && hub=anna
		on "$s" sync "$hub" --json
		expect_ok
		syncs=$((syncs + 1))
		c=$(jq -r '.[0].conflicts' "$TMP/.out")
		[ "${c:-0}" -gt "$conflicts_seen" ] && conflicts_seen=$c
	fi
done
echo "writes $writes, amends $amends, voids $voids, resolves $resolves, syncs $syncs, bundles $bundles, most conflicts open at once $conflicts_seen"
check "bundles were exchanged" test "$bundles" -gt 0

section "everyone syncs with the clinic until quiet"
for pass_no in 1 2 3; do
	for n in anna ben carla; do
		on "$n" sync clinic --quiet
		expect_ok
	done
done

section "convergence"
T0=$(git --git-dir "$(dir clinic)/charts/$P.git" rev-parse 'main^{tree}')
on clinic timeline "$P" --all --json
cp "$TMP/.out" "$TMP/timeline.clinic"
on clinic conflicts "$P" --json
cp "$TMP/.out" "$TMP/conflicts.clinic"
for n in anna ben carla; do
	assert_eq "$(git --git-dir "$(dir "$n")/charts/$P.git" rev-parse 'main^{tree}')" "$T0" "$n's tree"
	on "$n" timeline "$P" --all --json
	check "$n's timeline equals the clinic's" cmp -s "$TMP/.out" "$TMP/timeline.clinic"
	on "$n" conflicts "$P" --json
	check "$n's conflicts equal the clinic's" cmp -s "$TMP/.out" "$TMP/conflicts.clinic"
done
missing=0
while read -r id; do
	jq -e --arg id "$id" 'any(.[]; .id == $id)' "$TMP/timeline.clinic" >/dev/null || missing=$((missing + 1))
done <"$TMP/acked"
assert_eq "$missing" 0 "acknowledged writes missing from the converged timeline"
# fields: exactly the keys whose values differ between the two versions,
# who wrote them and their clock stamps aside (computed here independently)
check "every open conflict names a record of the chart, both versions and the fields that differ" \
	jq -e --arg p "$P" 'all(.[]; .patient == $p and .winner.id == .record and .loser.id == .record and
		.winner != .loser and
		(.winner as $w | .loser as $l | (.fields | sort) ==
			([($w | keys[]), ($l | keys[])] | unique
			 | map(select(. != "hlc" and . != "device" and . != "author" and $w[.] != $l[.])))))' \
	"$TMP/conflicts.clinic"
echo "open conflicts at the end: $(jq length "$TMP/conflicts.clinic")"
for n in "${NAMES[@]}"; do
	on "$n" check
	expect_ok
done

finish
