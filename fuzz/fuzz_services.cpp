// libFuzzer target: server software's own logs as line formats — Samba's authentication audit
// and log.smbd headers ("samba"), OpenVPN's log file ("openvpn"), vsftpd.log and ProFTPD's
// SystemLog ("vsftpd", "proftpd"), Exchange's protocol logs ("exchange"), Exim's main log
// ("exim"), MySQL / MariaDB and PostgreSQL logs ("mysql", "postgresql") — and the message
// parsers behind their syslog tags (Pure-FTPd and the pfSense / OPNsense web GUIs have only
// those). Seeds: fuzz/corpus/services. Invariants: see netfmt_harness.hpp.
#include "netfmt_harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static mimamori::fuzzing::netfmt_harness h(
        {"samba", "openvpn", "vsftpd", "proftpd", "exchange", "exim", "mysql", "postgresql"},
        {"smbd", "openvpn", "vsftpd", "proftpd", "pure-ftpd", "php-fpm", "audit", "mysqld", "exim",
         "pvedaemon"});
    h.run(data, size);
    return 0;
}
