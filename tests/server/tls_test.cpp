// Syslog over TLS (RFC 5425) into the real daemon: server certificate, optional client
// certificates, and what a failed handshake looks like in the metrics.
#include <gtest/gtest.h>

#include "harness.hpp"

using namespace harness;

namespace {
std::string octet(const std::string& m) { return std::to_string(m.size()) + " " + m; }
}  // namespace

TEST(tls, syslog_over_tls_is_stored) {
    temp_dir d;
    ASSERT_TRUE(make_cert(d, "localhost"));
    daemon_process p(d, "store: {path: " + (d / "m.db") + ", batch: {max_delay_ms: 50}}\n"
                        "http: {listen: 127.0.0.1:0, token: " + k_token + "}\n"
                        "syslog:\n  - protocol: tls\n    listen: 127.0.0.1:0\n"
                        "    tls: {cert: " + (d / "localhost.crt") + ", key: " + (d / "localhost.key") + "}\n");
    {
        tls_client c(p.port("tls"), d / "localhost.crt");
        ASSERT_TRUE(c.ok());
        std::string data;
        for (int i = 0; i < 500; ++i) data += octet(syslog_line("tlstag", i));  // RFC 5425 framing
        ASSERT_TRUE(c.write(data));
    }
    {
        tls_client c(p.port("tls"), d / "localhost.crt");
        ASSERT_TRUE(c.ok());
        ASSERT_TRUE(c.write(syslog_line("tlsnl", 1) + "\n"));  // newline framing on the same port
    }
    ASSERT_TRUE(wait_until([&] { return p.count("tlstag") == 500 && p.count("tlsnl") == 1; })) << p.log();
    EXPECT_EQ(p.metric("mimamori_connections_total", "kind=\"tls\""), 2);
    // A plain-text client on the TLS port is refused, and counted.
    ASSERT_TRUE(send_tcp(p.port("tls"), syslog_line("plaintext", 1) + "\n"));
    EXPECT_TRUE(wait_until([&] { return p.metric("mimamori_tls_handshake_errors_total") == 1; }));
    EXPECT_EQ(p.count("plaintext"), 0);
    EXPECT_EQ(p.terminate(), 0);
}

TEST(tls, client_certificates_can_be_required) {
    temp_dir d;
    ASSERT_TRUE(make_cert(d, "localhost"));
    ASSERT_TRUE(make_cert(d, "client"));   // self-signed: it is its own CA
    ASSERT_TRUE(make_cert(d, "stranger"));
    daemon_process p(d, "store: {path: " + (d / "m.db") + ", batch: {max_delay_ms: 50}}\n"
                        "http: {listen: 127.0.0.1:0, token: " + k_token + "}\n"
                        "syslog:\n  - protocol: tls\n    listen: 127.0.0.1:0\n"
                        "    tls: {cert: " + (d / "localhost.crt") + ", key: " + (d / "localhost.key") +
                        ", ca: " + (d / "client.crt") + "}\n");
    {
        tls_client c(p.port("tls"), d / "localhost.crt", d / "client.crt", d / "client.key");
        ASSERT_TRUE(c.ok());
        ASSERT_TRUE(c.write(octet(syslog_line("mtls", 1))));
    }
    ASSERT_TRUE(wait_until([&] { return p.count("mtls") == 1; })) << p.log();
    for (const char* who : {"", "stranger"}) {
        std::string cert = *who ? d / (std::string(who) + ".crt") : std::string();
        std::string key = *who ? d / (std::string(who) + ".key") : std::string();
        tls_client c(p.port("tls"), d / "localhost.crt", cert, key);
        // With TLS 1.3 the client may finish its handshake before the server rejects it.
        if (c.ok()) {
            c.write(octet(syslog_line("refused", 1)));
            EXPECT_FALSE(c.still_open());
        }
    }
    EXPECT_TRUE(wait_until([&] { return p.metric("mimamori_tls_handshake_errors_total") == 2; }));
    EXPECT_EQ(p.count("refused"), 0);
    EXPECT_EQ(p.terminate(), 0);
}
