#!/usr/bin/env bash
# import FILE|-: prints how many records it wrote; the same file again writes
# 0; any invalid line (e.g. an unknown field) is exit 2 naming the line, and
# nothing at all is written.
source "$(dirname "$0")/lib.sh" "$@"

section "setup"
run init --device importer --author Imp
expect_ok

PA=01a1f7f8-3000-7000-8000-00000000000a
D1=01a1f7f8-3000-7000-8000-0000000000d1
D2=01a1f7f8-3000-7000-8000-0000000000d2
S1=01a1f7f8-3000-7000-8000-0000000000e1
N1=01a1f7f8-3000-7000-8000-0000000000f1
M1=01a1f7f8-3000-7000-8000-0000000000c1
PL=01a1f7f8-3000-7000-8000-0000000000b1
cat >"$TMP/a.jsonl" <<EOF
{"kind":"patient","id":"$PA","time":"2026-11-01T00:00:00Z","name":"Imported Child","born":"2019-05-06"}
{"kind":"plan","id":"$PL","patient":"$PA","time":"2026-11-01T09:00:00Z","drug":"Sirolimus","dose":1,"unit":"mg","start":"2026-11-01","times":["20:00","08:00"]}

{"kind":"dose","id":"$D1","patient":"$PA","time":"2026-11-20T08:00:00Z","drug":"sirolimus","amount":1,"unit":"mg","plan":"$PL"}
{"kind":"dose","id":"$D2","patient":"$PA","time":"2026-11-20T20:00:00+01:00","drug":"sirolimus","amount":1,"unit":"mg","outcome":"missed"}
{"kind":"symptom","id":"$S1","patient":"$PA","time":"2026-11-20T09:00:00Z","code":"fever","severity":3.0}
{"kind":"measurement","id":"$M1","patient":"$PA","time":"2026-11-20T10:00:00Z","code":"temperature","value":101.3,"unit":"[degF]"}
{"kind":"note","id":"$N1","patient":"$PA","time":"2026-11-20T11:00:00Z","text":"imported note","author":"Dr Who"}
EOF

section "import a file"
run import "$TMP/a.jsonl"
expect_ok
expect_stdout_eq 7
assert_eq "$(wc -l <"$TMP/.out")" 1 "import prints one line"
HEAD1=$(chart_head "$PA")
run timeline "$PA" --json
expect_ok
expect_json 'map(.id) | join(",")' "$PL,$D1,$S1,$M1,$N1,$D2"
expect_json 'map(select(.id == "'"$D2"'"))[0].time' 2026-11-20T19:00:00Z
expect_json 'map(select(.id == "'"$S1"'"))[0].severity' 3
expect_json 'map(select(.id == "'"$M1"'"))[0] | "\(.value) \(.unit) \(.entered.value) \(.entered.unit)"' "38.5 Cel 101.3 [degF]"
expect_json 'map(select(.id == "'"$N1"'"))[0].author' "Dr Who"
expect_json 'map(select(.id == "'"$D1"'"))[0].author' Imp
expect_json 'map(select(.id == "'"$PL"'"))[0].times | join(",")' 08:00,20:00
expect_json 'map(.device | startswith("importer")) | all' true
run show "$PA" --json
expect_json '.name' "Imported Child"
TL1=$(cat "$TMP/.out")

section "the same file again writes 0"
run import "$TMP/a.jsonl"
expect_ok
expect_stdout_eq 0
assert_eq "$(chart_head "$PA")" "$HEAD1" "chart head after re-import"
RUN_STDIN=$TMP/a.jsonl run import -
expect_ok
expect_stdout_eq 0
assert_eq "$(chart_head "$PA")" "$HEAD1" "chart head after re-import from stdin"
run show "$D1" --history --json
expect_json 'length' 1

section "a changed line is a new version; the rest is skipped"
sed "s/\"text\":\"imported note\"/\"text\":\"imported note, corrected\"/" "$TMP/a.jsonl" >"$TMP/b.jsonl"
run import "$TMP/b.jsonl"
expect_ok
expect_stdout_eq 1
run show "$N1" --history --json
expect_json 'length' 2
expect_json '.[1].text' "imported note, corrected"

section "import from stdin"
RUN_STDIN=/dev/stdin run import - <<EOF
{"kind":"note","patient":"$PA","time":"2026-11-21T08:00:00Z","text":"from stdin"}
{"kind":"note","patient":"$PA","time":"2026-11-21T09:00:00Z","text":"from stdin 2"}
EOF
expect_ok
expect_stdout_eq 2
RUN_STDIN=/dev/null run import -
expect_ok
expect_stdout_eq 0

