#!/usr/bin/env bash
# Mimamori beside fail2ban, sshguard, CrowdSec and lnav on one generated sshd auth.log, in the
# same run (the shared harness in ../shared/bench/peers). Installs the peers from Debian when
# missing. usage: bench/peers/run.sh BUILD [LINES] [extra run_peers.sh args...]
# Results: .cache/peers/results/<log>/results.md
set -euo pipefail
build=$(readlink -f "${1:-build}"); lines=${2:-100000}; shift $(( $# > 2 ? 2 : $# )) || true
repo=$(cd "$(dirname "$0")/../.." && pwd)
shared=${MIMAMORI_SHARED_DIR:-$repo/../shared}
work=$repo/.cache/peers
missing=()
for p in fail2ban sshguard lnav crowdsec; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  # crowdsec's post-install step fails without internet; its binaries still work (see harness README)
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" || true
fi
rm -rf "$work/harness"; mkdir -p "$work"
cp -r "$shared/bench/peers" "$work/harness"
chmod -R u+w "$work/harness"
# Insert our peers before the harness' main loop.
awk -v f="$repo/bench/peers/mimamori_peers.sh" '
  /^# -+ main/ { while ((getline l < f) > 0) print l }
  { print }' "$shared/bench/peers/run_peers.sh" > "$work/harness/run_peers.sh"
cd "$work/harness"
log=data/auth$((lines / 1000))k.log
[ -f "$log" ] || python3 gen_authlog.py -n "$lines" -o "$log"
MIMAMORI_BIN="$build/src/mimamori" bash run_peers.sh -o "results/$(basename "$log")" -r 3 \
  -p "mimamori-parse mimamori fail2ban-regex fail2ban sshguard-parser lnav crowdsec" "$@" "$log"
echo "results: $work/harness/results/$(basename "$log")/results.md"
