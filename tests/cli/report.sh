#!/usr/bin/env bash
# carelog report: the visit report of a small hand-built patient. Every
# figure in the HTML is checked against what `adherence --json`, `steroids
# --json`, `trend --json`, `alerts --json` and `conflicts --json` say for the
# same period; text from records is escaped (a note holding a <script> shows
# as text); the page loads nothing and has no script; the defaults of the
# period; bad input exits 2 (an unknown patient 1, as every command) and
# writes no file, leaving an existing one as it was.
source "$(dirname "$0")/lib.sh" "$@"

# slot_words 2026-11-18T08:00 -> "18 Nov 08:00", as the report lists a slot
slot_words() { printf '%s %s' "$(LC_ALL=C date -u -d "${1%T*}" '+%-d %b')" "${1#*T}"; }
# html_has TEXT [FILE]: the report holds TEXT literally
html_has() { grep -Fq -- "$1" "${2:-$HTML}"; }
# figure_of CODE: the lines of the chart of CODE
figure_of() { sed -n "/<figure id=\"trend-$1\"/,/<\/figure>/p" "$HTML"; }

AT=2026-11-25T12:00:00Z
PERIOD=(--from 2026-11-16 --to 2026-11-23 --at "$AT")
NAME='Léo <b>Martin</b> & "Co"'
XSS='<script>alert(1)</script>'

section "setup: a taper week, sirolimus, labs, symptoms, a voided slip, a conflict"
run init --device anna-phone --author Anna
expect_ok
run patient add --name "$NAME" --born 2018-03-02 --weight-kg 25 --asplenic --timezone Europe/Paris
expect_id
P=$ID
run plan add "$P" --drug prednisone --dose 20 --unit mg --times 08:00 --start 2026-11-16 \
	--end 2026-11-30 --taper 2026-11-19:15,2026-11-22:10,2026-11-27:5
expect_id
PRED=$ID
run plan add "$P" --drug sirolimus --dose 1.5 --unit mg --times 08:00,20:00 --start 2026-11-16
expect_id
SIRO=$ID
run plan add "$P" --drug paracetamol --dose 250 --unit mg --start 2026-11-01 --end 2026-11-20
expect_id
ENDED=$ID
run plan add "$P" --drug "mycophenolate mofetil" --dose 400 --unit mg --times 08:00,20:00 --start 2026-12-01
expect_id
NEXT=$ID
dose() { # DRUG PLAN AMOUNT OUTCOME LOCAL-TIME
	run dose "$P" --drug "$1" --amount "$3" --unit mg --outcome "$4" --plan "$2" --at "$5:00+01:00"
	expect_id
}
dose prednisone "$PRED" 20 given 2026-11-16T08:05
dose prednisone "$PRED" 20 given 2026-11-17T07:10
dose prednisone "$PRED" 20 missed 2026-11-18T08:00
dose prednisone "$PRED" 15 given 2026-11-19T10:30
dose prednisone "$PRED" 15 given 2026-11-20T08:20
dose prednisone "$PRED" 20 given 2026-11-21T08:00
dose prednisone "$PRED" 10 given 2026-11-22T07:45
for d in 16 17 18 19 20 21 22; do
	dose sirolimus "$SIRO" 1.5 given "2026-11-${d}T08:00"
	[ "$d" = 18 ] || [ "$d" = 21 ] || dose sirolimus "$SIRO" 1.5 given "2026-11-${d}T20:10"
