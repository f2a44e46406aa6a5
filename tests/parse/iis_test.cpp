// IIS's W3C extended log with IIS's default field sets (15 fields since IIS 8.5, 14 before).
#include <gtest/gtest.h>

#include "line_fixture.hpp"

namespace mimamori {
namespace {

using testing::one_line;

TEST(Iis, DefaultFieldsSinceIis85) {
    one_line l("2025-04-14 04:05:25 10.0.0.5 GET /owa/auth/logon.aspx replaceCurrent=1 443 - 203.0.113.9 "
               "Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64) https://mail.example.jp/owa/ 200 0 0 31");
    EXPECT_EQ(l.format, "iis");
    EXPECT_EQ(l.e().source_type, "web.access");
    EXPECT_EQ(format_rfc3339(l.e().ts), "2025-04-14T04:05:25Z");  // W3C times are UTC
    EXPECT_EQ(l.get("source.ip"), "203.0.113.9");
    EXPECT_EQ(l.get("destination.ip"), "10.0.0.5");
    EXPECT_EQ(l.get("destination.port"), "443");
    EXPECT_EQ(l.get("http.request.method"), "GET");
    EXPECT_EQ(l.get("url.original"), "/owa/auth/logon.aspx?replaceCurrent=1");
    EXPECT_EQ(l.get("url.path"), "/owa/auth/logon.aspx");
    EXPECT_EQ(l.get("url.query"), "replaceCurrent=1");
    EXPECT_EQ(l.get("http.response.status_code"), "200");
    EXPECT_EQ(l.get("event.outcome"), "success");
    EXPECT_EQ(l.get("user_agent.original"), "Mozilla/5.0 (Windows NT 10.0; Win64; x64)");
    EXPECT_EQ(l.get("http.request.referrer"), "https://mail.example.jp/owa/");
    EXPECT_EQ(l.get("iis.time_taken_ms"), "31");
    EXPECT_FALSE(l.has("user.name"));
}

TEST(Iis, Iis7FieldsWithUserAndNoQuery) {
    one_line l("2012-03-01 23:59:58 192.168.0.10 POST /intranet/upload.aspx - 80 OFFICE\\sato 192.168.0.77 "
               "Mozilla/4.0+(compatible;+MSIE+8.0) 401 2 5 15");
    EXPECT_EQ(l.format, "iis");
    EXPECT_EQ(l.get("url.original"), "/intranet/upload.aspx");
    EXPECT_FALSE(l.has("url.query"));
    EXPECT_EQ(l.get("user.name"), "OFFICE\\sato");
    EXPECT_EQ(l.get("http.response.status_code"), "401");
    EXPECT_EQ(l.get("event.outcome"), "failure");
    EXPECT_EQ(l.get("iis.substatus"), "2");
    EXPECT_EQ(l.get("iis.win32_status"), "5");
    EXPECT_FALSE(l.has("http.request.referrer"));
}

TEST(Iis, HeaderLinesAreKeptAndOtherLayoutsSaySo) {
    one_line sw("#Software: Microsoft Internet Information Services 10.0");
    EXPECT_EQ(sw.format, "iis");
    EXPECT_EQ(sw.e().source_type, "iis");
    EXPECT_EQ(sw.get("iis.software"), "Microsoft Internet Information Services 10.0");
    one_line date("#Date: 2025-04-14 04:00:00");
    EXPECT_EQ(format_rfc3339(date.e().ts), "2025-04-14T04:00:00Z");
    one_line fields("#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) "
                    "cs(Referer) sc-status sc-substatus sc-win32-status time-taken");
    EXPECT_FALSE(fields.e().malformed());

    // A site logging other fields: the header says why its lines are not read.
    one_line custom("#Fields: date time c-ip cs-method cs-uri-stem sc-status sc-bytes");
    EXPECT_TRUE(custom.e().malformed());
    EXPECT_NE(custom.e().parse_error.find("default"), std::string_view::npos) << custom.e().parse_error;
    one_line line("2025-04-14 04:05:25 10.0.0.5 GET /a.aspx - 443 - 203.0.113.9 Mozilla/5.0 - 200 0 0 31 999 extra");
    EXPECT_TRUE(line.e().malformed());
    EXPECT_NE(line.e().parse_error.find("IIS"), std::string_view::npos) << line.e().parse_error;
}

TEST(Iis, OtherTimestampedLinesAreNotClaimed) {
    one_line app("2025-04-14 04:05:25 INFO worker 3 finished the nightly export of 42 files to the archive");
    EXPECT_NE(app.format, "iis");
    EXPECT_NE(app.e().source_type, "web.access");
}

}  // namespace
}  // namespace mimamori
