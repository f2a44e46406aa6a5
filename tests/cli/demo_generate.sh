#!/usr/bin/env bash
# End-to-end: `mimamori demo generate` (same seed → same bytes, another seed → other bytes,
# no silent overwrite), `mimamori scan` of the generated logs (every file a known format,
# nothing malformed), and `mimamori demo evaluate` on an empty alert file and on a real scan.
# args: BINARY REPO_DIR SHARED_DIR
set -euo pipefail
bin=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
sums() { (cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum); }

# 1. Generation is deterministic and quick.
"$bin" demo generate "$tmp/a" > "$tmp/gen.txt" || fail "generate exited $?"
cat "$tmp/gen.txt"
grep -q "Attack stories" "$tmp/gen.txt" || fail "no story list printed"
[ -f "$tmp/a/labels.json" ] && [ -f "$tmp/a/context/roster.csv" ] && [ -f "$tmp/a/context/badge.csv" ] || fail "labels or context missing"
"$bin" demo generate "$tmp/b" --quiet || fail "second generate exited $?"
sums "$tmp/a" > "$tmp/a.sum"
sums "$tmp/b" > "$tmp/b.sum"
cmp -s "$tmp/a.sum" "$tmp/b.sum" || { diff "$tmp/a.sum" "$tmp/b.sum" | head; fail "same seed, different bytes"; }
"$bin" demo generate "$tmp/c" --seed 99 -q || fail "generate --seed 99 exited $?"
sums "$tmp/c" > "$tmp/c.sum"
cmp -s "$tmp/a.sum" "$tmp/c.sum" && fail "another seed wrote the same bytes"

# 2. An existing output is not overwritten without --force; bad options are usage errors.
set +e
"$bin" demo generate "$tmp/a" -q 2> "$tmp/err.txt"; rc=$?
set -e
[ "$rc" -ne 0 ] || fail "generate overwrote an existing folder"
grep -q -- "--force" "$tmp/err.txt" || fail "no hint about --force: $(cat "$tmp/err.txt")"
"$bin" demo generate "$tmp/a" --force -q || fail "--force did not replace"
sums "$tmp/a" > "$tmp/a2.sum"
cmp -s "$tmp/a.sum" "$tmp/a2.sum" || fail "--force wrote different bytes"
set +e
"$bin" demo generate "$tmp/d" --days 3 -q 2> /dev/null; rc=$?
set -e
[ "$rc" -eq 2 ] || fail "--days 3 should be a usage error (2), got $rc"

# 3. Every generated log is read as a known format, nothing malformed.
"$bin" scan "$tmp/a/logs" --no-builtin-rules > "$tmp/scan.txt" || fail "scan exited $?"
cat "$tmp/scan.txt"
python3 - "$tmp/scan.txt" <<'PY' || fail "scan of the demo logs is not clean"
import re, sys
text = open(sys.argv[1]).read()
rows = {}
for line in text.splitlines():
    m = re.match(r"\s+(\S+)\s+([\d,]+)\s+([\d,]+)$", line)
    if m:
        rows[m.group(1)] = (int(m.group(2).replace(",", "")), int(m.group(3).replace(",", "")))
assert set(rows) == {"json", "kv", "syslog", "web.access", "windows.json"}, rows
assert all(bad == 0 for _, bad in rows.values()), rows
assert sum(n for n, _ in rows.values()) > 50000, rows
assert "could not be parsed" not in text and "could not be read" not in text
PY

# 4. Evaluation: nothing found with no alerts; a real scan runs end to end.
: > "$tmp/none.ndjson"
"$bin" demo evaluate "$tmp/a" --alerts "$tmp/none.ndjson" > "$tmp/eval0.txt" || fail "evaluate --alerts exited $?"
for s in "(a)" "(b)" "(c)" "(d)"; do grep -qF "$s" "$tmp/eval0.txt" || fail "story $s missing from the table"; done
grep -q "^  0 alert(s)" "$tmp/eval0.txt" || fail "expected 0 alerts: $(cat "$tmp/eval0.txt")"
if grep -E "^  [abcd] +all +yes" "$tmp/eval0.txt"; then fail "a story detected without alerts"; fi
"$bin" demo evaluate "$tmp/a" --cache-dir "$tmp/cache" --keep-alerts "$tmp/alerts.ndjson" --steps > "$tmp/eval.txt" \
    || fail "evaluate (with scan) exited $?"
cat "$tmp/eval.txt"
grep -q "STORY" "$tmp/eval.txt" && grep -q "a.entry.vpn_spray" "$tmp/eval.txt" || fail "no table or steps"
[ -f "$tmp/alerts.ndjson" ] || fail "--keep-alerts wrote nothing"
echo OK
