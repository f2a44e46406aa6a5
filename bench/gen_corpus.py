#!/usr/bin/env python3
"""Deterministic generator of a mixed log corpus for the parser benchmark.

Writes one file per format into OUTDIR (sshd.log, web.log, netfilter.log, fortigate.log,
cef.log, ndjson.log), together about --megabytes MB, and OUTDIR/manifest.tsv with the line
count of each file so the benchmark can verify its output before timing.
"""
import argparse, json, os, random

def ip(r):
    return f"{r.choice([45, 61, 103, 185, 203, 198])}.{r.randrange(256)}.{r.randrange(256)}.{r.randrange(1, 255)}"

USERS = ["root", "admin", "tanaka", "suzuki", "oracle", "test", "ubuntu", "git", "postgres", "sato"]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

def ts3164(r):
    return f"{r.choice(MONTHS)} {r.randrange(1, 29):2d} {r.randrange(24):02d}:{r.randrange(60):02d}:{r.randrange(60):02d}"

def sshd(r):
    u, a, p, pid = r.choice(USERS), ip(r), r.randrange(1024, 65535), r.randrange(1000, 99999)
    msg = r.choice([
        f"Failed password for {u} from {a} port {p} ssh2",
        f"Failed password for invalid user {u} from {a} port {p} ssh2",
        f"Invalid user {u} from {a} port {p}",
        f"Accepted publickey for {u} from {a} port {p} ssh2: RSA SHA256:abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
        f"Connection closed by authenticating user {u} {a} port {p} [preauth]",
        f"Disconnected from invalid user {u} {a} port {p} [preauth]",
        f"pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost={a}  user={u}",
        f"Received disconnect from {a} port {p}:11: Bye Bye [preauth]",
    ])
    return f"{ts3164(r)} web01 sshd[{pid}]: {msg}"

def web(r):
    path = r.choice(["/", "/index.html", "/wp-login.php", "/api/v1/items?id=42", "/static/app.js", "/.env", "/admin/login"])
    ua = r.choice(["Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
                   "curl/7.88.1", "sqlmap/1.7", "Mozilla/5.0 (compatible; Googlebot/2.1)"])
    return (f'{ip(r)} - - [{r.randrange(1, 29):02d}/{r.choice(MONTHS)}/2024:{r.randrange(24):02d}:{r.randrange(60):02d}:{r.randrange(60):02d} +0900] '
            f'"{r.choice(["GET", "POST", "HEAD"])} {path} HTTP/1.1" {r.choice([200, 200, 304, 404, 403, 500])} {r.randrange(0, 50000)} '
            f'"-" "{ua}"')

def netfilter(r):
    proto = r.choice(["TCP", "UDP"])
    extra = " WINDOW=1024 RES=0x00 SYN URGP=0" if proto == "TCP" else f" LEN={r.randrange(8, 500)}"
    return (f"{ts3164(r)} fw01 kernel: [{r.randrange(100000)}.{r.randrange(1000000):06d}] [UFW BLOCK] IN=eth0 OUT= "
            f"MAC=52:54:00:12:34:56:52:54:00:65:43:21:08:00 SRC={ip(r)} DST=192.0.2.10 LEN=44 TOS=0x00 PREC=0x00 "
            f"TTL={r.randrange(30, 250)} ID={r.randrange(65536)} PROTO={proto} SPT={r.randrange(1024, 65535)} DPT={r.choice([22, 23, 80, 443, 445, 3389, 8080])}{extra}")

def fortigate(r):
    return (f'date=2024-03-{r.randrange(1, 29):02d} time={r.randrange(24):02d}:{r.randrange(60):02d}:{r.randrange(60):02d} '
            f'devname="FGT60F" devid="FGT60FTK1234567" logid="0000000013" type="traffic" subtype="forward" level="notice" vd="root" '
            f'eventtime={1709251200000000000 + r.randrange(10**15)} srcip={ip(r)} srcport={r.randrange(1024, 65535)} srcintf="wan1" '
            f'dstip=192.0.2.{r.randrange(1, 255)} dstport={r.choice([443, 80, 25, 3389])} dstintf="internal" proto=6 '
            f'action="{r.choice(["deny", "accept", "close"])}" policyid={r.randrange(1, 20)} service="HTTPS" sentbyte={r.randrange(100000)} rcvdbyte={r.randrange(100000)}')

def cef(r):
    return (f"CEF:0|Security|threatmanager|1.0|{r.randrange(100, 999)}|worm successfully stopped|{r.randrange(1, 10)}|"
            f"src={ip(r)} dst=192.0.2.{r.randrange(1, 255)} spt={r.randrange(1024, 65535)} dpt={r.choice([80, 443])} "
            f"suser={r.choice(USERS)} act=blocked msg=Detected a threat. No action needed rt={1709251200000 + r.randrange(10**9)}")

def ndjson(r):
    if r.random() < 0.5:
        o = {"eventVersion": "1.08", "userIdentity": {"type": "IAMUser", "userName": r.choice(USERS),
             "arn": "arn:aws:iam::123456789012:user/x"}, "eventTime": "2024-03-01T12:00:05Z",
             "eventSource": "iam.amazonaws.com", "eventName": r.choice(["CreateUser", "ListBuckets", "ConsoleLogin"]),
             "awsRegion": "ap-northeast-1", "sourceIPAddress": ip(r), "userAgent": "aws-cli/2.15.0",
             "requestParameters": {"userName": "backdoor"}, "responseElements": None, "eventID": "%032x" % r.getrandbits(128)}
    else:
        o = {"timestamp": "2024-03-01T12:00:05.123456+0900", "flow_id": r.getrandbits(50), "event_type": "alert",
             "src_ip": ip(r), "src_port": r.randrange(1024, 65535), "dest_ip": "192.0.2.10", "dest_port": 443, "proto": "TCP",
             "alert": {"action": "allowed", "signature_id": r.randrange(2000000, 2100000),
                       "signature": "ET SCAN Suspicious inbound to mySQL port 3306", "category": "Potentially Bad Traffic", "severity": 2}}
    return json.dumps(o, separators=(",", ":"))

FORMATS = {"sshd": sshd, "web": web, "netfilter": netfilter, "fortigate": fortigate, "cef": cef, "ndjson": ndjson}

def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("outdir")
    ap.add_argument("--megabytes", type=int, default=1024, help="total size (default 1024)")
    ap.add_argument("--seed", type=int, default=42)
    a = ap.parse_args()
    os.makedirs(a.outdir, exist_ok=True)
    per = a.megabytes * 1024 * 1024 // len(FORMATS)
    with open(os.path.join(a.outdir, "manifest.tsv"), "w") as man:
        for name, fn in FORMATS.items():
            r = random.Random(f"{a.seed}-{name}")
            # Write a block of distinct lines and repeat it: generation stays fast at 1 GB.
            block = [fn(r) for _ in range(20000)]
            data = "\n".join(block) + "\n"
            reps = max(1, per // len(data))
            with open(os.path.join(a.outdir, name + ".log"), "w") as out:
                for _ in range(reps):
                    out.write(data)
            man.write(f"{name}\t{name}.log\t{reps * len(block)}\n")

if __name__ == "__main__":
    main()
