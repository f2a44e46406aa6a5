#!/usr/bin/env bash
# End-to-end: `mimamori scan --store` of a week of the sample company, then `mimamori report`
# incident / summary / all in every format and both languages; usage errors; PDF when Chromium
# is installed (and a clear message when it is not).
# args: BINARY REPO_DIR SHARED_DIR
set -euo pipefail
bin=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$bin" demo generate "$tmp/demo" --start 2025-04-28 --days 7 -q || fail "generate exited $?"
"$bin" scan "$tmp/demo/logs" --store "$tmp/m.sqlite" --cache-dir - > "$tmp/scan.txt" || fail "scan --store exited $?"
grep -q "Stored in $tmp/m.sqlite" "$tmp/scan.txt" || fail "no store line: $(head -5 "$tmp/scan.txt")"
grep -q "not found" "$tmp/scan.txt" && fail "evidence not linked to stored events: $(grep 'Stored in' "$tmp/scan.txt")"
"$bin" verify --db "$tmp/m.sqlite" > /dev/null || fail "verify failed after scan --store"

# Summary: every format, both languages, a period by days.
for lang in en ja; do
  for f in html md json; do
    "$bin" report summary --db "$tmp/m.sqlite" --lang $lang --format $f --tz Asia/Tokyo --from 2025-04-28 --to 2025-05-04 \
      -o "$tmp/summary.$lang.$f" || fail "summary $lang $f exited $?"
    [ -s "$tmp/summary.$lang.$f" ] || fail "summary $lang $f is empty"
  done
done
grep -q "<svg" "$tmp/summary.en.html" || fail "no chart in the HTML summary"
grep -q "ログの受信状況" "$tmp/summary.ja.md" || fail "Japanese summary lacks its log-source section"
grep -q '"from":"2025-04-27T15:00:00Z"' "$tmp/summary.en.json" || fail "--from 2025-04-28 in Tokyo is not 2025-04-27T15:00Z: $(head -c 200 "$tmp/summary.en.json")"
grep -q '"to":"2025-05-04T15:00:00Z"' "$tmp/summary.en.json" || fail "--to 2025-05-04 does not include that day"

# One incident, by number and by its own id; stdout by default.
key=$("$bin" report incident 1 --db "$tmp/m.sqlite" --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["incident"])')
[ -n "$key" ] || fail "incident 1 has no id"
"$bin" report incident "$key" --db "$tmp/m.sqlite" --format md --lang ja > "$tmp/inc.ja.md" || fail "report incident $key exited $?"
grep -q "## 2. 侵入経路" "$tmp/inc.ja.md" || fail "Japanese incident report lacks its sections"

# Everything into one folder.
"$bin" report all --db "$tmp/m.sqlite" --out-dir "$tmp/reports" > "$tmp/all.txt" || fail "report all exited $?"
n=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["incidents"])' "$tmp/summary.en.json")
[ -f "$tmp/reports/summary.ja.html" ] && [ -f "$tmp/reports/incident-1.en.md" ] || fail "report all wrote: $(ls "$tmp/reports" | head)"
grep -q 'href="incident-1.en.html"' "$tmp/reports/summary.en.html" || fail "summary does not link the incident reports"

# Errors: unknown incident, wrong store, bad option values.
set +e
"$bin" report incident 999999 --db "$tmp/m.sqlite" 2> "$tmp/err.txt"; rc=$?
[ "$rc" -eq 1 ] && grep -q "no incident 999999" "$tmp/err.txt" || fail "unknown incident: rc $rc, $(cat "$tmp/err.txt")"
"$bin" report summary --db "$tmp/nothing.sqlite" 2> /dev/null; rc=$?
[ "$rc" -ne 0 ] || fail "a missing store was accepted"
"$bin" report summary --db "$tmp/m.sqlite" --from yesterday 2> /dev/null; rc=$?
[ "$rc" -eq 2 ] || fail "--from yesterday: rc $rc"
"$bin" report incident 1 --db "$tmp/m.sqlite" --format pdf 2> /dev/null; rc=$?
[ "$rc" -eq 2 ] || fail "pdf without -o: rc $rc"
set -e

# PDF through headless Chromium when it is installed; otherwise the message says what to do.
if command -v chromium > /dev/null || command -v chromium-browser > /dev/null || command -v google-chrome > /dev/null; then
  HOME=$tmp timeout 120 "$bin" report incident 1 --db "$tmp/m.sqlite" --lang ja --format pdf -o "$tmp/inc.pdf" || fail "pdf exited $?"
  head -c 5 "$tmp/inc.pdf" | grep -q "%PDF-" || fail "not a PDF"
else
  set +e
  MIMAMORI_CHROMIUM= "$bin" report incident 1 --db "$tmp/m.sqlite" --format pdf -o "$tmp/inc.pdf" 2> "$tmp/err.txt"; rc=$?
  set -e
  [ "$rc" -eq 1 ] && grep -q "apt-get install chromium" "$tmp/err.txt" || fail "no Chromium: rc $rc, $(cat "$tmp/err.txt")"
fi
echo "report: ok ($n incident(s))"
