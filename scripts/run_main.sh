#!/usr/bin/env bash
# The main job behind `make run`: generate the sample company (once; cached by seed, period and
# generator source), scan its month of logs into the store with the full pipeline (Sigma,
# correlation, alerts, incidents), write the reports for management to out/reports/, and print
# a short summary with the paths to open. docs/reports.md, docs/demo.md.
set -euo pipefail
build=$1
bin="$build/src/mimamori"
out=out
demo=$out/demo
db=$out/mimamori.sqlite
reports=$out/reports
seed=${MIMAMORI_DEMO_SEED:-7}
start=${MIMAMORI_DEMO_START:-2025-04-14}
days=${MIMAMORI_DEMO_DAYS:-30}
tz=Asia/Tokyo  # the sample company's zone: days and times in the reports are Tokyo's
t0=$(date +%s%N)
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

# 1. The sample company, regenerated only when the seed, period or generator changed.
stamp="seed=$seed start=$start days=$days generator=$(cat src/demo/*.cpp src/demo/*.hpp | sha256sum | cut -c1-16)"
mkdir -p "$out"
if [[ -f $demo/labels.json && -f $demo/.stamp && "$(cat "$demo/.stamp")" == "$stamp" ]]; then
  echo "Sample company: $demo (cached; $stamp)"
else
  t=$(date +%s%N)
  "$bin" demo generate "$demo" --seed "$seed" --start "$start" --days "$days" --force > /dev/null
  echo "$stamp" > "$demo/.stamp"
  echo "Sample company: generated $demo in $(ms "$t") ms"
fi

# 2. Everything into the store: events, then alerts and incidents linked to them.
rm -f "$db" "$db-wal" "$db-shm"
t=$(date +%s%N)
"$bin" scan "$demo/logs" --context "$demo/context" --store "$db" -q
echo "Scan into the store: $(ms "$t") ms"

# 3. Reports: the summary and one per incident, HTML and Markdown, English and Japanese.
rm -rf "$reports"
t=$(date +%s%N)
"$bin" report all --db "$db" --out-dir "$reports" --tz "$tz" > /dev/null
echo "Reports: $(ms "$t") ms"

# 4. The short summary.
"$bin" report summary --db "$db" --tz "$tz" --format json --top 3 > "$out/summary.json"
python3 - "$out/summary.json" "$tz" <<'PY'
import json, sys
from datetime import datetime
from zoneinfo import ZoneInfo
s = json.load(open(sys.argv[1]))
def local(t):
    return datetime.fromisoformat(t.replace("Z", "+00:00")).astimezone(ZoneInfo(sys.argv[2])).strftime("%Y-%m-%d %H:%M")
levels = ["critical", "high", "medium", "low", "informational"]
by_level = {}
for i in s["incident_list"]:
    by_level[i["level"]] = by_level.get(i["level"], 0) + 1
def by(d):
    return ", ".join("{:,} {}".format(d[l], l) for l in levels if d.get(l))
print()
print("Mimamori read {:,} events from {} to {} ({})".format(s["events"], local(s["from"]), local(s["to"]), sys.argv[2]))
print("  alerts:        {:,}".format(s["alerts"]) + ("  ({})".format(by(s["alerts_by_level"])) if s["alerts"] else ""))
print("  incidents:     {:,}".format(s["incidents"]) + ("  ({})".format(by(by_level)) if by_level else ""))
print("  failed logons: {:,}".format(s["failed_logons"]))
silent = [x["source_type"] for x in s["log_sources"] if x["silent"]]
if silent:
    print("  log sources that went silent: " + ", ".join(silent))
if s["incident_list"]:
    print()
    print("Top incidents (highest risk first):")
    for i in s["incident_list"][:3]:
        print("  #{:<4} risk {:>3.0f}  {:<8} {}".format(i["id"], i["risk"], i["level"], i["title_en"]))
PY
top=$(python3 -c 'import json,sys; l=json.load(open(sys.argv[1]))["incident_list"]; print(l[0]["id"] if l else "")' "$out/summary.json")
echo
echo "Open:"
echo "  $reports/summary.en.html      summary (Japanese: summary.ja.html)"
if [[ -n $top ]]; then
  echo "  $reports/incident-$top.en.html   the highest-risk incident (ja: incident-$top.ja.html; .md beside each)"
fi
echo "  $db         the store:  $bin search --db $db 'event.outcome:failure | stats count() by source.ip'"
echo "                             $bin report incident ID --db $db --lang ja --format pdf -o incident.pdf"
echo
echo "make run: $(ms "$t0") ms in all"