done
dose sirolimus "$SIRO" 1.5 refused 2026-11-21T20:00
run dose "$P" --drug dexamethasone --amount 0.75 --unit mg --at 2026-11-22T12:00:00Z
expect_id
run measure "$P" --code weight --value 24 --at 2026-11-17T06:00:00Z
expect_id
run measure "$P" --code weight --value 240 --at 2026-11-18T06:00:00Z
expect_id
SLIP=$ID
run void "$SLIP" --reason "typed 240 for 24 <img src=x onerror=alert(2)>"
expect_id
meas() { # CODE VALUE TIME [ARGS...]
	local c=$1 v=$2 t=$3
	shift 3
	run measure "$P" --code "$c" --value "$v" --at "$t" "$@"
	expect_id
}
meas platelets 120 2026-11-16T08:00:00Z
meas platelets 45 2026-11-19T08:00:00Z --low 150 --high 400
meas platelets 160 2026-11-22T08:00:00Z
meas hemoglobin 9.5 2026-11-16T08:00:00Z
meas hemoglobin 11.8 2026-11-22T08:00:00Z
meas neutrophils 2.5 2026-11-16T08:00:00Z
meas lymphocytes 3.1 2026-11-16T08:00:00Z
meas lymphocytes 12.5 2026-11-22T08:00:00Z
meas sirolimus-trough 4.2 2026-11-19T07:00:00Z
meas sirolimus-trough 7.5 2026-11-22T07:00:00Z
run target set "$P" --code sirolimus-trough --low 5 --high 12
expect_id
run symptom "$P" --code petechiae --severity 7 --note "$XSS" --at 2026-11-18T18:00:00+01:00
expect_id
run symptom "$P" --code fatigue --severity 3 --at 2026-11-17T18:00:00+01:00
expect_id
run symptom "$P" --code fatigue --severity 5 --note 'tired & "grumpy"' --at 2026-11-20T18:00:00+01:00
expect_id
meas temperature 38.4 2026-11-25T09:00:00Z
# a correction made on two phones: one open conflict
run note "$P" "Platelet count booked for Friday" --at 2026-11-20T09:00:00+01:00
expect_id
NOTE=$ID
run remote add hub "$TMP/hub"
expect_ok
run sync --quiet
expect_ok
B=$TMP/phone-b
run_raw --store "$B" init --device ben-phone --author Ben
expect_ok
run_raw --store "$B" remote add hub "$TMP/hub"
expect_ok
run_raw --store "$B" sync --patient "$P" --quiet
expect_ok
run amend "$NOTE" --set text="Platelet count booked for Friday 8:30"
expect_ok
run_raw --store "$B" amend "$NOTE" --set text="Platelet count booked for Friday, fasting"
expect_ok
run sync --quiet
expect_ok
run_raw --store "$B" sync --quiet
expect_ok
run sync --quiet
expect_ok
run conflicts "$P" --json
expect_json 'length' 1

section "the report is written, and only it"
HTML=$TMP/out/visit.html
mkdir -p "$TMP/out"
snapshot "$P"
run report "$P" "${PERIOD[@]}" --out "$HTML"
expect_ok
expect_stdout_eq "$HTML"
check "the file exists" test -s "$HTML"
assert_eq "$(stat -c %a "$HTML")" 600 "the report's mode (it holds health records)"
assert_eq "$(ls -A "$TMP/out")" visit.html "the folder holds the report and no temp file"
expect_unchanged

section "adherence: the numbers of adherence --json"
run adherence "$P" "${PERIOD[@]}" --json
expect_ok
cp "$TMP/.out" "$TMP/adherence.json"
expect_json 'map(.drug) | join(",")' "prednisone,sirolimus"
expect_json '.[0] | "\(.scheduled) \(.given) \(.late) \(.missed) \(.extra) \(.percent)"' "7 5 1 1 0 71.4"
for i in 0 1; do
	row=$(jq -r ".[$i] | \"<tr data-drug=\\\"\(.drug)\\\"><th>\(.drug)</th><td class=\\\"n\\\">\(.scheduled)</td><td class=\\\"n\\\">\(.given)</td><td class=\\\"n\\\">\(.late)</td><td class=\\\"n\\\">\(.missed)</td><td class=\\\"n\\\">\(.extra)</td><td class=\\\"n\\\">\"" "$TMP/adherence.json")
	pct=$(num 1 "$(jq -r ".[$i].percent" "$TMP/adherence.json")")
	check "adherence row $i as adherence --json: $row$pct%" html_has "$row$pct%</td></tr>"
	drug=$(jq -r ".[$i].drug" "$TMP/adherence.json")
	for kind in missed late; do
		n=$(jq -r ".[$i].${kind}_slots | length" "$TMP/adherence.json")
		line=$(grep -F "<p class=\"slots\" data-drug=\"$drug\" data-kind=\"$kind\">" "$HTML")
		if [ "$n" -eq 0 ]; then
			assert_eq "$line" "" "$drug: no $kind list when adherence lists none"
			continue
		fi
		check "$drug: $n $kind slots listed" grep -Fq "<b>$drug, $kind ($n):</b>" <<<"$line"
		for s in $(jq -r ".[$i].${kind}_slots[].slot" "$TMP/adherence.json"); do
			check "$drug $kind slot $s listed" grep -Fq "$(slot_words "$s")" <<<"$line"
		done
	done
