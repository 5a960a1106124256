#!/usr/bin/env bash
# The visit report in a real browser. A generated patient-year
# (carelog-fixtures, seeded: the same data every run) is imported and
# reported twice: its last 90 days (the defaults, "now" at its last record)
# and the whole year. Each HTML file is
#   - parsed by html5lib in strict mode (Debian's python3-html5lib: the
#     WHATWG parsing algorithm browsers run; any parse error fails);
#   - printed to PDF by headless Chromium (Debian's chromium), on Letter and
#     on A4, offline (every host name resolves to nothing), as root without
#     the sandbox, with a fresh profile in a temp folder, under a timeout:
#     one or two pages each (pdfinfo), no console message, no request from
#     the page for anything but its own file (Chromium's net log);
#   - read back: the adherence rows and the prednisone-equivalent total of
#     `carelog adherence --json` / `steroids --json` for the same period are
#     in the PDF's text (pdftotext -layout); and the DOM Chromium built
#     (--dump-dom) has one chart per code with results and one dot per
#     result and symptom, and no script.
# The detectors are first shown to fire on a page made to fail them.
#
#   browser_test.sh CARELOG CARELOG-FIXTURES
source "$(dirname "$0")/../cli/lib.sh" "${1:-}"
FIXTURES=${2:?usage: $0 CARELOG CARELOG-FIXTURES}
HERE=$(cd "$(dirname "$0")" && pwd)
CHROMIUM=${CARELOG_CHROMIUM:-/usr/bin/chromium}
# Debian's python3, which python3-html5lib installs into (not a venv's or pyenv's)
PY=/usr/bin/python3
BROWSER_TIMEOUT=${CARELOG_BROWSER_TIMEOUT:-120}
MAX_PAGES=2

for t in "$CHROMIUM" pdfinfo pdftotext "$PY"; do
	command -v "$t" >/dev/null || { echo "FATAL: $t is missing (scripts/setup.sh installs chromium, poppler-utils and python3-html5lib)" >&2; exit 1; }
done
"$PY" -c 'import html5lib' 2>/dev/null || { echo "FATAL: $PY has no html5lib (Debian: python3-html5lib)" >&2; exit 1; }

# Every browser runs in its own session; whatever of it outlives it is
# killed by that session's id (never by name).
SESSIONS=()
kill_browsers() {
	local s
	for s in "${SESSIONS[@]}"; do kill -KILL -- "-$s" 2>/dev/null; done
	SESSIONS=()
}
trap 'kill_browsers; cleanup' EXIT

# browser OUT-PREFIX ARGS...: headless Chromium on ARGS; its stderr in
# OUT-PREFIX.log, its net log in OUT-PREFIX.net.json. Returns its status.
browser() {
	local out=$1 profile rc
	shift
	profile=$(mktemp -d "$TMP/profile.XXXXXX")
	# HOME too: Chromium writes beside it (~/.config, ~/.cache, crash reports)
	HOME=$profile setsid timeout -k 5 "$BROWSER_TIMEOUT" "$CHROMIUM" --headless --no-sandbox --disable-gpu \
		--user-data-dir="$profile/data" --no-first-run --no-default-browser-check --disable-extensions \
		--disable-background-networking --disable-component-update --disable-sync --disable-default-apps \
		--host-resolver-rules='MAP * ~NOTFOUND' --log-net-log="$out.net.json" \
		--enable-logging=stderr --v=0 "$@" >"$out.stdout" 2>"$out.log" </dev/null &
	SESSIONS+=("$!")
	wait "$!"
	rc=$?
	kill_browsers
	rm -rf "$profile"
	return $rc
}

# print HTML PDF: prints HTML to PDF (its log and net log beside the PDF)
print() {
	browser "${2%.pdf}" --no-pdf-header-footer --print-to-pdf="$2" "file://$1"
}

# The page's console messages (Chromium logs them as INFO:CONSOLE) and
# errors that name the page.
console_of() {
	grep -E ':CONSOLE[:(]|ERROR:.*file://' "$1"
}

