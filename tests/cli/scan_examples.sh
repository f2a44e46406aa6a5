#!/usr/bin/env bash
# End-to-end: `mimamori scan` on the bundled examples and on bad input.
# args: BINARY REPO_DIR SHARED_DIR
set -euo pipefail
bin=$1; repo=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# 1. The examples scan, every line becomes an event, the broken line is reported with file:line.
"$bin" scan "$repo/examples/logs" --events "$tmp/events.ndjson" > "$tmp/summary.txt" || fail "scan exited $?"
cat "$tmp/summary.txt"
want=$(cat "$repo"/examples/logs/*/*.log | grep -c .)
want=$((want + $(zcat "$repo"/examples/logs/web01/*.gz | grep -c .)))
got=$(wc -l < "$tmp/events.ndjson")
[ "$got" -eq "$want" ] || fail "expected $want events, got $got"
grep -q "auth.log:26: " "$tmp/summary.txt" || fail "malformed line not reported as file:line"
python3 - "$tmp/events.ndjson" <<'PY' || fail "events are not valid NDJSON with the documented keys"
import json, sys
n = 0
for line in open(sys.argv[1]):
    e = json.loads(line)
    assert "@timestamp" in e and "event.dataset" in e and "event.original" in e, e
    assert "log.file.path" in e and "log.file.line" in e, e
    n += 1
assert n > 0
PY
# Rotated files come oldest first: auth.log.1.gz before auth.log.
first=$(grep -n -m1 'auth.log.1.gz' "$tmp/events.ndjson" | cut -d: -f1)
last=$(grep -n -m1 'web01/auth.log"' "$tmp/events.ndjson" | cut -d: -f1)
[ "$first" -lt "$last" ] || fail "rotated file not read before the current one"

# 2. Missing and unreadable inputs are listed, not fatal.
printf 'x\0y' > "$tmp/binary.bin"
"$bin" scan "$tmp/nope.log" "$tmp/binary.bin" > "$tmp/s2.txt" || fail "missing input made scan fail"
grep -q "nope.log: no such file" "$tmp/s2.txt" || fail "missing file not listed"
grep -q "binary.bin" "$tmp/s2.txt" || fail "binary file not listed"

# 3. Usage errors exit 2 with a clear message.
set +e
"$bin" scan --tz Mars/Base "$repo/examples" > /dev/null 2> "$tmp/err.txt"; rc=$?
set -e
[ "$rc" -eq 2 ] || fail "bad --tz should exit 2, got $rc"
grep -q "Mars/Base" "$tmp/err.txt" || fail "bad --tz message does not name the zone"
set +e
"$bin" scan --format nosuchformat "$repo/examples" > /dev/null 2> "$tmp/err2.txt"; rc=$?
set -e
[ "$rc" -eq 2 ] || fail "unknown --format should exit 2, got $rc"
grep -q "nosuchformat" "$tmp/err2.txt" || fail "unknown format message does not name it"
echo "ok"
