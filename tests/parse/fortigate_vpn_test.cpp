// FortiGate SSL-VPN session records: "tunnel-up" is the successful VPN logon (FortiOS logs no
// other success record for SSL-VPN users), "tunnel-down" is the end of a session, not a logon.
#include <gtest/gtest.h>

#include "netfmt_fixture.hpp"

namespace mimamori {
namespace {

using testing::format_fixture;

TEST(FortiGateVpn, TunnelUpIsASuccessfulLogon) {
    format_fixture fx("kv");
    const auto& up = fx.parse(
        R"~(date=2025-05-03 time=01:29:58 devname="FGT60F" devid="FGT60FTK0000" eventtime=1746203398000000000 tz="+0900" logid="0101039424" type="event" subtype="vpn" level="information" vd="root" logdesc="SSL VPN tunnel up" action="tunnel-up" tunneltype="ssl-tunnel" tunnelid=1500123 remip=203.0.113.69 tunnelip=10.212.134.199 user="nishimura.k" group="VPN-Users" dst_host="N/A" reason="tunnel established" msg="SSL tunnel established")~");
    EXPECT_EQ(up.source_type, "fortigate");
    EXPECT_EQ(fx.get(up, "event.category"), "authentication");
    EXPECT_EQ(fx.get(up, "event.outcome"), "success");
    EXPECT_EQ(fx.get(up, "user.name"), "nishimura.k");
    EXPECT_EQ(fx.get(up, "source.ip"), "203.0.113.69");

    const auto& down = fx.parse(
        R"~(date=2025-05-03 time=03:42:10 devname="FGT60F" devid="FGT60FTK0000" eventtime=1746211330000000000 tz="+0900" logid="0101039425" type="event" subtype="vpn" level="information" vd="root" logdesc="SSL VPN tunnel down" action="tunnel-down" tunneltype="ssl-tunnel" tunnelid=1500123 remip=203.0.113.69 tunnelip=10.212.134.199 user="nishimura.k" group="VPN-Users" dst_host="N/A" duration=7932 sentbyte=41000000 rcvdbyte=430000000 reason="N/A" msg="SSL tunnel shutdown")~");
    EXPECT_NE(fx.get(down, "event.category"), "authentication");
    EXPECT_FALSE(fx.has(down, "event.outcome"));

    // A tunnel-up from another vendor's key=value log is not taken for a FortiGate logon.
    const auto& other = fx.parse(R"~(time=2025-05-03T01:29:58Z type=event subtype=vpn action=tunnel-up peer=198.51.100.7)~");
    EXPECT_NE(fx.get(other, "event.category"), "authentication");
}

}  // namespace
}  // namespace mimamori
