#!/usr/bin/env bash
# Bundles: `bundle create` writes a chart as a git bundle v2 that plain git
# verifies and clones; `bundle apply` creates the chart in another store or
# merges into it (incrementally with --since, concurrent edits becoming one
# conflict on both sides); hostile bundles made with plain git are refused
# with the commit and path named, the target chart left as it was.
source "$(dirname "$0")/lib.sh" "$@"

A=$TMP/a
B=$TMP/b
C=$TMP/c
use() { STORE=$1; }
gitc() { git -c user.name=Mallory -c user.email=m@example.org "$@"; }
tree_of() { git --git-dir "$1/charts/$2.git" rev-parse "main^{tree}"; }
head_of() { git --git-dir "$1/charts/$2.git" rev-parse main; }
timeline() { "$CL" --store "$1" timeline "$2" --json 2>&1; }
# applies FILE STDOUT-ERE: `bundle apply FILE` succeeds, printing a line that matches
applies() {
	run bundle apply "$1"
	expect_ok
	expect_stdout_re "$2"
}
nrecords() { git --git-dir "$1/charts/$2.git" ls-tree -r --name-only main | grep -c '\.json$'; }

section "setup: store A, patients P and Q, records"
use "$A"
run init --device phone-a --author Anna
expect_ok
run patient add --name Tom
expect_id
P=$ID
run patient add --name Other
expect_id
Q=$ID
run plan add "$P" --drug sirolimus --dose 1 --unit mg --start 2026-10-01
expect_id
run dose "$P" --drug sirolimus --amount 1 --unit mg --at 2026-11-20T08:00:00Z
expect_id
D=$ID
run note "$P" "slept well" --at 2026-11-20T20:00:00Z
expect_id
run amend "$D" --set amount=2
expect_id
run note "$Q" "another child" --at 2026-11-20T21:00:00Z
expect_id
QNOTE=$ID

section "bundle create: a whole chart"
run bundle create "$P" "$TMP/full.bundle"
expect_ok
expect_stdout_empty
check "the bundle exists" test -s "$TMP/full.bundle"
assert_eq "$(stat -c %a "$TMP/full.bundle")" 600 "bundle file mode"
assert_eq "$(find "$TMP" -maxdepth 1 -name 'full.bundle.tmp*' | wc -l)" 0 "no temp file left"
assert_eq "$(head -n 1 "$TMP/full.bundle")" "# v2 git bundle" "bundle signature"
assert_eq "$(sed -n 3p "$TMP/full.bundle")" "$(head_of "$A" "$P") refs/heads/main" "the ref line"
git init -q "$TMP/empty"
if git -C "$TMP/empty" bundle verify "$TMP/full.bundle" >"$TMP/.v" 2>&1; then pass; else
	fail "git bundle verify: $(cat "$TMP/.v")"
fi
if git clone -q "$TMP/full.bundle" "$TMP/clone" 2>"$TMP/.v"; then pass; else
	fail "git clone of the bundle: $(cat "$TMP/.v")"
fi
assert_eq "$(git -C "$TMP/clone" rev-parse HEAD 2>&1)" "$(head_of "$A" "$P")" "the clone's HEAD is the chart's main"
assert_eq "$(find "$TMP/clone" -path "$TMP/clone/.git" -prune -o -name '*.json' -print | wc -l)" \
	"$(nrecords "$A" "$P")" "every record checked out"
run show "$D" --json
expect_ok
DPATH=$(cd "$TMP/clone" && find . -name "$D.json" | sed 's|^\./||')
if cmp -s "$TMP/.out" "$TMP/clone/$DPATH"; then pass; else fail "the clone's $DPATH is not the record's JSON"; fi

