#!/usr/bin/env bash
# Correlation state (1M keys) and threat intelligence (5M indicators) benchmarks.
# usage: bench/correlate/run.sh BUILD   (called by bench/run_all.sh)
set -euo pipefail
build=${1:-build}
"$build/bench/correlate/correlate_bench" 10 1000000