pages() { pdfinfo "$1" 2>/dev/null | sed -n 's/^Pages: *//p'; }

# paper HTML SIZE OUT.html: the page as printed on SIZE (what choosing the
# paper in a print dialog does)
paper() {
	sed "s/@page{margin:10mm}/@page{size:$2;margin:10mm}/" "$1" >"$3"
	grep -Fq "@page{size:$2;" "$3"
}

section "the detectors fire on a page made to fail them"
cat >"$TMP/bad.html" <<'EOF'
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>bad</title></head>
<body><p>x</div><img src="http://example.invalid/a.png" alt="">
<script>console.error("boom")</script></body></html>
EOF
check "html5lib refuses a stray end tag" bash -c '! "$1" "$2" parse "$3" >/dev/null' _ "$PY" "$HERE/html_check.py" "$TMP/bad.html"
print "$TMP/bad.html" "$TMP/bad.pdf"
check "Chromium ran" test -s "$TMP/bad.pdf"
check "a console message is seen" console_of "$TMP/bad.log"
check "a network load is seen" bash -c '! "$1" "$2" netlog "$3" >/dev/null' _ "$PY" "$HERE/html_check.py" "$TMP/bad.net.json"

section "a patient-year, imported"
"$FIXTURES" --seed 7 --records 2000 --out "$TMP/year.jsonl"
check "fixtures written" test -s "$TMP/year.jsonl"
run init
expect_ok
run import "$TMP/year.jsonl"
expect_ok
expect_stdout_eq 2000
run patient list --json
P=$(jq_out '.[0].id')
PATIENTS=$OUT
run timeline "$P" --json
AT=$(jq_out '.[-1].time')
FIRST=$(jq_out '.[0].time')
# the whole year in the patient's days: from the first record's day, 365 days
YFROM=$(TZ=$(jq -r '.[0].timezone // "UTC"' <<<"$PATIENTS") date -d "$FIRST" +%F)
YTO=$(date -u -d "$YFROM + 365 days" +%F)
echo "patient $P, $FIRST .. $AT; year $YFROM .. $YTO"
check "the year has about a year of records" test "$(( ($(date -d "$AT" +%s) - $(date -d "$FIRST" +%s)) / 86400 ))" -ge 330

# report NAME ARGS...: writes $TMP/NAME.html
report() {
	local name=$1
	shift
	run report "$P" "$@" --out "$TMP/$name.html"
	expect_ok
}
report last90 --at "$AT"
report year --from "$YFROM" --to "$YTO" --at "$AT"

