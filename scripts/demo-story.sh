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
say "Marc (father) logged Tuesday's dose on his phone too; the phones sync"
# Sync is issue 4: until it lands, Marc's record arrives as the merge would
# deliver it, a dose with his own author and device.
printf '%s\n' "{\"kind\":\"dose\",\"patient\":\"$leo\",\"time\":\"2026-11-24T08:12:00+01:00\",\"drug\":\"prednisone\",\"amount\":20,\"unit\":\"mg\",\"plan\":\"$plan\",\"author\":\"Marc (father)\",\"device\":\"marc-phone\"}" \
  "{\"kind\":\"dose\",\"patient\":\"$leo\",\"time\":\"2026-11-24T08:05:00+01:00\",\"drug\":\"prednisone\",\"amount\":20,\"unit\":\"mg\",\"plan\":\"$plan\",\"author\":\"Anna (mother)\",\"device\":\"anna-phone\"}" \
  | c import - >/dev/null
c measure "$leo" --code platelets --value 38 --low 150 --high 400 --at 2026-11-25T08:30:00+01:00 >/dev/null

say "What is due on Wednesday morning at 09:30 (Paris time)"
c due "$leo" --at 2026-11-25T09:30:00+01:00

say "Adherence this week (given + late + missed = scheduled; extra = the dose logged twice)"
c adherence "$leo" --from 2026-11-21 --at 2026-11-25T09:30:00+01:00

say "Cumulative steroid exposure (the possible double dose counts until someone voids it)"
c steroids "$leo" --at 2026-11-25T09:30:00+01:00

say "Alerts: what needs attention now"
c alerts "$leo" --at 2026-11-25T09:30:00+01:00

echo
echo "Store kept in $store (charts/$leo.git is a plain git repository)."
