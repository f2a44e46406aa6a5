#!/usr/bin/env bash
# Build the libFuzzer targets with clang and run each for SECONDS (default 5), seeded from
# fuzz/corpus/<target>/. usage: fuzz.sh BUILD_DIR [SECONDS]
# Ends with "N passed, N failed" (one per target). The smoke starts from a fixed seed
# (FUZZ_SEED, default 1) so that CI explores the same inputs first on every run; for a longer
# campaign that explores anew, FUZZ_SEED=0 (libFuzzer then picks a random seed).
set -uo pipefail
build=$1; secs=${2:-5}; seed=${FUZZ_SEED:-1}
if ! ls fuzz/*.cpp >/dev/null 2>&1; then echo "0 passed, 0 failed"; exit 0; fi
CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DMIMAMORI_FUZZ=ON -DMIMAMORI_TESTS=OFF -DMIMAMORI_BENCH=OFF >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
cmake --build "$build" -j 2 --target fuzz_all || { echo "0 passed, 1 failed"; exit 1; }
pass=0; fail=0
for t in "$build"/fuzz/fuzz_*; do
  [ -x "$t" ] || continue
  name=$(basename "$t")
  work=$(mktemp -d)
  seeds=fuzz/corpus/${name#fuzz_}
  [ -d "$seeds" ] || seeds=""
  if "$t" -seed="$seed" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=0 \
       -artifact_prefix="$work/" "$work" $seeds >"$work/log" 2>&1; then
    echo "fuzz $name: ok ($(grep -oE '#[0-9]+' "$work/log" | tail -1 | tr -d '#') runs)"
    pass=$((pass + 1))
  else
    echo "fuzz $name: FAILED"; tail -40 "$work/log"
    # The input that failed, so it can be replayed from the CI log alone:
    #   base64 -d > in && $build/fuzz/$name in
    for a in "$work"/crash-* "$work"/timeout-* "$work"/oom-* "$work"/leak-*; do
      [ -f "$a" ] || continue
      echo "failing input $(basename "$a") ($(stat -c %s "$a") bytes, base64, first 8 KiB):"
      head -c 8192 "$a" | base64 -w 120
    done
    fail=$((fail + 1))
  fi
  rm -rf "$work"
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
