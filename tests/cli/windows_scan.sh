#!/usr/bin/env bash
# `mimamori scan` reads a folder of .evtx files (and the evtx_dump .json beside them) by content:
# record counts equal evtxexport's, every event carries the Windows field contract.
# usage: windows_scan.sh BINARY REPO_DIR SHARED_DIR
set -euo pipefail
bin=$1; shared=$3
dir=$shared/sigma/regression_data/rules/windows/image_load
[ -d "$dir" ] || { echo "skip: no regression data"; exit 0; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
mkdir -p "$work/in"
for f in $(find "$dir" -name '*.evtx' | sort | head -6); do cp "$f" "$work/in/$(basename "$f")"; done
"$bin" scan --events "$work/events.ndjson" "$work/in" > "$work/summary.txt"
cat "$work/summary.txt"
grep -qE '^ +evtx +[0-9]+ +0$' "$work/summary.txt" || { echo "FAIL: no evtx line without malformed records"; exit 1; }
got=$(wc -l < "$work/events.ndjson")
if command -v evtxexport >/dev/null; then
  want=0
  for f in "$work"/in/*.evtx; do want=$((want + $(evtxexport -f xml "$f" 2>/dev/null | grep -c '^<Event '))); done
  [ "$got" -eq "$want" ] || { echo "FAIL: $got events, evtxexport says $want"; exit 1; }
fi
python3 - "$work/events.ndjson" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    for k in ("EventID", "Channel", "Provider_Name", "Computer", "EventRecordID", "@timestamp", "event.code", "host.name"):
        assert k in e, (k, e)
    assert isinstance(e["EventID"], int), e["EventID"]
    assert e["event.dataset"].startswith("windows."), e["event.dataset"]
    assert e["log.offset"] >= 4096 + 512, e["log.offset"]
print("ok")
PY
