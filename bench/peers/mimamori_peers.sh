# Mimamori as peers of the shared harness (../shared/bench/peers/run_peers.sh). run.sh inserts
# this file into a scratch copy of run_peers.sh before its main loop. MIMAMORI_BIN must be set.
#
# mimamori-parse: `mimamori scan LOG` — read + detect format + parse every line into ECS
#   events, no detection rules. Comparable with sshguard-parser and fail2ban-regex.
# mimamori: the same with the detection rules on; flagged = the source IPs of its alerts.
#   (Needs the built-in brute-force rules; skipped when this build has no `--rules`.)
setup_mimamori-parse() {
    cat > "$OUTDIR/cmd/mimamori-parse.sh" <<EOS
exec "$MIMAMORI_BIN" scan "\$1" --format syslog > "\$2"
EOS
    meta mimamori-parse.what "mimamori scan LOG --format syslog: parse every line into ECS events; no detection"
    meta mimamori-parse.flags no
    meta mimamori-parse.version "$("$MIMAMORI_BIN" --version 2>&1 | head -1)"
}
setup_mimamori() {
    "$MIMAMORI_BIN" scan --help 2>&1 | grep -q -- '--json' || return 1
    cat > "$OUTDIR/cmd/mimamori.sh" <<EOS
exec "$MIMAMORI_BIN" scan "\$1" --format syslog --json -q > "\$2"
EOS
    meta mimamori.what "mimamori scan LOG --json: parse + built-in detection rules; flagged = source.ip of alerts"
    meta mimamori.flags yes
    meta mimamori.version "$("$MIMAMORI_BIN" --version 2>&1 | head -1)"
}
post_mimamori() {
    [ "$1" = main ] || return 0
    python3 - "$3" > "$OUTDIR/mimamori.flagged" <<'PY'
import json, sys
ips = set()
for line in open(sys.argv[1]):
    try:
        a = json.loads(line)
    except ValueError:
        continue
    ev = a.get("event") or {}
    ip = ev.get("source.ip") or a.get("source.ip") or (a.get("entities") or {}).get("source.ip")
    if ip:
        ips.add(ip)
print("\n".join(sorted(ips)))
PY
}
