#!/usr/bin/env bash
# mimamori scan with detection: incidents first, then alerts; --json (typed NDJSON), --lang ja,
# --intel lists and --state across runs.
set -u
bin=$1 repo=$2 shared=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
logs="$repo/examples/logs"

"$bin" scan "$logs" > "$tmp/text.txt" 2>&1 || fail "scan exited $?"
inc=$(grep -n -m1 '^Incidents (' "$tmp/text.txt" | cut -d: -f1)
al=$(grep -n -m1 '^Alerts (' "$tmp/text.txt" | cut -d: -f1)
[ -n "$inc" ] && [ -n "$al" ] && [ "$inc" -lt "$al" ] || fail "incidents are not printed before alerts"
grep -q 'Brute force followed by a successful logon' "$tmp/text.txt" || fail "the SSH brute force then success is missing"
grep -q 'What to do:' "$tmp/text.txt" || fail "no advice in the incident"

"$bin" scan "$logs" --lang ja > "$tmp/ja.txt" 2>&1 || fail "scan --lang ja exited $?"
grep -q 'インシデント' "$tmp/ja.txt" || fail "no Japanese incident heading"
grep -q '推奨対応' "$tmp/ja.txt" || fail "no Japanese advice"
grep -qE '^    [0-9]+\. \[侵入\] .*SSH へのパスワード総当たり' "$tmp/ja.txt" || fail "an incident's alerts are not listed with their Japanese titles"

printf '# test list\n203.0.113.45\n' > "$tmp/bad.txt"
"$bin" scan "$logs" --json -q --intel "$tmp/bad.txt" > "$tmp/out.ndjson" || fail "scan --json exited $?"
python3 - "$tmp/out.ndjson" <<'PY' || fail "--json output is not typed NDJSON with incidents first"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
types = [r["type"] for r in rows]
assert types and set(types) <= {"incident", "alert"}, types
assert types == sorted(types, key=lambda t: t != "incident"), "incidents must come first"
alerts = {r["id"]: r for r in rows if r["type"] == "alert"}
for r in rows:
    if r["type"] == "incident":
        assert r["summary_en"] and r["summary_ja"] and 0 <= r["risk"] <= 100
        assert all(a in alerts for a in r["alerts"]), "incident refers to an unknown alert"
for a in alerts.values():
    for k in ("rule", "entities", "first", "last", "count", "evidence", "summary_en", "summary_ja"):
        assert k in a, k
    assert a["rule"]["stage"] in ("entry", "internal", "exit", "unknown")
intel = [a for a in alerts.values() if a["rule"]["id"].startswith("mimamori-intel")]
assert intel and intel[0]["details"]["list"] == "bad" and intel[0]["details"]["indicator"] == "203.0.113.45", intel
PY

"$bin" scan "$logs" -q --state "$tmp/corr.state" > /dev/null || fail "scan --state exited $?"
[ -s "$tmp/corr.state" ] || fail "no correlation state written"
"$bin" scan "$logs" -q --state "$tmp/corr.state" > /dev/null 2> "$tmp/err.txt" || fail "second scan --state exited $?"
grep -q 'not restored' "$tmp/err.txt" && fail "state was not restored: $(cat "$tmp/err.txt")"

"$bin" scan "$logs" --lang fr > /dev/null 2>&1 && fail "--lang fr must be a usage error"
"$bin" scan "$logs" --intel "$tmp/missing.txt" > /dev/null 2>&1 && fail "a missing intel list must fail"
echo "ok"
