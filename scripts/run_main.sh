#!/usr/bin/env bash
# The main job behind `make run`: scan the bundled sample logs with the built-in rules, print
# what was read and what was found, and keep the normalized events for a closer look.
set -euo pipefail
build=$1
mkdir -p out
"$build/src/mimamori" scan examples/logs --events out/events.ndjson
echo
echo "Where to look:"
echo "  out/events.ndjson         every normalized event (one JSON object per line; docs/events.md)"
echo "  $build/src/mimamori --help   all commands (scan, rules, search, serve, demo …)"