section "invalid lines: exit 2 naming the line, nothing written"
snapshot "$PA"
cat >"$TMP/bad.jsonl" <<EOF
{"kind":"note","patient":"$PA","time":"2026-11-22T08:00:00Z","text":"valid line before the bad one"}
{"kind":"patient","time":"2026-11-22T08:00:00Z","name":"New Child"}
{"kind":"dose","patient":"$PA","time":"2026-11-22T08:00:00Z","drug":"x","amount":1,"unit":"mg","colour":"red"}
EOF
run import "$TMP/bad.jsonl"
expect_usage "^carelog: line 3: unknown field 'colour' in a dose record$"
expect_unchanged
check "no chart was created for the patient of a rejected import" \
	test "$(find "$STORE/charts" -mindepth 1 -maxdepth 1 | wc -l)" -eq 1

bad_line() { # ERE LINE...
	local re=$1
	shift
	printf '%s\n' "$@" >"$TMP/bad.jsonl"
	run import "$TMP/bad.jsonl"
	expect_usage "$re"
	expect_unchanged
}
bad_line "^carelog: line 1 is not valid JSON" 'not json'
bad_line "^carelog: line 2: severity 11 is out of range 0-10$" \
	"{\"kind\":\"note\",\"patient\":\"$PA\",\"time\":\"2026-11-22T08:00:00Z\",\"text\":\"ok\"}" \
	"{\"kind\":\"symptom\",\"patient\":\"$PA\",\"time\":\"2026-11-22T08:00:00Z\",\"code\":\"fever\",\"severity\":11}"
bad_line "line 1: severity" \
	"{\"kind\":\"symptom\",\"patient\":\"$PA\",\"time\":\"2026-11-22T08:00:00Z\",\"code\":\"fever\",\"severity\":3.5}"
bad_line "line 1: .*kind" "{\"kind\":\"vaccine\",\"patient\":\"$PA\",\"time\":\"2026-11-22T08:00:00Z\"}"
bad_line "line 1: .*patient" "{\"kind\":\"note\",\"time\":\"2026-11-22T08:00:00Z\",\"text\":\"no patient\"}"
bad_line "line 1: .*time" "{\"kind\":\"note\",\"patient\":\"$PA\",\"time\":\"yesterday\",\"text\":\"x\"}"
bad_line "line 1: .*unit 'mmol/L' is not accepted for temperature \(accepted: Cel, \[degF\]\)" \
	"{\"kind\":\"measurement\",\"patient\":\"$PA\",\"time\":\"2026-11-22T08:00:00Z\",\"code\":\"temperature\",\"value\":5,\"unit\":\"mmol/L\"}"
bad_line "line 1: .*reason" \
	"{\"kind\":\"note\",\"patient\":\"$PA\",\"time\":\"2026-11-22T08:00:00Z\",\"text\":\"x\",\"status\":\"entered-in-error\"}"
bad_line "^carelog: line 1 is not a JSON object$" '[1,2,3]'
# a record that refers to a patient given later in the file: an unknown
# patient (exit 1), and still nothing written
NEWP=01a1f7f8-3000-7000-8000-0000000000aa
printf '%s\n' "{\"kind\":\"note\",\"patient\":\"$NEWP\",\"time\":\"2026-11-22T08:00:00Z\",\"text\":\"x\"}" \
	"{\"kind\":\"patient\",\"id\":\"$NEWP\",\"time\":\"2026-11-22T08:00:00Z\",\"name\":\"Later\"}" >"$TMP/bad.jsonl"
run import "$TMP/bad.jsonl"
expect_failure "^carelog: line 1: no patient $NEWP"
expect_unchanged
check "no chart for a patient of a rejected import" test ! -e "$STORE/charts/$NEWP.git"

section "an invalid line anywhere, blank lines between: the line named, nothing written"
# notes n (lines numbered from 1), every third line blank
notes() { # COUNT TAG
	local i
	for ((i = 1; i <= $1; i++)); do
		if ((i % 3 == 0)); then echo; else
			printf '{"kind":"note","patient":"%s","time":"2026-11-23T08:00:00Z","text":"%s %d"}\n' "$PA" "$2" "$i"
		fi
	done
}
for bad_at in 1 128 129 257 300; do
	snapshot "$PA"
	{ notes $((bad_at - 1)) "before $bad_at"; echo '{"kind":"note"'; notes 5 after; } >"$TMP/lines.jsonl"
	run import "$TMP/lines.jsonl"
	expect_usage "^carelog: line $bad_at is not valid JSON"
	expect_unchanged