done
# the hand-counted week: prednisone missed the 18th (logged missed), late the 19th;
# sirolimus missed the 18th (nothing logged) and the 21st (refused) at 20:00
expect_json '.[0].missed_slots | map("\(.slot) \(.outcome)") | join(",")' "2026-11-18T08:00 missed"
expect_json '.[0].late_slots | map(.slot) | join(",")' "2026-11-19T08:00"
expect_json '.[1].missed_slots | map("\(.slot) \(.outcome)") | join(",")' "2026-11-18T20:00 null,2026-11-21T20:00 refused"
check "the missed sirolimus slots with their outcome" html_has "18 Nov 20:00 nothing logged, 21 Nov 20:00 refused"
check "the dose logged with another amount" html_has "prednisone 21 Nov 08:00: 20 mg for 15 mg"

section "steroids: the numbers of steroids --json"
run steroids "$P" "${PERIOD[@]}" --json
expect_ok
# 100 mg prednisone + 0.75 mg dexamethasone (5 mg prednisone), 24 kg the only weight
expect_json '.prednisone_equivalent_mg' 105
check "cumulative mg" html_has "<td class=\"n\" id=\"steroid-total\">$(num 1 "$(jq_out .prednisone_equivalent_mg)") mg</td>"
check "cumulative mg/kg" html_has "<td class=\"n\" id=\"steroid-mg-per-kg\">$(num 2 "$(jq_out .mg_per_kg)") mg/kg</td>"
check "days" html_has "<td id=\"steroid-days\">on $(jq_out .days) days</td>"
check "current daily dose" html_has "<td class=\"n\" id=\"steroid-current\">$(num 1 "$(jq_out .current_daily_mg)") mg/day</td>"
check "last 24 h" html_has "<span id=\"steroid-24h\">$(num 1 "$(jq_out .last_24h_mg)") mg</span>"
check "weight in the header is steroids' weight" html_has "<b id=\"weight\">$(num 2 "$(jq_out .weight_kg)") kg</b>"
for d in $(jq_out '.by_drug[].drug'); do
	pe=$(num 1 "$(jq_out ".by_drug[] | select(.drug == \"$d\") | .prednisone_equivalent_mg")")
	check "per drug: $d = $pe mg" html_has "= $pe mg prednisone</td>"
done
# the taper step in force at --at (2026-11-25): 10 mg since the 22nd, 5 next
check "current plan with its taper step" html_has \
	"step 2 of 3 since 2026-11-22; next 5 mg from 2026-11-27"
check "a plan that starts later" html_has \
	"<tr data-plan=\"$NEXT\"><th>mycophenolate mofetil</th><td class=\"n\">400 mg</td><td>08:00, 20:00 (±60 min)</td><td class=\"nowrap\">2026-12-01 – </td><td><b>starts 2026-12-01</b>; no taper</td></tr>"
check "no plan that ended" bash -c '! grep -Fq "$1" "$2"' _ "$ENDED" "$HTML"
run due "$P" --at "$AT" --json
expect_ok
for i in 0 1; do
	check "dose now of plan $i as due --json" html_has \
		"<tr data-plan=\"$(jq_out ".[$i].plan")\"><th>$(jq_out ".[$i].drug")</th><td class=\"n\">$(num 3 "$(jq_out ".[$i].dose_now")") mg</td>"
done

section "trends: the points of trend --json"
for code in platelets hemoglobin neutrophils lymphocytes sirolimus-trough; do
	run trend "$P" --code "$code" --from 2026-11-16 --to 2026-11-23 --json
	expect_ok
	fig=$(figure_of "$code")
	n=$(jq_out length)
	check "$code: a figure with $n points" grep -Fq "<figure id=\"trend-$code\" data-points=\"$n\">" <<<"$fig"
	assert_eq "$(grep -o '<circle ' <<<"$fig" | wc -l)" "$n" "$code: one dot per point"
	for k in $(seq 0 $((n - 1))); do
		v=$(g "$(jq_out ".[$k].value")")
		flag=$(jq_out ".[$k].flag")
		check "$code point $k: $v, $flag" grep -Fq "data-flag=\"$flag\"><title>" <<<"$fig"
		check "$code point $k: value $v in its title" grep -Eq "<title>[0-9 :-]+: $v " <<<"$fig"
	done
	low=$(jq_out 'map(select(.flag == "low")) | length')
	high=$(jq_out 'map(select(.flag == "high")) | length')
	check "$code: $low low, $high high" grep -Fq "<span class=\"flagged\">$low low, $high high</span>" <<<"$fig"
	check "$code: latest value" grep -Fq "<span class=\"latest\">latest $(g "$(jq_out '.[-1].value')")</span>" <<<"$fig"
done
check "the sirolimus band is the clinic's target" grep -Fq "shaded: target 5–12" <<<"$(figure_of sirolimus-trough)"
check "a flagged point is drawn red" grep -Fq 'fill="#c62828"' <<<"$(figure_of platelets)"
check "a target band is shaded" grep -Eq '<rect x="[0-9.]+" y="[0-9.]+" width="[0-9.]+" height="[0-9.]+" fill="#d3efd6"/>' <<<"$(figure_of sirolimus-trough)"

section "alerts, conflicts, symptoms, entered-in-error"
run alerts "$P" --at "$AT" --json
expect_ok
n=$(jq_out length)
check "fever raised an alert" test "$(jq_out 'map(.rule) | index("fever")')" != null
check "open alerts: $n" html_has "<h2>Open alerts ($n)</h2>"
for rule in $(jq_out '.[].rule'); do
	check "alert $rule listed" html_has "<tr data-rule=\"$rule\">"
done
run conflicts "$P" --json
check "open conflicts: 1" html_has "<h2>Open sync conflicts ($(jq_out length))</h2>"
check "the conflict's record and field" html_has "<tr><td>note <span class=\"small\">$NOTE</span></td><td>text</td>"
check "symptoms: 3 entries" html_has "<h2>Symptoms (3 entries)</h2>"
check "fatigue: 2 entries on 2 days, worst 5" html_has \
	'<tr data-code="fatigue"><th>fatigue</th><td class="n">2</td><td class="n">2</td><td class="n">5 on 2026-11-20</td>'
check "entered-in-error listed apart" html_has "<tr data-record=\"$SLIP\">"
check "with what it held" html_has "measurement: weight 240 kg"
check "the voided weight is not the weight used" test "$(grep -c '<b id="weight">24 kg</b>' "$HTML")" -eq 1

section "escaping: text from records stays text"
check "the note's script is text" html_has '&lt;script&gt;alert(1)&lt;/script&gt;'
check "the reason's img is text" html_has '&lt;img src=x onerror=alert(2)&gt;'
check "quotes in a note" html_has 'tired &amp; &quot;grumpy&quot;'
check "the name in the title" html_has '<title>Visit report: Léo &lt;b&gt;Martin&lt;/b&gt; &amp; &quot;Co&quot;, 2026-11-16</title>'
check "the name in the heading" html_has '<h1>Visit report: Léo &lt;b&gt;Martin&lt;/b&gt; &amp; &quot;Co&quot;</h1>'
check "no script element at all" bash -c '! grep -qi "<script" "$1"' _ "$HTML"
check "no img, iframe, object, embed, link or base" bash -c '! grep -Eqi "<(img|iframe|object|embed|link|base|frame|audio|video|source)[ >/]" "$1"' _ "$HTML"
check "no event handler attribute" bash -c '! grep -Eqi "<[a-z][^>]* on[a-z]+=" "$1"' _ "$HTML"

section "self-contained: nothing loaded, a print stylesheet"
check "no src or href to the network" bash -c '! grep -Eqi "(src|href|xlink:href)[[:space:]]*=[[:space:]]*[\"'"'"']?[[:space:]]*(https?:|//)" "$1"' _ "$HTML"
check "no url() or @import" bash -c '! grep -Eqi "url\(|@import" "$1"' _ "$HTML"
check "no http:// or https:// anywhere" bash -c '! grep -Eqi "https?://" "$1"' _ "$HTML"
check "@media print" html_has "@media print{"
check "@page" html_has "@page{"
check "inline SVG" html_has "<svg viewBox="
check "a doctype and a charset" grep -q '^<!DOCTYPE html>$' "$HTML"
check "utf-8" html_has '<meta charset="utf-8">'

section "the same report twice is the same bytes"
run report "$P" "${PERIOD[@]}" --out "$TMP/out/again.html"
expect_ok
check "byte-identical" cmp -s "$HTML" "$TMP/out/again.html"

section "defaults: --to now, --from 90 days before"
run report "$P" --at "$AT" --out "$TMP/out/default.html"
expect_ok
# at 2026-11-25T12:00Z, local day 2026-11-25: from 2026-08-27, up to --at
check "the period shown" html_has '2026-08-27 – 2026-11-25 (91 days) · as of 2026-11-25 13:00' "$TMP/out/default.html"
run adherence "$P" --from 2026-08-27 --at "$AT" --json
expect_ok
check "the default period's adherence (prednisone)" html_has \
	"<tr data-drug=\"prednisone\"><th>prednisone</th><td class=\"n\">$(jq_out '.[0].scheduled')</td><td class=\"n\">$(jq_out '.[0].given')</td>" \
	"$TMP/out/default.html"
run steroids "$P" --from 2026-08-27 --at "$AT" --json
check "the default period's steroids" html_has \
	"id=\"steroid-total\">$(num 1 "$(jq_out .prednisone_equivalent_mg)") mg<" "$TMP/out/default.html"
run report "$P" --to 2026-11-23 --at "$AT" --out "$TMP/out/to.html"
expect_ok
check "--to alone: 90 days before it" html_has '2026-08-25 – 2026-11-22 (90 days)' "$TMP/out/to.html"
run report --help
expect_ok
expect_stdout_re '^usage: carelog report PATIENT '
expect_stdout_re 'default 90 days before --to'
run --help
expect_stdout_re '^  report +the visit report'

section "bad input: exit 2 (unknown patient 1), no file, an existing file untouched"
echo "an older report" >"$TMP/out/keep.html"
bad() { # EXIT-STATUS ERE ARGS...
	local rc=$1 re=$2
	shift 2
	run report "$@" --out "$TMP/out/bad.html"
	expect_error "$rc" "$re"
	check "no file for: $*" test ! -e "$TMP/out/bad.html"
	run report "$@" --out "$TMP/out/keep.html"
	expect_error "$rc" "$re"
	assert_eq "$(cat "$TMP/out/keep.html")" "an older report" "the existing file after: $*"
}
bad 2 "^carelog: patient 'not-an-id'" not-an-id
bad 1 "^carelog: no patient 01a9a0d0-0000-7000-8000-00000000ffff" 01a9a0d0-0000-7000-8000-00000000ffff
bad 2 "^carelog: from '2026-02-30' is not a date" "$P" --from 2026-02-30
bad 2 "^carelog: to 'tomorrow' is not a date" "$P" --to tomorrow
bad 2 "^carelog: to 2026-11-10 is before from 2026-11-20$" "$P" --from 2026-11-20 --to 2026-11-10
bad 2 "^carelog: at 'noon' is not an RFC 3339 time" "$P" --at noon
run report "$P"
expect_usage "^carelog: report: --out is required$"
run report --out "$TMP/out/bad.html"
expect_usage "missing PATIENT"
run report "$P" --out ""
expect_usage "file name"
run report "$P" --out "$TMP/no/such/dir/r.html"
expect_failure "^carelog: cannot create .*No such file or directory"
check "no directory made" test ! -e "$TMP/no"
assert_eq "$(ls -A "$TMP/out" | LC_ALL=C sort | tr '\n' ' ')" "again.html default.html keep.html to.html visit.html " \
	"no temp file left behind"

section "check"
run check
expect_ok

finish
