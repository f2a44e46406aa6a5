#!/usr/bin/env bash
# The built-in rules for the services added with their parsers (WordPress, XSS, FTP, Samba,
# OpenVPN, Synology DSM, pfSense / OPNsense / MikroTik administration), and IIS logs reaching the
# web rules: each fires on the attack and stays quiet just under its threshold or on the
# look-alike that is not an attack (a logon that works, one author asked for again).
# args: BINARY REPO_DIR SHARED_DIR
set -u
bin=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
mkdir -p "$tmp/logs"

# Web access log (nginx combined).
web() {  # ip path status [method]
  printf '%s - - [15/Sep/2025:16:13:%02d +0000] "%s %s HTTP/1.1" %s 512 "-" "Mozilla/5.0"\n' "$1" "$n" "${4:-GET}" "$2" "$3"
  n=$((n + 1))
}
n=0
{
  for i in 1 2 3 4 5; do web 203.0.113.10 /wp-login.php 200 POST; done      # refused logons: brute force
  for i in 1 2 3 4 5 6; do web 203.0.113.11 /wp-login.php 302 POST; done    # logons that worked
  for i in 1 2 3 4 5 6; do web 203.0.113.12 '/?author=1' 200; done          # one author, asked again
  for i in 1 2 3; do web 203.0.113.13 "/?author=$i" 200; done              # three authors: enumeration
  web 203.0.113.14 /wp-content/plugins/a/readme.txt 404                      # two missing plugin files
  web 203.0.113.14 /wp-content/plugins/b/readme.txt 404
  for p in a b c; do web 203.0.113.15 "/wp-content/plugins/$p/readme.txt" 404; done
  web 203.0.113.16 '/search?q=a%3Cb' 200                                     # an encoded "<" in a search
  web 203.0.113.17 '/?s=%3Cscript%3Ealert(1)%3C/script%3E' 200               # script in the address
} > "$tmp/logs/access.log"

# vsftpd.log: four failures (under the threshold), then five from another address.
{
  for i in 1 2 3 4; do printf 'Mon Jun  8 12:08:5%d 2020 [pid 1] [bob] FAIL LOGIN: Client "198.51.100.20"\n' "$i"; done
  for i in 1 2 3 4 5; do printf 'Mon Jun  8 12:09:0%d 2020 [pid 2] [admin] FAIL LOGIN: Client "198.51.100.21"\n' "$i"; done
} > "$tmp/logs/vsftpd.log"

# Samba audit lines through syslog: five failures, and a success from another address.
{
  for i in 1 2 3 4 5; do
    printf 'Sep 24 10:04:5%d files smbd[2725]: Auth: [SMB2,(null)] user [OFFICE]\\[admin] at [Wed, 24 Sep 2025 10:04:5%d.000001 UTC] with [NTLMv2] status [NT_STATUS_WRONG_PASSWORD] workstation [X] remote host [ipv4:198.51.100.30:50000] mapped to [OFFICE]\\[admin]. local host [ipv4:10.0.0.5:445]\n' "$i" "$i"
  done
  printf 'Sep 24 10:05:00 files smbd[2725]: Auth: [SMB2,(null)] user [OFFICE]\\[sato] at [Wed, 24 Sep 2025 10:05:00.000001 UTC] with [NTLMv2] status [NT_STATUS_OK] workstation [PC7] remote host [ipv4:10.0.0.77:50000] became [OFFICE]\\[sato] [S-1-5-21-1-2-3-1104]. local host [ipv4:10.0.0.5:445]\n'
} > "$tmp/logs/samba.log"

# OpenVPN's own log: five failed handshakes.
for i in 1 2 3 4 5; do
  printf '2025-09-24 10:10:0%d 198.51.100.40:4500%d TLS Error: incoming packet authentication failed from [AF_INET]198.51.100.40:4500%d\n' "$i" "$i" "$i"
done > "$tmp/logs/openvpn.log"

# Synology DSM's PAM lines: five failed web administration logons.
for i in 1 2 3 4 5; do
  printf '2025-09-24T10:20:0%d+00:00 nas synoscgi_SYNO.API.Auth_7_login[22%d]: pam_unix(webui:auth): authentication failure; logname= uid=0 euid=0 tty= ruser= rhost=198.51.100.50\n' "$i" "$i"
done > "$tmp/logs/dsm.log"

# pfSense's web GUI (five failures) and a MikroTik router (four: under the threshold).
{
  for i in 1 2 3 4 5; do printf 'Oct 26 14:50:2%d pfSense php-fpm[374]: /index.php: webConfigurator authentication error for user '"'"'admin'"'"' from: 198.51.100.60\n' "$i"; done
  for i in 1 2 3 4; do printf 'Oct 26 14:51:2%d 10.0.0.1 system,error,critical login failure for user admin from 198.51.100.61 via winbox\n' "$i"; done
} > "$tmp/logs/edge.log"

# IIS (W3C, default fields): SQL injection from one address, an ordinary page from another.
{
  echo '#Software: Microsoft Internet Information Services 10.0'
  echo '#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken'
  echo '2025-09-24 10:30:01 10.0.0.5 GET /products.aspx id=1%20union%20select%20password%20from%20users 443 - 198.51.100.70 Mozilla/5.0 - 500 0 0 12'
  echo '2025-09-24 10:30:02 10.0.0.5 GET /products.aspx id=17 443 - 198.51.100.71 Mozilla/5.0+(Windows+NT+10.0) - 200 0 0 9'
} > "$tmp/logs/u_ex250924.log"

"$bin" scan "$tmp/logs" --json -q > "$tmp/out.ndjson" 2> "$tmp/err.txt" || fail "scan exited $?: $(cat "$tmp/err.txt")"
python3 - "$tmp/out.ndjson" <<'PY' || fail "alerts differ from what the rules promise"
import json, sys
fired = {}
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r.get("type") != "alert":
        continue
    ip = r.get("entities", {}).get("source.ip")
    fired.setdefault(ip, set()).add(r["rule"]["title"])
want = {
    "203.0.113.10": "WordPress logon brute force",
    "203.0.113.13": "WordPress user enumeration",
    "203.0.113.15": "WordPress vulnerability scan",
    "203.0.113.17": "Web cross-site scripting (XSS) attempt",
    "198.51.100.21": "FTP brute force",
    "198.51.100.30": "SMB / Windows network logon brute force",
    "198.51.100.40": "VPN brute force",
    "198.51.100.50": "NAS administration brute force",
    "198.51.100.60": "Router or firewall administration brute force",
    "198.51.100.70": "Web SQL injection attempt",
}
quiet = ["203.0.113.11", "203.0.113.12", "203.0.113.14", "203.0.113.16", "198.51.100.20", "10.0.0.77", "198.51.100.61", "198.51.100.71"]
bad = []
for ip, title in want.items():
    if title not in fired.get(ip, set()):
        bad.append(f"{ip}: no '{title}' (got {sorted(fired.get(ip, set()))})")
for ip in quiet:
    if fired.get(ip):
        bad.append(f"{ip}: should be quiet, got {sorted(fired[ip])}")
if bad:
    print("\n".join(bad))
    sys.exit(1)
print(f"service rules: {len(want)} attacks found, {len(quiet)} look-alikes quiet")
PY