section "bundle create: errors"
run bundle create "$P" "$TMP/no/such/dir/x.bundle"
expect_failure "x\.bundle"
check "no file in a missing folder" test ! -e "$TMP/no"
run bundle create 01a21420-3016-7a24-906f-b4b4c0bf7e1c "$TMP/x.bundle"
expect_failure "no patient"
run bundle create "$P" "$TMP/x.bundle" --since hub
expect_failure "no remote named 'hub'"
mkdir "$TMP/hub"
run remote add hub "$TMP/hub"
expect_ok
run bundle create "$P" "$TMP/x.bundle" --since hub
expect_failure "not synced with remote hub"
check "nothing written on error" test ! -e "$TMP/x.bundle"

section "bundle apply: a new chart"
use "$B"
run init --device phone-b --author Ben
expect_ok
run bundle apply "$TMP/full.bundle"
expect_ok
expect_stdout_eq "$P: received $(nrecords "$A" "$P")"
assert_eq "$(head_of "$B" "$P")" "$(head_of "$A" "$P")" "same head as A"
assert_eq "$(timeline "$B" "$P")" "$(timeline "$A" "$P")" "same timeline --json as A"
run patient list --json
expect_json 'map(.id) | join(",")' "$P"
assert_eq "$(ls -A "$B/charts" | tr '\n' ' ')" "$P.git " "no quarantine left under charts/"

section "bundle apply: the same bundle again changes nothing"
snapshot "$P"
applies "$TMP/full.bundle" "^$P: received 0$"
expect_unchanged

section "incremental: bundle create --since a synced remote"
use "$A"
run sync hub --quiet
expect_ok
BASE=$(head_of "$A" "$P")
run dose "$P" --drug sirolimus --amount 1 --unit mg --at 2026-11-21T08:00:00Z
expect_id
run symptom "$P" --code rash --severity 2 --at 2026-11-21T09:00:00Z
expect_id
run bundle create "$P" "$TMP/inc.bundle" --since hub
expect_ok
check "the prerequisite is the remote's last main" grep -aq "^-$BASE " "$TMP/inc.bundle"
check "an incremental bundle is smaller" test "$(stat -c %s "$TMP/inc.bundle")" -lt "$(stat -c %s "$TMP/full.bundle")"
if git -C "$TMP/clone" bundle verify "$TMP/inc.bundle" >"$TMP/.v" 2>&1; then pass; else
	fail "git bundle verify of the incremental bundle: $(cat "$TMP/.v")"
fi
use "$B"
applies "$TMP/inc.bundle" "^$P: received 2$"
assert_eq "$(head_of "$B" "$P")" "$(head_of "$A" "$P")" "B fast-forwarded to A"
assert_eq "$(timeline "$B" "$P")" "$(timeline "$A" "$P")" "same timeline --json after the increment"
SHARED=$(head_of "$B" "$P")

section "incremental: nothing new since the remote's last main"
use "$A"
run bundle create "$P" "$TMP/nothing.bundle" --since hub
expect_ok
use "$C"
run init --device phone-c
expect_ok
use "$A"
run sync hub --quiet
expect_ok
run bundle create "$P" "$TMP/nothing.bundle" --since hub
expect_ok
assert_eq "$(grep -ac "^-$(head_of "$A" "$P") " "$TMP/nothing.bundle")" 1 "the prerequisite is the head itself"
if git -C "$TMP/clone" fetch -q "$TMP/inc.bundle" main && git -C "$TMP/clone" bundle verify "$TMP/nothing.bundle" >"$TMP/.v" 2>&1; then pass; else
	fail "git bundle verify of a bundle with nothing new: $(cat "$TMP/.v")"
fi
use "$B"
snapshot "$P"
applies "$TMP/nothing.bundle" "^$P: received 0$"
expect_unchanged

section "incremental: a store without the base refuses it, naming the commit"
use "$C"
run bundle apply "$TMP/inc.bundle"
expect_failure "builds on commit $BASE"
assert_eq "$(ls -A "$C/charts" | wc -l)" 0 "no chart and no quarantine left"