done
for n in 128 256 385; do
	notes "$n" "lines $n" >"$TMP/lines.jsonl"
	run import "$TMP/lines.jsonl"
	expect_ok
	expect_stdout_eq "$((n - n / 3))"
done
run timeline "$PA" --json
expect_json '[.[] | select(.text // "" | startswith("lines 385 "))] | length' "257"
expect_json '[.[] | select(.text // "" | startswith("before "))] | length' "0"
snapshot "$PA"

section "a line longer than 1 MiB is refused before it is read whole"
# 64 MiB with no newline after a valid line: refused naming line 2, and the
# reader stops at the cap (the whole line is never held in memory)
{
	printf '%s\n' "{\"kind\":\"note\",\"patient\":\"$PA\",\"time\":\"2026-11-22T08:00:00Z\",\"text\":\"ok\"}"
	head -c 67108864 /dev/zero | tr '\0' ' '
} >"$TMP/long.jsonl"
run import "$TMP/long.jsonl"
expect_usage "^carelog: line 2 is longer than 1048576 bytes$"
expect_unchanged
# peak RSS of that import (ru_maxrss of the child, KiB): far below the 64 MiB
# line it would need if it read the line whole (sanitizer builds included)
rss=$(/usr/bin/python3 -c 'import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$CL" --store "$STORE" import "$TMP/long.jsonl")
check "the refused import peaked at ${rss} KiB, under 48 MiB" test "$rss" -lt 49152
rm -f "$TMP/long.jsonl"

section "check"
run check
expect_ok

section "a large import writes settled packs: no merge rewrites them after it"
# 20,000 records in batches of 2,000: written batch by batch, ten small packs
# were merged as soon as the import ended, into packs of assorted sizes.
# Held back and written 8,192 objects at a time, every pack but the last is
# settled (at least 8,192 objects), and no merge touches them.
FIX=${CARELOG_FIXTURES:?CARELOG_FIXTURES must name the carelog-fixtures program}
BIG=$TMP/big
"$FIX" --seed 5 --records 20000 --patients 1 --out "$TMP/big.jsonl" >/dev/null
run_raw --store "$BIG" init --device big
expect_ok
run_raw --store "$BIG" import "$TMP/big.jsonl"
expect_ok
expect_stdout_eq "20000"
small=0 packs=0
for idx in "$BIG"/charts/*.git/objects/pack/pack-*.idx; do
	packs=$((packs + 1))
	n=$(git show-index <"$idx" | wc -l)
	[ "$n" -ge 8192 ] || small=$((small + 1))
done
check "the import wrote ${packs} packs, at least 3" test "$packs" -ge 3
check "${small} of them below 8,192 objects: at most the last" test "$small" -le 1
# and they are packs git reads: every object, every delta
for idx in "$BIG"/charts/*.git/objects/pack/pack-*.idx; do
	check "git verify-pack $(basename "$idx")" git verify-pack "$idx"
done
run_raw --store "$BIG" check
expect_ok
P=$(basename "$BIG"/charts/*.git .git)
check "git fsck finds every object of the imported chart" git --git-dir "$BIG/charts/$P.git" fsck --no-dangling
check "git sees the 20,000 records" \
	test "$(git --git-dir "$BIG/charts/$P.git" ls-tree -r main | grep -c '\.json$')" -eq 20000

section "a large import refused at its last line: the packs written meanwhile publish nothing"
# The packs of the first 8,192-object stretches are written on a thread of
# their own while the import reads on; the bad last line fails it after
# they are on disk: no chart, no index rows, nothing left in the way.
# refused_at_end FILE PATIENT STORE: FILE (20,000 lines) with an invalid
# dose of PATIENT as line 20,001, imported into a new STORE: refused naming
# that line, no chart, no patient
refused_at_end() {
	cp "$1" "$1.bad"
	printf '%s\n' '{"kind":"dose","patient":"'"$2"'","time":"2026-11-22T08:00:00Z","drug":"x","amount":-1,"unit":"mg"}' \
		>>"$1.bad"
	run_raw --store "$3" init --device "$(basename "$3")"
	expect_ok
	run_raw --store "$3" import "$1.bad"
	expect_usage "^carelog: line 20001: "
	check "no chart for the refused import" test "$(find "$3/charts" -mindepth 1 -maxdepth 1 | wc -l)" -eq 0
	run_raw --store "$3" patient list --json
	expect_ok
	expect_json 'length' "0"
}
FAILED=$TMP/failed
refused_at_end "$TMP/big.jsonl" "$P" "$FAILED"
run_raw --store "$FAILED" import "$TMP/big.jsonl"
expect_ok
expect_stdout_eq "20000"
run_raw --store "$FAILED" check
expect_ok
# refused at its second line, the rest of the 20,000 never read
sed '2s/"kind":/"colour":"red","kind":/' "$TMP/big.jsonl" >"$TMP/big-bad2.jsonl"
run_raw --store "$FAILED" import "$TMP/big-bad2.jsonl"
expect_usage "^carelog: line 2: unknown field 'colour'"
check "the same chart as the first import's" \
	test "$(git --git-dir "$FAILED/charts/$P.git" rev-parse 'main^{tree}')" = \
	"$(git --git-dir "$BIG/charts/$P.git" rev-parse 'main^{tree}')"

section "an input grouped by patient: a chart idle for three batches is written out early, and taken up again"
# Each chart an import stages holds its objects in memory; one that got no
# line for three batches of 2,000 has them written out then (write.c,
# write_idle). Patient A's first 3,000 lines, all of patient B's (four
# batches and more without A), then the rest of A's: A is written out,
# then staged on again. The charts must be exactly those of the same
# records in their generated (interleaved) order, and a bad last line must
# still publish nothing.
"$FIX" --seed 9 --records 20000 --patients 2 --out "$TMP/two.jsonl" >/dev/null
mapfile -t PS < <(jq -r 'select(.kind == "patient") | .id' "$TMP/two.jsonl")
assert_eq "${#PS[@]}" 2 "patients in the fixture"
jq -c --arg p "${PS[0]}" 'select(.patient == $p)' "$TMP/two.jsonl" >"$TMP/a.jsonl"
jq -c --arg p "${PS[1]}" 'select(.patient == $p)' "$TMP/two.jsonl" >"$TMP/b.jsonl"
check "patient B has more than 8,000 lines" test "$(wc -l <"$TMP/b.jsonl")" -gt 8000
check "patient A has more than 3,000 lines" test "$(wc -l <"$TMP/a.jsonl")" -gt 3000
{ head -n 3000 "$TMP/a.jsonl"; cat "$TMP/b.jsonl"; tail -n +3001 "$TMP/a.jsonl"; } >"$TMP/grouped.jsonl"
REF=$TMP/ref GROUPED=$TMP/grouped
for s in REF GROUPED; do
	run_raw --store "${!s}" init --device "$s"
	expect_ok
done
run_raw --store "$REF" import "$TMP/two.jsonl"
expect_ok
expect_stdout_eq "20000"
run_raw --store "$GROUPED" import "$TMP/grouped.jsonl"
expect_ok
expect_stdout_eq "20000"
for p in "${PS[@]}"; do
	check "chart $p: the same tree as from the interleaved input" \
		test "$(git --git-dir "$GROUPED/charts/$p.git" rev-parse 'main^{tree}')" = \
		"$(git --git-dir "$REF/charts/$p.git" rev-parse 'main^{tree}')"
	check "chart $p: git fsck" git --git-dir "$GROUPED/charts/$p.git" fsck --no-dangling
done
run_raw --store "$GROUPED" check
expect_ok
# A was written out while B's lines were read (one pack), then the rest at
# the end (another): a chart written out only at the end has one
packs=$(find "$GROUPED/charts/${PS[0]}.git/objects/pack" -name 'pack-*.pack' | wc -l)
check "patient A's chart was written out early: $packs packs, at least 2" test "$packs" -ge 2
refused_at_end "$TMP/grouped.jsonl" "${PS[0]}" "$TMP/grouped-failed"

section "an input interleaving many patients: a chart's few lines per batch wait for one commit"
# 3,000 lines over 20 patients in generated (time) order: each chart gets
# about 100 lines in the first batch of 2,000 and 50 in the second. Each
# waits as files until it has 256 records, gets no line in a batch, or the
# import ends (write.c, CARRY_MIN): one commit per chart, where a commit
# per batch made two and held a tree version per chart per batch.
"$FIX" --seed 11 --records 3000 --patients 20 --out "$TMP/twenty.jsonl" >/dev/null
MANY=$TMP/many
run_raw --store "$MANY" init
expect_ok
run_raw --store "$MANY" import "$TMP/twenty.jsonl"
expect_ok
expect_stdout_eq "3000"
mapfile -t PS < <(jq -r 'select(.kind == "patient") | .id' "$TMP/twenty.jsonl")
assert_eq "${#PS[@]}" 20 "patients in the fixture"
commits=$(for p in "${PS[@]}"; do git --git-dir "$MANY/charts/$p.git" rev-list --count main; done | sort | uniq -c | xargs)
assert_eq "$commits" "20 1" "commits per chart (count, commits)"
for p in "${PS[@]}"; do
	jq -c --arg p "$p" 'select(.patient == $p)' "$TMP/twenty.jsonl" >"$TMP/one-patient.jsonl"
	run_raw --store "$TMP/alone-$p" init
	run_raw --store "$TMP/alone-$p" import "$TMP/one-patient.jsonl"
	check "chart $p: the same tree as the patient's lines imported alone" \
		test "$(git --git-dir "$MANY/charts/$p.git" rev-parse 'main^{tree}')" = \
		"$(git --git-dir "$TMP/alone-$p/charts/$p.git" rev-parse 'main^{tree}')"
done
run_raw --store "$MANY" check
expect_ok
# a record stated again at the end, with another severity, while its first
# version still waits: both versions stay in the history
SYM=$(jq -c 'select(.kind == "symptom")' "$TMP/twenty.jsonl" | head -1)
SID=$(jq -r .id <<<"$SYM")
SEV=$(jq -r .severity <<<"$SYM")
NEW_SEV=$(((SEV + 1) % 11))
{ cat "$TMP/twenty.jsonl"; jq -c --argjson v "$NEW_SEV" '.severity = $v | del(.hlc)' <<<"$SYM"; } >"$TMP/twenty-again.jsonl"
run_raw --store "$TMP/again" init
run_raw --store "$TMP/again" import "$TMP/twenty-again.jsonl"
expect_ok
expect_stdout_eq "3001"
run_raw --store "$TMP/again" show "$SID" --history --json
expect_json 'map(.severity | tostring) | join(",")' "$SEV,$NEW_SEV"
run_raw --store "$TMP/again" check
expect_ok

section "a file interleaving patients is read patient by patient; stdin in its own order; the same charts"
# The file is scanned for each line's patient and read again patient by
# patient (import.c, plan_lines): each chart gets its lines together, so
# fewer, larger commits than the same lines read from stdin in their own
# order (about 100 lines per patient per batch, a commit per 256).
"$FIX" --seed 12 --records 12000 --patients 20 --out "$TMP/inter.jsonl" >/dev/null
run_raw --store "$TMP/byfile" init
run_raw --store "$TMP/byfile" import "$TMP/inter.jsonl"
expect_ok
expect_stdout_eq "12000"
run_raw --store "$TMP/bypipe" init
RUN_STDIN=/dev/stdin run_raw --store "$TMP/bypipe" import - < <(cat "$TMP/inter.jsonl")
expect_ok
expect_stdout_eq "12000"
mapfile -t IPS < <(jq -r 'select(.kind == "patient") | .id' "$TMP/inter.jsonl")
total() { local n=0 p; for p in "${IPS[@]}"; do n=$((n + $(git --git-dir "$1/charts/$p.git" rev-list --count main))); done; echo "$n"; }
FILE_COMMITS=$(total "$TMP/byfile")
PIPE_COMMITS=$(total "$TMP/bypipe")
check "read patient by patient: fewer commits ($FILE_COMMITS) than in the file's order ($PIPE_COMMITS)" \
	test "$FILE_COMMITS" -lt "$PIPE_COMMITS"
for p in "${IPS[@]}"; do
	check "chart $p: the same tree either way" test "$(git --git-dir "$TMP/byfile/charts/$p.git" rev-parse 'main^{tree}')" = \
		"$(git --git-dir "$TMP/bypipe/charts/$p.git" rev-parse 'main^{tree}')"
done
run_raw --store "$TMP/byfile" check
expect_ok
# two bad lines: the later one is of the first patient, read first patient
# by patient; the error still names the first bad line of the file
FIRST_P=${IPS[0]}
LATE=$(jq -c --arg p "$FIRST_P" 'select(.patient == $p) | input_line_number' "$TMP/inter.jsonl" | tail -1)
EARLY=$(jq -c --arg p "${IPS[19]}" 'select(.patient == $p) | input_line_number' "$TMP/inter.jsonl" | head -3 | tail -1)
check "the first patient's last line ($LATE) comes after the last patient's third ($EARLY)" test "$LATE" -gt "$EARLY"
sed -e "${LATE}s/\"kind\":/\"colour\":\"red\",\"kind\":/" -e "${EARLY}s/\"kind\":/\"size\":1,\"kind\":/" \
	"$TMP/inter.jsonl" >"$TMP/inter-bad.jsonl"
run_raw --store "$TMP/interbad" init
run_raw --store "$TMP/interbad" import "$TMP/inter-bad.jsonl"
expect_usage "^carelog: line $EARLY: unknown field 'size'"
run_raw --store "$TMP/interbad" patient list --json
expect_json 'length' "0"

section "a patient entered in error takes no new record later in the same batch"
VOIDED=$TMP/voided
run_raw --store "$VOIDED" init
run_raw --store "$VOIDED" patient add --name Ada
expect_id
VP=$ID
run_raw --store "$VOIDED" show "$VP" --json
{ jq -c '.status = "entered-in-error" | .reason = "enrolled twice" | del(.hlc, .device)' "$TMP/.out"
  printf '{"kind":"note","patient":"%s","text":"after the void"}\n' "$VP"; } >"$TMP/void-then-note.jsonl"
run_raw --store "$VOIDED" import "$TMP/void-then-note.jsonl"
expect_usage "^carelog: line 2: patient $VP was entered in error: it takes no new records"
run_raw --store "$VOIDED" show "$VP" --json
expect_json '.status' "active"

section "one id is one record: never of two patients or two kinds, in a batch or across batches"
IDS=$TMP/ids
run_raw --store "$IDS" init
expect_ok
run_raw --store "$IDS" patient add --name Existing
expect_id
EP=$ID
run_raw --store "$IDS" note "$EP" "an existing note"
expect_id
EN=$ID
PA=01943298-db50-7d7f-9513-8d9a18351690
PB=019432ce-0898-73e6-a384-91a11715a81a
X=01943673-6600-7d70-84a3-11e42c8ab0f8
patients() {
	printf '{"id":"%s","kind":"patient","name":"A","time":"2025-01-01T00:00:00Z"}\n' "$PA"
	printf '{"id":"%s","kind":"patient","name":"B","time":"2025-01-01T00:00:00Z"}\n' "$PB"
}
note_line() { printf '{"id":"%s","kind":"note","patient":"%s","time":"2025-01-05T12:00:00Z","text":"%s"}\n' "$1" "$2" "$3"; }
dose_line() {
	printf '{"id":"%s","kind":"dose","patient":"%s","time":"2025-01-05T12:00:00Z","drug":"prednisone","amount":5,"unit":"mg"}\n' "$1" "$2"
}
{ patients; note_line "$X" "$PA" "of A"; note_line "$X" "$PB" "of B"; } >"$TMP/two-patients.jsonl"
{ patients; note_line "$X" "$PA" "a note"; dose_line "$X" "$PA"; } >"$TMP/two-kinds.jsonl"
# the second version 2,500 lines later: another batch
{ patients; note_line "$X" "$PA" "of A"
  for i in $(seq 1 2500); do note_line "$(printf '01943673-%04x-7d70-84a3-11e42c8ab0f8' "$i")" "$PA" "filler $i"; done
  note_line "$X" "$PB" "of B, a batch later"; } >"$TMP/two-batches.jsonl"
{ patients; note_line "$EN" "$PA" "an existing id"; } >"$TMP/existing-id.jsonl"
{ printf '{"id":"%s","kind":"patient","name":"C","time":"2025-01-01T00:00:00Z"}\n' "$EN"; } >"$TMP/patient-id.jsonl"
for f in two-patients two-kinds two-batches existing-id patient-id; do
	run_raw --store "$IDS" import "$TMP/$f.jsonl"
	expect_usage "^carelog: line [0-9]+: record ($X|$EN) is a [a-z]+ of patient [0-9a-f-]+: its kind and patient cannot change"
	run_raw --store "$IDS" patient list --json
	expect_json 'length' "1"
done
run_raw --store "$IDS" show "$EN" --json
expect_json '[.kind, .patient, .text] | join(",")' "note,$EP,an existing note"
run_raw --store "$IDS" check
expect_ok

run_raw --store "$MANY" timeline "${PS[3]}" --json
expect_json 'length' "$(jq -s --arg p "${PS[3]}" 'map(select(.patient == $p and .kind != "patient" and .kind != "caregiver")) | length' "$TMP/twenty.jsonl")"

finish
