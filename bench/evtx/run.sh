#!/usr/bin/env bash
# EVTX reading benchmark, all in one run on the same file:
#   1. build a dense EVTX from the Sigma regression samples (make_bench_evtx.py --fill),
#   2. check that our reader and evtxexport (Debian libevtx-utils) count the same records,
#   3. time `evtxexport -f xml` (median of RUNS), our reader (evtx_bench, median of RUNS),
#      libevtx's own record API rendering XML (evtx_bench --mode libevtx-xml), and — when the
#      bench was built with the Sigma engine — reading + every SigmaHQ Windows rule,
#   4. print events/s and the ratio ours / evtxexport.
# usage: bench/evtx/run.sh BUILD_DIR [COPIES=5] [RUNS=3]
set -euo pipefail
build=$(cd "$1" && pwd); copies=${2:-5}; runs=${3:-3}
here=$(cd "$(dirname "$0")" && pwd)
shared=${MIMAMORI_SHARED_DIR:-$here/../../../shared}
bench=$build/bench/evtx/evtx_bench
[ -x "$bench" ] || { echo "build evtx_bench first (cmake -DMIMAMORI_BENCH=ON, target evtx_bench)"; exit 2; }
command -v evtxexport >/dev/null || { echo "evtxexport not installed (libevtx-utils)"; exit 2; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
file=$work/bench.evtx
python3 "$here/make_bench_evtx.py" "$file" --fill --copies "$copies" "$shared/sigma/regression_data"

ours_count=$("$bench" --count "$file" | cut -d' ' -f1)
ref_count=$(evtxexport -f xml "$file" 2>/dev/null | grep -c '^<Event ' || true)
echo "records: ours=$ours_count evtxexport=$ref_count"
[ "$ours_count" = "$ref_count" ] || { echo "FAIL: record counts differ"; exit 1; }

# evtxexport's CPU time (user + sys, from GNU time), comparable with our per-CPU-second rates
# on a shared machine where wall time measures the neighbours.
export_times=()
for _ in $(seq "$runs"); do
  cpu=$(/usr/bin/env time -f '%U %S' evtxexport -f xml "$file" 2>&1 >/dev/null | tail -1 | awk '{printf "%d", ($1 + $2) * 1e9}')
  export_times+=("$cpu")
done
ours=$("$bench" --runs "$runs" "$file")
libevtx=$("$bench" --mode libevtx-xml --runs "$runs" "$file")
sigma=$("$bench" --mode sigma --runs "$runs" "$file" 2>"$work/sigma.err" || true)

python3 - "$ref_count" "$ours" "$libevtx" "$sigma" "$(cat "$work/sigma.err" 2>/dev/null)" "${export_times[@]}" <<'PY'
import sys, statistics
count = int(sys.argv[1]); ours, libevtx, sigma, sigma_err = sys.argv[2:6]
ns = sorted(int(x) for x in sys.argv[6:])
exp_s = statistics.median(ns) / 1e9
def field(line, key):
    for kv in line.split():
        if kv.startswith(key + "="): return kv.split("=", 1)[1]
    return None
exp_eps = count / exp_s
ours_eps = float(field(ours, "events_per_s"))
print(f"evtxexport -f xml : {exp_eps:12,.0f} events/s per CPU-second ({exp_s:.3f} s CPU, median of {len(ns)})")
print(f"libevtx XML (API) : {float(field(libevtx, 'events_per_s')):12,.0f} events/s")
print(f"mimamori reader   : {ours_eps:12,.0f} events/s per CPU-second ({float(field(ours, 'mb_per_s')):.0f} MB/s; wall {float(field(ours, 'wall_events_per_s')):,.0f}/s)")
print(f"ratio ours/evtxexport: {ours_eps / exp_eps:.1f}x (target >= 3x)")
if field(sigma, "events_per_s"):
    print(f"reader + Sigma    : {float(field(sigma, 'events_per_s')):12,.0f} events/s per CPU-second on one core, "
          f"{field(sigma, 'rules')} rules, {field(sigma, 'matches_per_run')} matches  [{sigma_err.strip()}]")
else:
    print("reader + Sigma    : not measured (" + (sigma_err.strip() or "no Sigma engine in this build") + ")")
PY
