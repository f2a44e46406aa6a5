#!/usr/bin/env bash
# Run the benchmarks against a Release build. Generates the corpus once (cached under
# .cache/bench-corpus). usage: bench/run_all.sh BUILD [MEGABYTES]
set -euo pipefail
build=${1:-build}; mb=${2:-1024}
corpus=.cache/bench-corpus-$mb
if [ ! -f "$corpus/manifest.tsv" ]; then
  python3 bench/gen_corpus.py "$corpus" --megabytes "$mb"
fi
echo "== parser throughput ($(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))"
"$build/bench/parse_bench" "$corpus" 5
for s in bench/*/run.sh; do
  [ -x "$s" ] && { echo "== $s"; "$s" "$build"; }
done
