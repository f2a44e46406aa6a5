#!/usr/bin/env bash
# The daemon's benchmarks (run by bench/run_all.sh). usage: bench/serve/run.sh BUILD
#   INGEST_EVENTS (2000000), INGEST_ROUNDS (3), SEARCH_EVENTS (10000000), SEARCH_DB (temp file)
# Ingest runs with the built-in rules (detection on). The search store is generated once and
# reused while it holds SEARCH_EVENTS events. Bounded: every wait in the tools has a deadline.
set -euo pipefail
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
"$build/bench/serve/serve_ingest_bench" --events "${INGEST_EVENTS:-2000000}" --rounds "${INGEST_ROUNDS:-3}" --detect
"$build/bench/serve/serve_search_bench" --events "${SEARCH_EVENTS:-10000000}" ${SEARCH_DB:+--db "$SEARCH_DB"} --runs 5
