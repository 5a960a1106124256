#!/usr/bin/env bash
# The demonstration itself: scripts/demo-story.sh CARELOG STORE-DIR
set -euo pipefail
carelog=$1
store=$2
rm -rf "$store"
c() { "$carelog" --store "$store" "$@"; }
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "Anna sets up carelog on her phone (no network needed)"
c init --device "anna-phone" --author "Anna (mother)" --role caregiver

say "She enrols her son Léo, 8, who has ALPS and no spleen"
leo=$(c patient add --name "Léo Martin" --born 2018-03-02 --weight-kg 24.5 --asplenic --timezone Europe/Paris)
echo "patient $leo"
c patient list

say "The clinic started a prednisone taper: 20 mg each morning, then 15, then 10 mg"
plan=$(c plan add "$leo" --drug prednisone --dose 20 --unit mg --times 08:00 \
  --start 2026-11-16 --end 2026-12-13 --taper 2026-11-30:15,2026-12-07:10)
echo "plan $plan"

say "Doses given this week (one logged with the wrong amount), one missed"
c dose "$leo" --drug prednisone --amount 20 --unit mg --plan "$plan" --at 2026-11-21T08:05:00+01:00 >/dev/null
wrong=$(c dose "$leo" --drug prednisone --amount 200 --unit mg --plan "$plan" --at 2026-11-22T08:10:00+01:00)
c dose "$leo" --drug prednisone --amount 20 --unit mg --plan "$plan" --outcome missed \
  --note "vomited before breakfast" --at 2026-11-23T08:00:00+01:00 >/dev/null
mistake=$(c dose "$leo" --drug prednisone --amount 20 --unit mg --plan "$plan" --at 2026-11-23T20:00:00+01:00)

say "Symptoms and a home temperature (typed in Fahrenheit, stored in Celsius)"
c symptom "$leo" --code fatigue --severity 4 --at 2026-11-23T17:00:00+01:00 >/dev/null
c symptom "$leo" --code petechiae --severity 2 --note "a few on the shins" --at 2026-11-24T07:45:00+01:00 >/dev/null
c measure "$leo" --code temperature --value 100.9 --unit '[degF]' --at 2026-11-24T21:30:00+01:00 >/dev/null
c note "$leo" "Called the clinic about the petechiae; platelet count booked for Friday." --at 2026-11-24T09:00:00+01:00 >/dev/null

say "A wrong unit is refused, and nothing is written"
c measure "$leo" --code temperature --value 38 --unit mmol/L || echo "(exit $? — the log is unchanged)"

say "Correcting mistakes: 200 mg was really 20 mg; the evening dose was logged by accident"
c amend "$wrong" --set amount=20 >/dev/null
c void "$mistake" --reason "logged twice: the evening entry was a slip" >/dev/null

say "Léo's timeline"
c timeline "$leo"

say "The corrected record keeps every version"
c show "$wrong" --history

say "Everything checks out: history and index agree, every record is valid"
c check && echo "check: clean"

# ---- the clinic, a second phone, and sync over plain git ------------------
clinic=$store-clinic
phone2=$store-phone2
rm -rf "$clinic" "$phone2"
k() { "$carelog" --store "$clinic" "$@"; }
p() { "$carelog" --store "$phone2" "$@"; }

say "The clinic keeps a store too, and serves its charts with git daemon (loopback here)"
k init --device clinic-server --author "Dr Rossi (haematology)" --role clinic
port=$((20000 + RANDOM % 20000))  # a free one: nothing answers there yet
while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
git daemon --reuseaddr --listen=127.0.0.1 --port="$port" --base-path="$clinic/charts" --export-all \
  --enable=receive-pack "$clinic/charts" >/dev/null 2>&1 &
daemon=$!
trap 'kill $daemon 2>/dev/null || true' EXIT
for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
echo "clinic charts at git://127.0.0.1:$port/"

say "At the first visit the clinic enrols Léo's chart from Anna's phone (a shared folder here)"
c remote add clinic-folder "$clinic/charts"
c sync clinic-folder
c remote remove clinic-folder
c remote add clinic "git://127.0.0.1:$port"

say "Marc, Léo's father, sets up his phone and brings Léo's chart in from the clinic"
p init --device "marc-phone" --author "Marc (father)" --role caregiver
p remote add clinic "git://127.0.0.1:$port"
p sync --patient "$leo"

say "Offline, both parents log Tuesday's dose (the same dose, twice)... and both correct the same record"
c dose "$leo" --drug prednisone --amount 20 --unit mg --plan "$plan" --at 2026-11-24T08:05:00+01:00 >/dev/null
p dose "$leo" --drug prednisone --amount 20 --unit mg --plan "$plan" --at 2026-11-24T08:12:00+01:00 >/dev/null
p symptom "$leo" --code bruising --severity 3 --note "new bruise on the left arm" --at 2026-11-25T18:00:00+01:00 >/dev/null
c amend "$wrong" --set note="given with breakfast"
p amend "$wrong" --set note="given at 08:10, with yoghurt"

say "They sync: every record reaches everyone; the double correction is kept as a conflict"
c sync
p sync
c sync
c conflicts "$leo"

say "Anna resolves it once; the resolution syncs like any record"
c resolve "$wrong" --keep winner --set note="given at 08:10 with breakfast (both parents agree)" >/dev/null
c sync
p sync
echo "open conflicts on Marc's phone: $(p conflicts "$leo" --json | jq length)"

say "The clinic sends back lab results and a new plan"
k measure "$leo" --code platelets --value 38 --unit '10*3/uL' --low 150 --high 400 --at 2026-11-25T08:30:00+01:00 >/dev/null
k measure "$leo" --code sirolimus-trough --value 6.8 --unit ng/mL --at 2026-11-25T08:30:00+01:00 >/dev/null
k plan add "$leo" --drug sirolimus --dose 1.5 --unit mg --times 08:00,20:00 --start 2026-11-26 \
  --note "start sirolimus; trough target 5-15 ng/mL" >/dev/null
p sync
c sync

say "Back on Anna's phone, after the sync: the log turned into answers"
say "What is due on Wednesday morning at 09:30 (Paris time)"
c due "$leo" --at 2026-11-25T09:30:00+01:00

say "Adherence this week (given + late + missed = scheduled; extra = the dose logged twice)"
c adherence "$leo" --from 2026-11-21 --at 2026-11-25T09:30:00+01:00

say "Cumulative steroid exposure (the possible double dose counts until someone voids it)"
c steroids "$leo" --at 2026-11-25T09:30:00+01:00

say "Alerts: what needs attention now"
c alerts "$leo" --at 2026-11-25T09:30:00+01:00

say "Every copy of the chart is the same: same tree, same timeline"
for s in "$store" "$phone2" "$clinic"; do
  printf '%-28s %s\n' "$(basename "$s")" "$(git --git-dir "$s/charts/$leo.git" rev-parse 'main^{tree}')"
done
c timeline "$leo" --since 2026-11-25T00:00:00Z
c check && p check && k check && echo "check: clean on both phones and at the clinic"
echo
echo "Stores kept in $store, $phone2 and $clinic (each charts/$leo.git is a plain git repository)."

say "For the clinic visit: Léo's report of the last 90 days, one HTML page to print or send"
report=$store-report.html
c report "$leo" --at 2026-11-25T09:30:00+01:00 --out "$report" >/dev/null
echo "visit report: $report"
