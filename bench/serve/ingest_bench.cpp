// Sustained TCP syslog ingest into the store, end to end: the real `mimamori serve` on
// loopback, K sender connections writing N pre-built messages as fast as the daemon takes
// them (backpressure), timed from the first byte to the commit of the last event. Before a
// timing counts, the store must hold exactly N events (checked). Prints each round and the
// median events/s and MB/s.
//
// Detection is on (the built-in Sigma pack, as `mimamori serve` runs by default) unless
// --no-detect.
//
// The lines' clock advances as a live stream's does: 1,000 lines per second of log time, from
// 1 March 10:00:00. `--wrapping-clock` gives the generator of sessions 1-5 instead, whose clock
// went back to 10:00:00 every 3,600 lines (every 60 for the RFC 5424 line): a pattern no live
// sender has, which puts each insert into the time index at a random place in it
// (bench/serve/README.md, session 6).
// usage: ingest_bench [--events N] [--connections K] [--rounds R] [--no-detect] [--keep FILE]
//                     [--wrapping-clock]
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <unistd.h>
#include <sstream>
#include <filesystem>
#include <fstream>
#include <map>

#include "../../tests/server/harness.hpp"
#include "store/store.hpp"

using namespace harness;

namespace {

// A mix of what a small company's syslog carries: sshd failures and successes, sudo, a
// firewall, a web server through syslog. Every line is distinct (sequence, varying fields).
// The time of line i: day of March, hour, minute, second, microsecond.
struct clock_of {
    int day, h, m, s;
    long long us;
};
clock_of line_time(long long i, bool wrapping) {
    if (wrapping) return {1, 10, static_cast<int>((i / 60) % 60), static_cast<int>(i % 60), i % 1000000};
    long long t = 10 * 3600 + i / 1000;  // seconds since 1 March 00:00
    return {static_cast<int>(1 + t / 86400), static_cast<int>(t / 3600 % 24), static_cast<int>(t / 60 % 60),
            static_cast<int>(t % 60), (i % 1000) * 1000};
}

std::string make_line(long long i, std::mt19937& rng, bool wrapping) {
    char buf[512];
    unsigned a = rng() % 256, b = rng() % 256;
    const clock_of c = line_time(i, wrapping);
    // RFC 5424 line: the old generator's clock stayed in 10:00 and wrapped every 60 lines.
    const clock_of c5 = wrapping ? clock_of{1, 10, 0, static_cast<int>(i % 60), i % 1000000} : c;
    static const char* users[] = {"root", "admin", "alice", "bob", "oracle", "test", "ubuntu", "deploy"};
    const char* u = users[rng() % 8];
    switch (i % 5) {
        case 0:
            std::snprintf(buf, sizeof buf,
                          "<38>Mar %2d %02d:%02d:%02d web01 sshd[%lld]: Failed password for %s from 203.0.%u.%u port %u ssh2",
                          c.day, c.h, c.m, c.s, 1000 + i % 30000, u, a, b, 1024 + static_cast<unsigned>(rng() % 60000));
            break;
        case 1:
            std::snprintf(buf, sizeof buf,
                          "<38>Mar %2d %02d:%02d:%02d web01 sshd[%lld]: Accepted publickey for %s from 192.0.2.%u port %u ssh2: ED25519 SHA256:abc%lld",
                          c.day, c.h, c.m, c.s, 1000 + i % 30000, u, a, 1024 + static_cast<unsigned>(rng() % 60000), i);
            break;
        case 2:
            std::snprintf(buf, sizeof buf,
                          "<4>Mar %2d %02d:%02d:%02d fw1 kernel: [UFW BLOCK] IN=eth0 OUT= MAC=00:11:22:33:44:55 SRC=198.51.100.%u DST=192.0.2.10 LEN=60 TOS=0x00 PREC=0x00 TTL=52 ID=%lld DF PROTO=TCP SPT=%u DPT=%u WINDOW=64240 RES=0x00 SYN URGP=0",
                          c.day, c.h, c.m, c.s, a, i % 65536, 1024 + static_cast<unsigned>(rng() % 60000), b % 2 ? 22u : 3389u);
            break;
        case 3:
            std::snprintf(buf, sizeof buf,
                          "<85>Mar %2d %02d:%02d:%02d web01 sudo: %s : TTY=pts/%u ; PWD=/home/%s ; USER=root ; COMMAND=/usr/bin/systemctl restart app%lld",
                          c.day, c.h, c.m, c.s, u, a % 8, u, i % 100);
            break;
        default:
            std::snprintf(buf, sizeof buf,
                          "<13>1 2024-03-%02dT%02d:%02d:%02d.%06lldZ app01 myapp %lld - - request id=%lld user=%s status=%u path=/api/v1/items/%u",
                          c5.day, c5.h, c5.m, c5.s, c5.us, 2000 + i % 1000, i, u, b % 2 ? 200u : 404u, a);
    }
    return buf;
}

struct args {
    long long events = 2'000'000;
    int connections = 4;
    int rounds = 3;
    bool detect = true;
    std::string keep;
    bool wrapping_clock = false;
};

// CPU seconds (user + system) a process or thread (its /proc stat file) has used so far: the box
// is shared, so events per CPU-second says more than wall-clock rates when others are busy.
double cpu_seconds_of(const std::string& stat_path) {
    std::ifstream in(stat_path);
    std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto close = s.rfind(')');
    if (close == std::string::npos) return 0;
    std::istringstream rest(s.substr(close + 2));
    std::string f;
    unsigned long long ut = 0, st = 0;
    for (int i = 3; i <= 15 && rest >> f; ++i) {
        if (i == 14) ut = std::stoull(f);
        if (i == 15) st = std::stoull(f);
    }
    return static_cast<double>(ut + st) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

double cpu_seconds(pid_t pid) { return cpu_seconds_of("/proc/" + std::to_string(pid) + "/stat"); }

// CPU seconds per thread name (the daemon names its threads: mm-store, mm-fts-index, mm-parse,
// mm-wal-ckpt, …), summed over threads of the same name: which stage costs what per event.
std::map<std::string, double> thread_cpu_seconds(pid_t pid) {
    std::map<std::string, double> out;
    std::error_code ec;
    for (const auto& t : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
        std::ifstream c(t.path() / "comm");
        std::string name;
        std::getline(c, name);
        if (!name.empty()) out[name] += cpu_seconds_of((t.path() / "stat").string());
    }
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    args a;
    for (int i = 1; i < argc; ++i) {
        std::string k = argv[i];
        auto val = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
        if (k == "--events") a.events = std::stoll(val());
        else if (k == "--connections") a.connections = std::stoi(val());
        else if (k == "--rounds") a.rounds = std::stoi(val());
        else if (k == "--detect") a.detect = true;
        else if (k == "--no-detect") a.detect = false;
        else if (k == "--keep") a.keep = val();
        else if (k == "--wrapping-clock") a.wrapping_clock = true;
        else {
            std::fprintf(stderr, "usage: ingest_bench [--events N] [--connections K] [--rounds R] [--no-detect] [--keep FILE] "
                                 "[--wrapping-clock]\n");
            return 2;
        }
    }
    // Build the payload once: K connection buffers, newline framing.
    std::vector<std::string> payload(static_cast<std::size_t>(a.connections));
    std::mt19937 rng(7);
    std::size_t bytes = 0;
    for (long long i = 0; i < a.events; ++i) {
        auto& p = payload[static_cast<std::size_t>(i % a.connections)];
        p += make_line(i, rng, a.wrapping_clock);
        p += '\n';
    }
    for (const auto& p : payload) bytes += p.size();
    std::printf("ingest_bench: %lld events (%.1f MB) over %d TCP connection(s), detection %s, %s clock\n", a.events,
                bytes / 1e6, a.connections, a.detect ? "on (built-in rules)" : "off",
                a.wrapping_clock ? "wrapping (sessions 1-5)" : "advancing");

    std::vector<double> rates, cpu_rates;
    for (int r = 0; r < a.rounds; ++r) {
        temp_dir d;
        std::string cfg = "store: {path: " + (d / "m.db") + ", batch: {max_events: 8192, max_delay_ms: 200}}\n"
                          "http: {listen: 127.0.0.1:0, token: " + k_token + "}\n"
                          "syslog:\n  - {protocol: tcp, listen: 127.0.0.1:0}\n";
        if (!a.detect) cfg += "detect: {enabled: false}\n";
        daemon_process p(d, cfg);
        int port = p.port("tcp");
        auto t0 = std::chrono::steady_clock::now();
        std::vector<std::thread> ts;
        for (const auto& data : payload)
            ts.emplace_back([&, port] {
                if (!send_tcp(port, data)) std::fprintf(stderr, "send failed\n");
            });
        for (auto& t : ts) t.join();
        bool done = wait_until([&] { return p.metric("mimamori_events_stored_total") >= static_cast<double>(a.events); },
                               std::chrono::seconds(300), std::chrono::milliseconds(50));
        double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        double alerts = p.metric("mimamori_alerts_total");
        double cpu = cpu_seconds(p.pid());
        auto per_thread = thread_cpu_seconds(p.pid());
        if (p.terminate() != 0 || !done) {
            std::fprintf(stderr, "round %d: daemon did not store everything in time\n%s", r, p.log().c_str());
            return 1;
        }
        // Verify before the number counts: exactly N events stored.
        auto s = mimamori::store::open_sqlite({.path = d / "m.db", .read_only = true});
        auto st = s.value()->stats();
        if (!st || st.value().events != static_cast<std::uint64_t>(a.events)) {
            std::fprintf(stderr, "round %d: store holds %llu events, expected %lld\n", r,
                         st ? static_cast<unsigned long long>(st.value().events) : 0ULL, a.events);
            return 1;
        }
        double rate = static_cast<double>(a.events) / secs;
        rates.push_back(rate);
        cpu_rates.push_back(cpu > 0 ? static_cast<double>(a.events) / cpu : 0);
        std::printf("  round %d: %.2f s, %.0f events/s, %.1f MB/s, %.0f alerts; daemon CPU %.1f s (%.0f events per CPU-second)\n",
                    r + 1, secs, rate, bytes / 1e6 / secs, alerts, cpu, cpu_rates.back());
        std::printf("    CPU µs per event by thread:");
        for (const auto& [name, sec] : per_thread)
            if (double us = sec * 1e6 / static_cast<double>(a.events); us >= 0.05) std::printf("  %s %.2f", name.c_str(), us);
        std::printf("\n");
        if (!a.keep.empty() && r == a.rounds - 1) std::filesystem::copy_file(d / "m.db", a.keep);
    }
    std::sort(rates.begin(), rates.end());
    std::sort(cpu_rates.begin(), cpu_rates.end());
    double med = rates[rates.size() / 2];
    std::printf("ingest_bench: median %.0f events per daemon CPU-second (load %s)\n", cpu_rates[cpu_rates.size() / 2],
                [] {
                    std::ifstream l("/proc/loadavg");
                    std::string a1;
                    l >> a1;
                    return a1;
                }().c_str());
    std::printf("ingest_bench: median %.0f events/s (%.1f MB/s) over %d round(s)\n", med,
                med * static_cast<double>(bytes) / static_cast<double>(a.events) / 1e6, a.rounds);
    return 0;
}