section "concurrent edits exchanged both ways: one tree, one conflict"
use "$A"
run amend "$D" --set amount=3
expect_id
run note "$P" "from A" --at 2026-11-22T08:00:00Z
expect_id
use "$B"
run amend "$D" --set amount=4
expect_id
run note "$P" "from B" --at 2026-11-22T09:00:00Z
expect_id
use "$A"
run bundle create "$P" "$TMP/a.bundle" --since hub
expect_ok
use "$B"
run bundle create "$P" "$TMP/b.bundle"
expect_ok
applies "$TMP/a.bundle" "^$P: received [1-9]"
use "$A"
applies "$TMP/b.bundle" "^$P: received [1-9]"
assert_eq "$(tree_of "$A" "$P")" "$(tree_of "$B" "$P")" "the same tree id on A and B"
assert_eq "$(timeline "$A" "$P")" "$(timeline "$B" "$P")" "the same timeline --json on A and B"
for s in "$A" "$B"; do
	use "$s"
	run conflicts --json
	expect_ok
	expect_json 'length' 1
	expect_json '.[0].record' "$D"
	expect_json '[.[0].winner.amount, .[0].loser.amount] | sort | map(tostring) | join(",")' 3,4
	expect_json '.[0].fields | index("amount") != null' true
done

section "hostile bundles made with plain git: refused, the chart unchanged"
use "$B"
git clone -q "$B/charts/$P.git" "$TMP/evil"
QPATH=$(git --git-dir "$A/charts/$Q.git" ls-tree -r --name-only main | grep "$QNOTE")
NPATH=$(git -C "$TMP/evil" ls-tree -r --name-only HEAD | grep '^note/' | head -n 1)
# hostile NAME DESCRIPTION: commits what the caller changed in $TMP/evil and
# bundles main as $TMP/NAME.bundle, then resets the clone
hostile() {
	gitc -C "$TMP/evil" add -A
	gitc -C "$TMP/evil" commit -qm "$2"
	EVIL_COMMIT=$(git -C "$TMP/evil" rev-parse HEAD)
	git -C "$TMP/evil" bundle create -q "$TMP/$1.bundle" HEAD main 2>/dev/null
	git -C "$TMP/evil" reset -q --hard origin/main
}
# refused NAME PATH-RE: applying $TMP/NAME.bundle to store B fails with the
# commit and PATH-RE named, and store B is as it was
refused() {
	snapshot "$P"
	run bundle apply "$TMP/$1.bundle"
	expect_usage "${EVIL_COMMIT:0:12}.*$2"
	echo "    $ERR" >&2
	expect_unchanged
}

echo "hello" >"$TMP/evil/README.txt"
hostile bad_path "a file at a bad path"
refused bad_path "README\.txt: not a record path"

mkdir -p "$TMP/evil/$(dirname "$QPATH")"
git --git-dir "$A/charts/$Q.git" show "main:$QPATH" >"$TMP/evil/$QPATH"
hostile other_patient "a record of another patient"
refused other_patient "two patients: .*$(ere_quote "$QPATH"),? (is )?one of patient $Q"

sed -i 's/,"/, "/' "$TMP/evil/$NPATH"
hostile noncanonical "a record not in canonical form"
refused noncanonical "$(ere_quote "$NPATH"): record is not in canonical form"

sed -i 's/"kind":"note"/"kind":"dose"/' "$TMP/evil/$NPATH"
hostile kind_change "a note turned into a dose"
snapshot "$P"
run bundle apply "$TMP/kind_change.bundle"
expect_usage "${EVIL_COMMIT:0:12}.*$(ere_quote "$NPATH")"
expect_unchanged

head -c 70000 /dev/zero | tr '\0' 'x' >"$TMP/evil/$NPATH"
hostile oversized "a record file over the size cap"
refused oversized "$(ere_quote "$NPATH"): 70000 bytes, more than a record may hold"

rm "$TMP/evil/$NPATH"
ln -s /etc/passwd "$TMP/evil/$NPATH"
hostile symlink "a record turned into a symbolic link"
refused symlink "$(ere_quote "$NPATH"): (not a plain file|deletes a record)"

