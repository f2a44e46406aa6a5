#!/usr/bin/env bash
# The main job behind `make run`: for now, scan the bundled examples and print the summary.
set -euo pipefail
build=$1
mkdir -p out
"$build/src/mimamori" scan examples/ --events out/events.ndjson
echo
echo "Normalized events: out/events.ndjson"
