// Logons to the web administration of the open-source firewalls small companies put at their
// Internet edge, as they send them through syslog:
//
//   pfSense (tag php-fpm or php):
//     /index.php: webConfigurator authentication error for user 'toto' from: 10.0.0.1
//     /index.php: Successful login for user 'admin' from: 10.0.0.1 (Local Database)
//   OPNsense (tag audit):
//     /index.php: Web GUI authentication error for 'toto' from 1.2.3.4
//     /index.php: Successful login for user 'root' from: 1.2.3.4
//
// Both become `admin_gui_login` (authentication, success / failure) with user.name and
// source.ip, event.dataset pfsense.gui / opnsense.gui. The logons to Proxmox VE's web interface
// (tags pvedaemon, pveproxy) are `proxmox_login`, event.dataset proxmox, below. (MikroTik RouterOS logons
// are read by the mikrotik parser.) A message of these tags that is not a logon is left to the
// others.
#include <string_view>

#include "parse/message.hpp"
#include "parse/syslog.hpp"
#include "parse/text_scan.hpp"

namespace mimamori::parse {
namespace {

using txt::sv;

// The quoted name after `key` ("for user 'toto'") and the address after `from` ("from: 1.2.3.4",
// "from 1.2.3.4"); empty when absent or not an address.
sv quoted_after(sv m, sv key) {
    std::size_t k = m.find(key);
    if (k == sv::npos) return {};
    sv rest = m.substr(k + key.size());
    if (rest.empty() || rest.front() != '\'') return {};
    rest.remove_prefix(1);
    std::size_t q = rest.find('\'');
    return q == sv::npos ? sv{} : rest.substr(0, q);
}

sv address_after_from(sv m) {
    std::size_t k = m.rfind(" from");
    if (k == sv::npos) return {};
    sv rest = m.substr(k + 5);
    txt::consume(rest, ":");
    rest = trim(rest);
    sv ip = rest.substr(0, rest.find(' '));
    return is_ip(ip) ? ip : sv{};
}

parse_status gui_logon(sv msg, const context& ctx, event_batch& b, event& e, sv dataset) {
    sv m = trim(msg);
    // "/index.php: …" (the page that logged it), then the text.
    std::size_t colon = m.find(": ");
    if (colon != sv::npos && colon < 64 && !m.empty() && m.front() == '/') m.remove_prefix(colon + 2);
    bool ok;
    sv user;
    if (txt::starts_with(m, "webConfigurator authentication error for user ")) {
        ok = false;
        user = quoted_after(m, "for user ");
    } else if (txt::starts_with(m, "Web GUI authentication error for ")) {
        ok = false;
        user = quoted_after(m, "error for ");
    } else if (txt::starts_with(m, "Successful login for user ")) {
        ok = true;
        user = quoted_after(m, "for user ");
    } else {
        return parse_status::not_mine;
    }
    sv ip = address_after_from(m);
    if (e.ts == k_no_time) e.ts = ctx.reference_time;  // an envelope without a time
    e.source_type = dataset;
    b.add(f::event_category, "authentication");
    b.add(f::event_action, "admin_gui_login");
    b.add(f::event_outcome, ok ? "success" : "failure");
    if (!user.empty()) b.add(f::user_name, user);
    if (!ip.empty()) b.add(f::source_ip, unmap_ipv4(ip));
    return parse_status::ok;
}

// Proxmox VE's API daemons (the web interface's logons):
//   pvedaemon[3483744]: authentication failure; rhost=::ffff:172.21.10.2 user=root@pam msg=Authentication failure
//   pvedaemon[2891825]: <root@pam> successful auth for user 'root@pam'
parse_status parse_proxmox(const syslog_envelope&, sv msg, const context& ctx, event_batch& b, event& e, sv&) {
    sv m = trim(msg);
    bool ok;
    sv user, ip, reason;
    if (txt::starts_with(m, "authentication failure; ")) {
        ok = false;
        sv kv = m.substr(24);
        ip = txt::kv_space(kv, "rhost=");
        user = txt::kv_space(kv, "user=");
        if (std::size_t k = kv.find("msg="); k != sv::npos) reason = trim(kv.substr(k + 4));
    } else if (std::size_t k = m.find("successful auth for user '"); k != sv::npos) {
        ok = true;
        sv rest = m.substr(k + 26);
        user = rest.substr(0, rest.find('\''));
    } else {
        return parse_status::not_mine;
    }
    if (e.ts == k_no_time) e.ts = ctx.reference_time;  // an envelope without a time
    e.source_type = "proxmox";
    b.add(f::event_category, "authentication");
    b.add(f::event_action, "proxmox_login");
    b.add(f::event_outcome, ok ? "success" : "failure");
    // "root@pam": the user and the realm it logs on through (pam, pve, an LDAP or AD realm).
    sv realm;
    if (std::size_t at = user.rfind('@'); at != sv::npos && at > 0) {
        realm = user.substr(at + 1);
        user = user.substr(0, at);
    }
    if (!user.empty()) b.add(f::user_name, user);
    if (!realm.empty()) b.add(f::user_domain, realm);
    if (is_ip(ip)) b.add(f::source_ip, unmap_ipv4(ip));
    if (!reason.empty()) b.add(f::event_reason, reason);
    return parse_status::ok;
}

parse_status parse_pfsense(const syslog_envelope&, sv msg, const context& ctx, event_batch& b, event& e, sv&) {
    return gui_logon(msg, ctx, b, e, "pfsense.gui");
}
parse_status parse_opnsense(const syslog_envelope&, sv msg, const context& ctx, event_batch& b, event& e, sv&) {
    return gui_logon(msg, ctx, b, e, "opnsense.gui");
}

}  // namespace

MIMAMORI_REGISTER_MESSAGE_PARSER(pfsense_php_fpm, "php-fpm", 50, parse_pfsense)
MIMAMORI_REGISTER_MESSAGE_PARSER(pfsense_php, "php", 50, parse_pfsense)
MIMAMORI_REGISTER_MESSAGE_PARSER(opnsense_audit, "audit", 50, parse_opnsense)
MIMAMORI_REGISTER_MESSAGE_PARSER(proxmox_pvedaemon, "pvedaemon", 50, parse_proxmox)
MIMAMORI_REGISTER_MESSAGE_PARSER(proxmox_pveproxy, "pveproxy", 50, parse_proxmox)

}  // namespace mimamori::parse