git -C "$TMP/evil" rm -q "$NPATH"
hostile deletion "a record deleted"
refused deletion "$(ere_quote "$NPATH"): deletes a record"

rm -rf "$TMP/root"
git init -q -b main "$TMP/root"
git -C "$TMP/evil" archive main | tar -x -C "$TMP/root"
gitc -C "$TMP/root" add -A
gitc -C "$TMP/root" commit -qm "the same records, another root"
EVIL_COMMIT=$(git -C "$TMP/root" rev-parse HEAD)
git -C "$TMP/root" bundle create -q "$TMP/root.bundle" HEAD main 2>/dev/null
refused root "unrelated to chart $P"

section "incremental bundles made by git (thin packs, a prerequisite)"
use "$A"
run note "$P" "one more from A" --at 2026-11-23T08:00:00Z
expect_id
git clone -q "$A/charts/$P.git" "$TMP/evil2"
git -C "$TMP/evil2" bundle create -q "$TMP/git_inc.bundle" main "^$SHARED" 2>/dev/null
check "git wrote a prerequisite" grep -aq "^-$SHARED" "$TMP/git_inc.bundle"
echo "hello" >"$TMP/evil2/README.txt"
gitc -C "$TMP/evil2" add -A
gitc -C "$TMP/evil2" commit -qm "a bad path on top"
EVIL_COMMIT=$(git -C "$TMP/evil2" rev-parse HEAD)
git -C "$TMP/evil2" bundle create -q "$TMP/git_inc_bad.bundle" main "^$SHARED" 2>/dev/null
use "$B"
refused git_inc_bad "README\.txt: not a record path"
applies "$TMP/git_inc.bundle" "^$P: received 1$"
assert_eq "$(tree_of "$B" "$P")" "$(tree_of "$A" "$P")" "B holds A's tree after git's own incremental bundle"
assert_eq "$(timeline "$B" "$P")" "$(timeline "$A" "$P")" "the same timeline --json"

section "hostile bundles into a store without the chart: no chart, no leftovers"
use "$C"
run bundle apply "$TMP/bad_path.bundle"
expect_usage "README\.txt: not a record path"
run bundle apply "$TMP/other_patient.bundle"
expect_usage "two patients: .*$Q"
assert_eq "$(ls -A "$C/charts" | wc -l)" 0 "no chart and no quarantine left"
run patient list --json
expect_json 'length' 0

section "damaged and foreign files"
use "$B"
size=$(stat -c %s "$TMP/full.bundle")
head -c $((size - 30)) "$TMP/full.bundle" >"$TMP/truncated.bundle"
head -c 60 "$TMP/full.bundle" >"$TMP/header_only.bundle"
head -c 4000 /dev/urandom >"$TMP/garbage.bundle"
printf '# v3 git bundle\n@object-format=sha1\n\n' >"$TMP/v3.bundle"
{ printf '# v2 git bundle\n%s refs/heads/main\n' "$(head_of "$B" "$P")"; printf 'x%.0s' $(seq 2000); printf '\n\n'; } >"$TMP/longline.bundle"
git -C "$TMP/evil" branch -q other
git -C "$TMP/evil" bundle create -q "$TMP/tworefs.bundle" main other 2>/dev/null
for f in truncated:"damaged or cut short" header_only:"cut short" garbage:"not a git bundle" \
	v3:"format v3" longline:"line too long" tworefs:"refs/heads/other"; do
	snapshot "$P"
	run bundle apply "$TMP/${f%%:*}.bundle"
	expect_usage "${f#*:}"
	echo "    $ERR" >&2
	expect_unchanged
done
run bundle apply "$TMP/no-such.bundle"
expect_failure "no-such\.bundle"
run bundle apply
expect_usage "missing FILE"

section "the stores are sound"
for s in "$A" "$B"; do
	use "$s"
	run check
	expect_ok
	check "git fsck of $s's chart" git --git-dir "$s/charts/$P.git" fsck --strict --no-progress
done

finish