# check_report NAME FROM [TO]: the report $TMP/NAME.html of FROM to TO
# (else up to $AT), as of $AT
check_report() {
	local name=$1 from=$2 to=${3:-} html=$TMP/$1.html size n want since until code
	local period=(--from "$from" ${to:+--to "$to"} --at "$AT")
	section "$name: html5lib parses it without an error"
	check "$name parses cleanly: $("$PY" "$HERE/html_check.py" parse "$html" 2>&1 | head -3)" \
		"$PY" "$HERE/html_check.py" parse "$html"

	for size in letter A4; do
		section "$name on $size: Chromium prints it on 1 to $MAX_PAGES pages, quietly, loading nothing"
		check "$name: the @page rule takes $size" paper "$html" "$size" "$TMP/$name-$size.html"
		print "$TMP/$name-$size.html" "$TMP/$name-$size.pdf"
		check "$name on $size: a PDF" test -s "$TMP/$name-$size.pdf"
		n=$(pages "$TMP/$name-$size.pdf")
		echo "$name on $size: ${n:-?} pages"
		check "$name on $size: 1 to $MAX_PAGES pages (has ${n:-none})" test "${n:-0}" -ge 1 -a "${n:-0}" -le "$MAX_PAGES"
		check "$name on $size: the paper is $size" bash -c 'pdfinfo "$1" | grep -Eq "^Page size:.*\(($2)\)"' _ \
			"$TMP/$name-$size.pdf" "$([ "$size" = A4 ] && echo A4 || echo letter)"
		check "$name on $size: no console message: $(console_of "$TMP/$name-$size.log" | head -3)" \
			bash -c '! grep -Eq ":CONSOLE[:(]|ERROR:.*file://" "$1"' _ "$TMP/$name-$size.log"
		check "$name on $size: the page loads nothing: $("$PY" "$HERE/html_check.py" netlog "$TMP/$name-$size.net.json" | head -3)" \
			"$PY" "$HERE/html_check.py" netlog "$TMP/$name-$size.net.json"
	done

	section "$name: the key figures are in the printed text"
	pdftotext -layout "$TMP/$name-A4.pdf" "$TMP/$name.txt"
	run adherence "$P" "${period[@]}" --json
	expect_ok
	check "$name: adherence has drugs" test "$(jq_out length)" -ge 1
	for i in $(seq 0 $(($(jq_out length) - 1))); do
		want=$(jq_out ".[$i] | \"\(.drug) \(.scheduled) \(.given) \(.late) \(.missed) \(.extra)\"")
		want="$want $(num 1 "$(jq_out ".[$i].percent")")%"
		echo "$name: adherence $want"
		# one row of the table as pdftotext lays it out: the figures in order
		check "$name: adherence row '$want' in the PDF" \
			grep -Eq "^ *$(sed 's/\./\\./g; s/ / +/g' <<<"$want") *$" "$TMP/$name.txt"
	done
	run steroids "$P" "${period[@]}" --json
	expect_ok
	want="$(num 1 "$(jq_out .prednisone_equivalent_mg)") mg"
	echo "$name: prednisone equivalent $want"
	check "$name: 'Cumulative, prednisone equivalent $want' in the PDF" \
		grep -Eq "Cumulative, prednisone equivalent +${want//./\\.}( |$)" "$TMP/$name.txt"

	section "$name: the DOM Chromium built"
	browser "$TMP/$name-dom" --dump-dom "file://$html"
	check "$name: a DOM" grep -q '<figure id="trend-platelets"' "$TMP/$name-dom.stdout"
	check "$name: no script in the DOM" bash -c '! grep -qi "<script" "$1"' _ "$TMP/$name-dom.stdout"
	for code in platelets hemoglobin neutrophils lymphocytes sirolimus-trough; do
		run trend "$P" --code "$code" --from "$from" ${to:+--to "$to"} --json
		want=$(jq_out length)
		assert_eq "$(sed -n "/<figure id=\"trend-$code\"/,/<\/figure>/p" "$TMP/$name-dom.stdout" | grep -o '<circle ' | wc -l)" \
			"$want" "$name: dots in the $code chart (trend --json has $want)"
	done
	# the period's symptoms: from local midnight of FROM to TO's, or past AT
	since=$(TZ=$PTZ date -d "$from 00:00" --iso-8601=seconds)
	until=$([ -n "$to" ] && TZ=$PTZ date -d "$to 00:00" --iso-8601=seconds || date -u -d "$AT + 1 second" +%FT%TZ)
	run timeline "$P" --kind symptom --since "$since" --until "$until" --json
	want=$(jq_out length)
	check "$name: symptoms logged" test "$want" -gt 0
	assert_eq "$(sed -n '/<section id="symptoms"/,/<\/section>/p' "$TMP/$name-dom.stdout" | grep -o '<circle ' | wc -l)" \
		"$want" "$name: dots on the symptom timeline (timeline --kind symptom has $want)"
}

PTZ=$(jq -r --arg p "$P" '.[] | select(.id == $p) | .timezone // "UTC"' <<<"$PATIENTS")
# the defaults: 90 days before the local day of "now"
check_report last90 "$(TZ=$PTZ date -d "$(TZ=$PTZ date -d "$AT" +%F) - 90 days" +%F)"
check_report year "$YFROM" "$YTO"

finish
