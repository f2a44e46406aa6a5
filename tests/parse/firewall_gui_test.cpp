// Logons to pfSense's and OPNsense's web administration, through syslog.
#include <gtest/gtest.h>

#include "syslog_fixture.hpp"

namespace mimamori {
namespace {

using testing::syslog_fixture;

TEST(FirewallGui, PfsenseFailureAndSuccess) {
    syslog_fixture fx;
    const auto& bad = fx.parse(
        "Oct 26 14:50:21 pfSense php-fpm[374]: /index.php: webConfigurator authentication error for user 'toto' from: 10.0.0.1");
    ASSERT_TRUE(fx.ok());
    EXPECT_EQ(bad.source_type, "pfsense.gui");
    EXPECT_EQ(fx.get(bad, "event.category"), "authentication");
    EXPECT_EQ(fx.get(bad, "event.action"), "admin_gui_login");
    EXPECT_EQ(fx.get(bad, "event.outcome"), "failure");
    EXPECT_EQ(fx.get(bad, "user.name"), "toto");
    EXPECT_EQ(fx.get(bad, "source.ip"), "10.0.0.1");
    const auto& good = fx.parse(
        "Oct 26 14:51:00 pfSense php-fpm[374]: /index.php: Successful login for user 'admin' from: 192.168.1.20 (Local Database)");
    EXPECT_EQ(fx.get(good, "event.outcome"), "success");
    EXPECT_EQ(fx.get(good, "user.name"), "admin");
    EXPECT_EQ(fx.get(good, "source.ip"), "192.168.1.20");
    // Other PHP messages stay plain syslog.
    const auto& other = fx.parse("Oct 26 14:52:00 pfSense php-fpm[374]: /rc.newwanip: rc.newwanip: Info: starting on igb0.");
    ASSERT_TRUE(fx.ok());
    EXPECT_EQ(other.source_type, "syslog");
    EXPECT_FALSE(fx.has(other, "event.outcome"));
}

TEST(FirewallGui, OpnsenseFailureAndSuccess) {
    syslog_fixture fx;
    const auto& bad = fx.parse(
        "<35>1 2022-01-19T15:14:32+00:00 OPNsense.localdomain audit 24409 - [meta sequenceId=\"4\"] /index.php: Web GUI "
        "authentication error for 'toto' from 1.2.3.4");
    ASSERT_TRUE(fx.ok());
    EXPECT_EQ(bad.source_type, "opnsense.gui");
    EXPECT_EQ(fx.get(bad, "event.outcome"), "failure");
    EXPECT_EQ(fx.get(bad, "user.name"), "toto");
    EXPECT_EQ(fx.get(bad, "source.ip"), "1.2.3.4");
    const auto& good = fx.parse(
        "<38>1 2022-01-19T15:20:00+00:00 OPNsense.localdomain audit 24410 - [meta sequenceId=\"9\"] /index.php: Successful login "
        "for user 'root' from: 2001:db8::20");
    EXPECT_EQ(fx.get(good, "event.outcome"), "success");
    EXPECT_EQ(fx.get(good, "source.ip"), "2001:db8::20");
    // A name that is not followed by an address keeps the logon without one.
    const auto& noaddr = fx.parse(
        "<35>1 2022-01-19T15:21:00+00:00 OPNsense.localdomain audit 24411 - - /api/core: Web GUI authentication error for 'bob' from unknown");
    EXPECT_EQ(fx.get(noaddr, "event.outcome"), "failure");
    EXPECT_FALSE(fx.has(noaddr, "source.ip"));
}

TEST(FirewallGui, ProxmoxLogons) {
    syslog_fixture fx;
    const auto& bad = fx.parse(
        "Jan  4 17:34:02 hypervisor pvedaemon[3483744]: authentication failure; rhost=::ffff:172.21.10.2 user=root@pam "
        "msg=Authentication failure");
    ASSERT_TRUE(fx.ok());
    EXPECT_EQ(bad.source_type, "proxmox");
    EXPECT_EQ(fx.get(bad, "event.action"), "proxmox_login");
    EXPECT_EQ(fx.get(bad, "event.outcome"), "failure");
    EXPECT_EQ(fx.get(bad, "user.name"), "root");
    EXPECT_EQ(fx.get(bad, "user.domain"), "pam");
    EXPECT_EQ(fx.get(bad, "source.ip"), "172.21.10.2");
    EXPECT_EQ(fx.get(bad, "event.reason"), "Authentication failure");
    const auto& v6 = fx.parse(
        "Jan 10 17:34:03 hypervisor pveproxy[1]: authentication failure; rhost=2001:abcd:1234:abcd::1 user=g@pve msg=no such user ('g@pve')");
    EXPECT_EQ(fx.get(v6, "source.ip"), "2001:abcd:1234:abcd::1");
    EXPECT_EQ(fx.get(v6, "user.domain"), "pve");
    const auto& good = fx.parse("Jan  4 17:34:03 hypervisor pvedaemon[2891825]: <root@pam> successful auth for user 'root@pam'");
    EXPECT_EQ(fx.get(good, "event.outcome"), "success");
    EXPECT_EQ(fx.get(good, "user.name"), "root");
    EXPECT_FALSE(fx.has(good, "source.ip"));
    const auto& other = fx.parse("Jan  4 17:35:00 hypervisor pvedaemon[1]: starting 3 worker(s)");
    ASSERT_TRUE(fx.ok());
    EXPECT_EQ(other.source_type, "syslog");
}

}  // namespace
}  // namespace mimamori
