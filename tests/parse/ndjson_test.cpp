// The "ndjson" line format and the JSON mapping engine (parse/json_map.hpp).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "core/event.hpp"
#include "parse/json_map.hpp"
#include "parse/parser.hpp"
#include "schema.hpp"

using namespace mimamori;
using namespace mimamori::parse;

namespace {

std::unique_ptr<line_parser> make_ndjson(const options& o, std::string* err = nullptr) {
    for (const auto& f : formats()) {
        if (f.name != "ndjson") continue;
        auto p = f.make();
        auto st = p->configure(o);
        if (!st) {
            if (err) *err = st.err().message;
            return nullptr;
        }
        return p;
    }
    return nullptr;
}

// Parses lines as parser_set would (a malformed line is kept with its reason) and checks the
// schema of every event.
struct harness {
    options opts;
    std::unique_ptr<line_parser> p;
    event_batch b;

    harness() {
        std::string err;
        p = make_ndjson(opts, &err);
        EXPECT_TRUE(p) << err;
    }
    explicit harness(const options& o) : opts(o) {
        std::string err;
        p = make_ndjson(opts, &err);
        EXPECT_TRUE(p) << err;
    }

    parse_status run(std::string_view line, std::string_view* why_out = nullptr) {
        auto& e = b.begin();
        e.raw = b.copy(line);
        e.line = b.size();
        context ctx{&opts, 0};
        std::string_view why;
        auto st = p->parse(e.raw, ctx, b, e, why);
        if (st != parse_status::ok) {
            b.reset_fields();
            e.ts = k_no_time;
            e.source_type = "ndjson";
            e.parse_error = why.empty() ? "not mine" : why;
        }
        b.commit();
        EXPECT_SCHEMA(b, b.events().back());
        if (why_out) *why_out = why;
        return st;
    }
    const event& last() const { return b.events().back(); }
    std::vector<std::string> all(std::string_view name) const {
        std::vector<std::string> out;
        field_id id = find_field(name);
        for (const auto& fl : b.fields(last()))
            if (fl.id == id) out.emplace_back(fl.value);
        return out;
    }
    std::string get(std::string_view name) const {
        auto v = all(name);
        return v.empty() ? std::string("<absent>") : v[0];
    }
    value_kind kind(std::string_view name) const {
        field_id id = find_field(name);
        for (const auto& fl : b.fields(last()))
            if (fl.id == id) return fl.kind;
        return value_kind::string;
    }
    std::string json() const {
        std::string s;
        write_event_json(b, last(), s);
        return s;
    }
};

// Removed at exit.
struct temp_root {
    std::filesystem::path dir = std::filesystem::temp_directory_path() / ("mimamori-ndjson-" + std::to_string(::getpid()));
    ~temp_root() {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
};

std::string temp_file(const std::string& name, const std::string& text) {
    static temp_root root;
    const auto& dir = root.dir;
    std::filesystem::create_directories(dir);
    auto p = dir / name;
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
}

}  // namespace

TEST(ndjson, registered) {
    bool found = false;
    for (const auto& f : formats())
        if (f.name == "ndjson") {
            found = true;
            EXPECT_EQ(f.priority, 5);
        }
    EXPECT_TRUE(found);
}

TEST(ndjson, flattens_nested_arrays_escapes_and_kinds) {
    harness h;
    ASSERT_EQ(h.run(R"({"timestamp":"2024-01-02T03:04:05Z","a":{"b":{"c":"x"}},"n":5,"neg":-7,"f":1.5,)"
                    R"("small":0.000002701,"big":1e300,"t":true,"no":false,"nul":null,"arr":[1,2,3],)"
                    R"("objs":[{"k":"v1"},{"k":"v2","z":[true]}],"esc":"a\"b\\c\n\u00e9\ud83d\ude00",)"
                    R"("empty":"","eo":{},"ea":[],"nested":[[1,[2]],3]})"),
              parse_status::ok);
    EXPECT_EQ(h.last().source_type, "json");
    EXPECT_EQ(format_rfc3339(h.last().ts), "2024-01-02T03:04:05Z");
    EXPECT_EQ(h.get("a.b.c"), "x");
    EXPECT_EQ(h.get("n"), "5");
    EXPECT_EQ(h.kind("n"), value_kind::number);
    EXPECT_EQ(h.get("neg"), "-7");
    EXPECT_EQ(h.get("f"), "1.5");
    EXPECT_EQ(h.get("small"), "0.000002701");
    EXPECT_EQ(h.kind("big"), value_kind::string);  // exponent form: kept as text
    EXPECT_EQ(h.get("t"), "true");
    EXPECT_EQ(h.kind("t"), value_kind::boolean);
    EXPECT_EQ(h.get("no"), "false");
    EXPECT_EQ(h.get("nul"), "<absent>");
    EXPECT_EQ(h.all("arr"), (std::vector<std::string>{"1", "2", "3"}));
    EXPECT_EQ(h.all("objs.k"), (std::vector<std::string>{"v1", "v2"}));
    EXPECT_EQ(h.get("objs.z"), "true");
    EXPECT_EQ(h.get("esc"), "a\"b\\c\n\xC3\xA9\xF0\x9F\x98\x80");
    EXPECT_EQ(h.get("empty"), "<absent>");
    EXPECT_EQ(h.get("eo"), "<absent>");
    EXPECT_EQ(h.get("ea"), "<absent>");
    EXPECT_EQ(h.all("nested"), (std::vector<std::string>{"1", "2", "3"}));
    // The writer prints repeated ids as arrays and keeps kinds.
    auto js = h.json();
    EXPECT_NE(js.find(R"("arr":[1,2,3])"), std::string::npos) << js;
    EXPECT_NE(js.find(R"("objs.k":["v1","v2"])"), std::string::npos) << js;
    EXPECT_NE(js.find(R"("t":true)"), std::string::npos) << js;
    EXPECT_NE(js.find(R"("n":5)"), std::string::npos) << js;
}

TEST(ndjson, keys_with_dots_escapes_and_unicode) {
    harness h;
    ASSERT_EQ(h.run(R"({"time":"2024-01-02T03:04:05Z","meta.remote_ip":"1.1.1.1","k\u00e9y":"v","\u65e5\u672c":"\u8a9e","addr":{"remote":"9.9.9.9:1"}})"),
              parse_status::ok);
    EXPECT_EQ(h.get("meta.remote_ip"), "1.1.1.1");
    EXPECT_EQ(h.get("k\xC3\xA9y"), "v");
    EXPECT_EQ(h.get("\xE6\x97\xA5\xE6\x9C\xAC"), "\xE8\xAA\x9E");
    EXPECT_EQ(h.get("addr.remote"), "9.9.9.9:1");
    // Both spellings of a dotted name are the same field (`addr.remote` here, from nesting).
    EXPECT_EQ(h.get("source.ip"), "9.9.9.9");
}

TEST(ndjson, numbers_beyond_64_bits_are_kept_as_text) {
    harness h;
    ASSERT_EQ(h.run(R"({"ts":1700000000,"huge":123456789012345678901234567890,"inf":-1E400,"s":"1E400 \" 99999999999999999999","n":7})"),
              parse_status::ok);
    EXPECT_EQ(h.get("huge"), "123456789012345678901234567890");
    EXPECT_EQ(h.kind("huge"), value_kind::string);
    EXPECT_EQ(h.get("inf"), "-1E400");
    EXPECT_EQ(h.get("s"), "1E400 \" 99999999999999999999");
    EXPECT_EQ(h.get("n"), "7");
    std::string_view why;
    EXPECT_EQ(h.run(R"({"ts":1700000000,"huge":123456789012345678901234567890,"bad":01})", &why), parse_status::malformed);
}

TEST(ndjson, leading_space_and_bom) {
    harness h;
    EXPECT_EQ(h.run("  {\"ts\":1700000000,\"msg\":\"hi\"}"), parse_status::ok);
    EXPECT_EQ(h.get("message"), "hi");
    EXPECT_EQ(h.run("\xEF\xBB\xBF{\"ts\":1700000000,\"msg\":\"hi\"}"), parse_status::ok);
}

TEST(ndjson, not_mine_and_malformed) {
    harness h;
    std::string_view why;
    EXPECT_EQ(h.run("Jan  1 00:00:00 host sshd[1]: hello", &why), parse_status::not_mine);
    EXPECT_EQ(h.run("[1,2,3]", &why), parse_status::not_mine);
    EXPECT_EQ(h.run(" x", &why), parse_status::not_mine);

    EXPECT_EQ(h.run(R"({"time":"2024-01-02T03:04:05Z","a":"unclosed)", &why), parse_status::malformed);
    EXPECT_EQ(why.substr(0, 13), "invalid JSON:") << why;
    EXPECT_EQ(h.run(R"({"time":"2024-01-02T03:04:05Z","a":1} {"b":2})", &why), parse_status::malformed);
    EXPECT_EQ(why.substr(0, 13), "invalid JSON:") << why;
    EXPECT_EQ(h.run(R"({"time":"2024-01-02T03:04:05Z","a":tru})", &why), parse_status::malformed);
    EXPECT_EQ(h.run(R"({"time":"2024-01-02T03:04:05Z","a":01})", &why), parse_status::malformed);
    EXPECT_EQ(h.run(R"({"time":"2024-01-02T03:04:05Z" "a":1})", &why), parse_status::malformed);
    EXPECT_EQ(h.run(R"({"time":"2024-01-02T03:04:05Z","a":"\x"})", &why), parse_status::malformed);
    EXPECT_EQ(h.run("{\"time\":\"2024-01-02T03:04:05Z\",\"a\":\"\xFF\xFE\"}", &why), parse_status::malformed);
    EXPECT_EQ(why.substr(0, 13), "invalid JSON:") << why;
    EXPECT_EQ(h.run("{\"time\":\"2024-01-02T03:04:05Z\",\"a\":\"tab\there\"}", &why), parse_status::malformed);
    EXPECT_EQ(h.run("{", &why), parse_status::malformed);
    // Valid JSON without a readable timestamp: kept as malformed with a reason.
    EXPECT_EQ(h.run(R"({})", &why), parse_status::malformed);
    EXPECT_EQ(why, "JSON object has no timestamp the mapping can read");
    EXPECT_EQ(h.run(R"({"time":"yesterday","msg":"x"})", &why), parse_status::malformed);
    for (const auto& e : h.b.events()) EXPECT_FALSE(e.parse_error.empty() && e.ts == k_no_time);
}

TEST(ndjson, native_ecs_names_are_validated) {
    harness h;
    ASSERT_EQ(h.run(R"({"@timestamp":"2024-05-01T10:00:00.5Z","source":{"ip":"not-an-ip","port":"99999"},)"
                    R"("destination":{"ip":"10.0.0.1","port":"443"},"event":{"outcome":"Success","dataset":"x.y"},)"
                    R"("event.original":"dup","log":{"offset":12}})"),
              parse_status::ok);
    EXPECT_EQ(format_rfc3339(h.last().ts), "2024-05-01T10:00:00.500Z");
    EXPECT_EQ(h.get("source.ip"), "<absent>");
    EXPECT_EQ(h.get("source.port"), "<absent>");
    EXPECT_EQ(h.get("destination.ip"), "10.0.0.1");
    EXPECT_EQ(h.get("destination.port"), "443");
    EXPECT_EQ(h.kind("destination.port"), value_kind::number);
    EXPECT_EQ(h.get("event.outcome"), "<absent>");
    // Names the writer owns are never fields (no duplicate keys in the output).
    EXPECT_EQ(h.get("event.dataset"), "<absent>");
    EXPECT_EQ(h.get("event.original"), "<absent>");
    EXPECT_EQ(h.get("log.offset"), "<absent>");
    EXPECT_EQ(h.get("@timestamp"), "<absent>");
}

TEST(ndjson, ecs_shaped_json_is_not_overwritten) {
    harness h;
    ASSERT_EQ(h.run(R"({"@timestamp":"2024-05-01T10:00:00Z","source":{"ip":"10.1.1.1"},"src_ip":"10.2.2.2","message":"m","msg":"other"})"),
              parse_status::ok);
    EXPECT_EQ(h.all("source.ip"), (std::vector<std::string>{"10.1.1.1"}));
    EXPECT_EQ(h.all("message"), (std::vector<std::string>{"m"}));
}

TEST(ndjson, deep_nesting_is_cut_and_kept_as_text) {
    harness h;
    std::string line = R"({"ts":1700000000,"d":)";
    for (int i = 0; i < 60; ++i) line += R"({"x":)";
    line += "1";
    for (int i = 0; i < 60; ++i) line += "}";
    line += "}";
    ASSERT_EQ(h.run(line), parse_status::ok);
    // Cut where the object depth reaches k_max_depth: "d" is at depth 2, each ".x" one more.
    std::string name = "d";
    for (int i = 2; i < json_mapper::k_max_depth; ++i) name += ".x";
    auto v = h.get(name);
    EXPECT_EQ(v.substr(0, 6), R"({"x":{)") << v;
    EXPECT_EQ(v.size(), 5u * (62 - json_mapper::k_max_depth) + 1 + (62 - json_mapper::k_max_depth)) << v;
}

TEST(ndjson, timestamps) {
    options o;
    o.zone = time_zone::fixed(9 * 3600);
    harness h(o);
    struct tcase {
        const char* line;
        const char* want;
    } cases[] = {
        {R"({"ts":1693840791.7564995,"msg":"a"})", "2023-09-04T15:19:51.756499500Z"},
        {R"({"ts":1700000000123,"msg":"ms"})", "2023-11-14T22:13:20.123Z"},
        {R"({"ts":"1700000000","msg":"s as text"})", "2023-11-14T22:13:20Z"},
        {R"({"timestamp_ns":1756494783340876000,"msg":"ns"})", "2025-08-29T19:13:03.340876Z"},
        {R"({"t":{"$date":"2022-07-28T18:00:00.903+02:00"},"msg":"mongo"})", "2022-07-28T16:00:00.903Z"},
        {R"({"t":{"$date":{"$numberLong":"1700000000000"}},"msg":"mongo2"})", "2023-11-14T22:13:20Z"},
        // No zone in the stamp: the configured zone (+09:00) applies.
        {R"({"timestamp":"2024-11-13 11:03:31.784","msg":"local"})", "2024-11-13T02:03:31.784Z"},
        {R"({"asctime":"2023-01-31 15:05:01,896","msg":"python"})", "2023-01-31T06:05:01.896Z"},
        {R"({"time":"2021-08-24T09:52:13.20764059Z","msg":"nanos"})", "2021-08-24T09:52:13.207640590Z"},
        {R"({"time":"24/Aug/2021:09:52:13 +0000","msg":"apache"})", "2021-08-24T09:52:13Z"},
        {R"({"date":"2021/08/24 09:52:13","msg":"slashes"})", "2021-08-24T00:52:13Z"},
    };
    for (const auto& c : cases) {
        ASSERT_EQ(h.run(c.line), parse_status::ok) << c.line;
        EXPECT_EQ(format_rfc3339(h.last().ts), c.want) << c.line;
    }
}

// -- profiles -----------------------------------------------------------------------------------

TEST(ndjson_profiles, cloudtrail) {
    harness h;
    ASSERT_EQ(h.run(R"({"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDA1","arn":"arn:aws:iam::123456789012:user/alice","accountId":"123456789012","userName":"alice"},)"
                    R"("eventTime":"2023-04-11T15:24:00Z","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","awsRegion":"us-east-1",)"
                    R"("sourceIPAddress":"1.2.3.4","userAgent":"Mozilla/5.0","errorMessage":"Failed authentication","requestParameters":null,)"
                    R"("responseElements":{"ConsoleLogin":"Failure"},"eventID":"e1","readOnly":false,"eventType":"AwsConsoleSignIn"})"),
              parse_status::ok);
    EXPECT_EQ(h.last().source_type, "aws.cloudtrail");
    EXPECT_EQ(format_rfc3339(h.last().ts), "2023-04-11T15:24:00Z");
    EXPECT_EQ(h.get("source.ip"), "1.2.3.4");
    EXPECT_EQ(h.get("user.name"), "alice");
    EXPECT_EQ(h.get("user.id"), "AIDA1");
    EXPECT_EQ(h.get("event.action"), "ConsoleLogin");
    EXPECT_EQ(h.get("event.outcome"), "failure");
    EXPECT_EQ(h.get("event.category"), "authentication");
    EXPECT_EQ(h.get("cloud.region"), "us-east-1");
    EXPECT_EQ(h.get("cloud.provider"), "aws");
    EXPECT_EQ(h.get("cloud.account.id"), "123456789012");
    EXPECT_EQ(h.get("user_agent.original"), "Mozilla/5.0");
    // Native names stay beside the ECS ones (Sigma CloudTrail rules use them).
    EXPECT_EQ(h.get("eventName"), "ConsoleLogin");
    EXPECT_EQ(h.get("userIdentity.arn"), "arn:aws:iam::123456789012:user/alice");
    EXPECT_EQ(h.get("readOnly"), "false");

    // An API error is a failure; a service principal in sourceIPAddress is not an IP.
    ASSERT_EQ(h.run(R"({"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/Admin/bob"},)"
                    R"("eventTime":"2023-04-12T11:55:16Z","eventSource":"secretsmanager.amazonaws.com","eventName":"ListSecrets",)"
                    R"("awsRegion":"eu-west-1","sourceIPAddress":"cloudformation.amazonaws.com","errorCode":"AccessDenied"})"),
              parse_status::ok);
    EXPECT_EQ(h.get("event.outcome"), "failure");
    EXPECT_EQ(h.get("event.reason"), "AccessDenied");
    EXPECT_EQ(h.get("source.ip"), "<absent>");
    EXPECT_EQ(h.get("user.name"), "bob");
    EXPECT_EQ(h.get("event.category"), "configuration");

    ASSERT_EQ(h.run(R"({"eventVersion":"1.08","userIdentity":{"type":"IAMUser","userName":"carol"},"eventTime":"2023-04-12T11:55:16Z",)"
                    R"("eventSource":"s3.amazonaws.com","eventName":"ListBuckets","awsRegion":"eu-west-1","sourceIPAddress":"2001:db8::1"})"),
              parse_status::ok);
    EXPECT_EQ(h.get("event.outcome"), "success");
    EXPECT_EQ(h.get("source.ip"), "2001:db8::1");
}

TEST(ndjson_profiles, suricata_eve) {
    harness h;
    ASSERT_EQ(h.run(R"({"timestamp":"2022-07-12T06:22:33.415742+0000","flow_id":1398609176796675,"in_iface":"eth0","event_type":"alert",)"
                    R"("src_ip":"1.2.3.4","src_port":33270,"dest_ip":"1.2.3.5","dest_port":80,"proto":"TCP","tx_id":0,)"
                    R"("alert":{"action":"allowed","gid":1,"signature_id":2034125,"rev":4,"signature":"ET EXPLOIT Apache Path Traversal",)"
                    R"("category":"Attempted Administrator Privilege Gain","severity":1,"metadata":{"cve":["CVE_2021_41773"],"deployment":["Internet","Perimeter"]}},)"
                    R"("http":{"hostname":"example.org","url":"/cgi-bin/.%2e/","http_user_agent":"curl","http_method":"POST","status":400,"length":166},)"
                    R"("files":[{"filename":"/bin/sh","sid":[],"size":33}],"app_proto":"http"})"),
              parse_status::ok);
    EXPECT_EQ(h.last().source_type, "suricata.eve");
    EXPECT_EQ(format_rfc3339(h.last().ts), "2022-07-12T06:22:33.415742Z");
    EXPECT_EQ(h.get("source.ip"), "1.2.3.4");
    EXPECT_EQ(h.get("source.port"), "33270");
    EXPECT_EQ(h.kind("source.port"), value_kind::number);
    EXPECT_EQ(h.get("destination.ip"), "1.2.3.5");
    EXPECT_EQ(h.get("destination.port"), "80");
    EXPECT_EQ(h.get("network.transport"), "tcp");
    EXPECT_EQ(h.get("network.protocol"), "http");
    EXPECT_EQ(h.get("rule.name"), "ET EXPLOIT Apache Path Traversal");
    EXPECT_EQ(h.get("rule.id"), "2034125");
    EXPECT_EQ(h.get("event.kind"), "alert");
    EXPECT_EQ(h.get("event.category"), "intrusion_detection");
    EXPECT_EQ(h.get("event.type"), "allowed");
    EXPECT_EQ(h.get("event.severity"), "1");
    EXPECT_EQ(h.get("http.request.method"), "POST");
    EXPECT_EQ(h.get("http.response.status_code"), "400");
    EXPECT_EQ(h.get("url.original"), "/cgi-bin/.%2e/");
    EXPECT_EQ(h.all("alert.metadata.deployment"), (std::vector<std::string>{"Internet", "Perimeter"}));
    EXPECT_EQ(h.get("files.filename"), "/bin/sh");
    EXPECT_EQ(h.get("event_type"), "alert");

    ASSERT_EQ(h.run(R"({"timestamp":"2022-07-12T06:22:35.000000+0000","flow_id":1,"event_type":"flow","src_ip":"10.0.0.1","src_port":5353,)"
                    R"("dest_ip":"224.0.0.251","dest_port":5353,"proto":"UDP","flow":{"pkts_toserver":3,"bytes_toserver":300,"pkts_toclient":0,"bytes_toclient":0}})"),
              parse_status::ok);
    EXPECT_EQ(h.get("event.kind"), "event");
    EXPECT_EQ(h.get("event.category"), "network");
    EXPECT_EQ(h.get("event.type"), "connection");
    EXPECT_EQ(h.get("network.transport"), "udp");
    EXPECT_EQ(h.get("source.bytes"), "300");
}

TEST(ndjson_profiles, gcp_audit) {
    harness h;
    ASSERT_EQ(h.run(R"({"protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","status":{"code":7,"message":"PERMISSION_DENIED"},)"
                    R"("authenticationInfo":{"principalEmail":"eve@example.com"},"requestMetadata":{"callerIp":"203.0.113.9","callerSuppliedUserAgent":"gcloud"},)"
                    R"("serviceName":"iam.googleapis.com","methodName":"google.iam.admin.v1.CreateServiceAccountKey","resourceName":"projects/p/serviceAccounts/sa"},)"
                    R"("insertId":"abc","resource":{"type":"service_account","labels":{"project_id":"p1"}},"timestamp":"2023-01-01T00:00:00.123456789Z",)"
                    R"("severity":"ERROR","logName":"projects/p1/logs/cloudaudit.googleapis.com%2Factivity"})"),
              parse_status::ok);
    EXPECT_EQ(h.last().source_type, "gcp.audit");
    EXPECT_EQ(format_rfc3339(h.last().ts), "2023-01-01T00:00:00.123456789Z");
    EXPECT_EQ(h.get("source.ip"), "203.0.113.9");
    EXPECT_EQ(h.get("user.name"), "eve@example.com");
    EXPECT_EQ(h.get("event.action"), "google.iam.admin.v1.CreateServiceAccountKey");
    EXPECT_EQ(h.get("event.outcome"), "failure");
    EXPECT_EQ(h.get("event.category"), "iam");
    EXPECT_EQ(h.get("cloud.account.id"), "p1");
    EXPECT_EQ(h.get("protoPayload.@type"), "type.googleapis.com/google.cloud.audit.AuditLog");

    ASSERT_EQ(h.run(R"({"protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","status":{},"authenticationInfo":{"principalEmail":"a@b.c"},)"
                    R"("requestMetadata":{"callerIp":"2001:db8::5"},"serviceName":"compute.googleapis.com","methodName":"v1.compute.instances.insert"},)"
                    R"("resource":{"labels":{"project_id":"p1","zone":"us-central1-a"}},"timestamp":"2023-01-01T00:00:01Z"})"),
              parse_status::ok);
    EXPECT_EQ(h.get("event.outcome"), "success");
    EXPECT_EQ(h.get("cloud.region"), "us-central1-a");
}

TEST(ndjson_profiles, m365_audit) {
    harness h;
    ASSERT_EQ(h.run(R"({"CreationTime":"2019-09-02T17:44:54","Id":"x","Operation":"UserLoginFailed","OrganizationId":"org","RecordType":15,)"
                    R"("ResultStatus":"Failed","UserKey":"k","UserType":0,"Version":1,"Workload":"AzureActiveDirectory","ClientIP":"198.51.100.7",)"
                    R"("ObjectId":"o","UserId":"dave@contoso.com","LogonError":"InvalidPassword",)"
                    R"("ExtendedProperties":[{"Name":"UserAgent","Value":"Mozilla"},{"Name":"RequestType","Value":"Login:login"}]})"),
              parse_status::ok);
    EXPECT_EQ(h.last().source_type, "m365.audit");
    // CreationTime carries no zone but is UTC whatever --tz says.
    EXPECT_EQ(format_rfc3339(h.last().ts), "2019-09-02T17:44:54Z");
    EXPECT_EQ(h.get("source.ip"), "198.51.100.7");
    EXPECT_EQ(h.get("user.name"), "dave@contoso.com");
    EXPECT_EQ(h.get("event.action"), "UserLoginFailed");
    EXPECT_EQ(h.get("event.outcome"), "failure");
    EXPECT_EQ(h.get("event.category"), "authentication");
    EXPECT_EQ(h.get("event.reason"), "InvalidPassword");
    EXPECT_EQ(h.all("ExtendedProperties.Name"), (std::vector<std::string>{"UserAgent", "RequestType"}));

    ASSERT_EQ(h.run(R"({"CreationTime":"2019-09-02T17:45:00","Operation":"New-InboxRule","RecordType":1,"ResultStatus":"True",)"
                    R"("Workload":"Exchange","ClientIP":"[2001:db8::7]:51234","UserId":"dave@contoso.com"})"),
              parse_status::ok);
    EXPECT_EQ(h.get("source.ip"), "2001:db8::7");
    EXPECT_EQ(h.get("event.outcome"), "success");
    EXPECT_EQ(h.get("event.category"), "email");

    ASSERT_EQ(h.run(R"({"CreationTime":"2019-09-02T17:45:00","Operation":"FileAccessed","RecordType":6,"Workload":"SharePoint",)"
                    R"("ClientIP":"198.51.100.8:443","UserId":"erin@contoso.com"})"),
              parse_status::ok);
    EXPECT_EQ(h.get("source.ip"), "198.51.100.8");
    EXPECT_EQ(h.get("event.outcome"), "<absent>");
}

TEST(ndjson_profiles, k8s_traefik_caddy_docker) {
    harness h;
    ASSERT_EQ(h.run(R"({"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Request","auditID":"a","stage":"ResponseComplete",)"
                    R"("requestURI":"/api/v1/namespaces/foo/pods/p/exec?command=sh","verb":"create","user":{"username":"minikube-user","groups":["system:masters"]},)"
                    R"("sourceIPs":["192.168.49.1"],"userAgent":"kubectl","responseStatus":{"metadata":{},"code":101},)"
                    R"("requestReceivedTimestamp":"2023-05-17T15:08:22.763960Z","annotations":{"authorization.k8s.io/decision":"allow"}})"),
              parse_status::ok);
    EXPECT_EQ(h.last().source_type, "k8s.audit");
    EXPECT_EQ(h.get("source.ip"), "192.168.49.1");
    EXPECT_EQ(h.get("user.name"), "minikube-user");
    EXPECT_EQ(h.get("event.action"), "create");
    EXPECT_EQ(h.get("event.outcome"), "success");
    EXPECT_EQ(h.get("http.response.status_code"), "101");

    ASSERT_EQ(h.run(R"({"ClientAddr":"172.17.0.1:39496","ClientHost":"172.17.0.1","ClientPort":"39496","ClientUsername":"-","DownstreamContentSize":357,)"
                    R"("DownstreamStatus":404,"RequestHost":"test.local","RequestMethod":"GET","RequestPath":"/x.save","RequestProtocol":"HTTP/1.1",)"
                    R"("StartUTC":"2021-12-08T14:02:43.587782192Z","request_User-Agent":"Nikto","time":"2021-12-08T14:02:43Z"})"),
              parse_status::ok);
    EXPECT_EQ(h.last().source_type, "traefik.access");
    EXPECT_EQ(format_rfc3339(h.last().ts), "2021-12-08T14:02:43.587782192Z");
    EXPECT_EQ(h.get("source.ip"), "172.17.0.1");
    EXPECT_EQ(h.get("source.port"), "39496");
    EXPECT_EQ(h.get("user.name"), "<absent>");
    EXPECT_EQ(h.get("http.response.status_code"), "404");
    EXPECT_EQ(h.get("http.version"), "1.1");
    EXPECT_EQ(h.get("event.outcome"), "failure");
    EXPECT_EQ(h.get("user_agent.original"), "Nikto");

    ASSERT_EQ(h.run(R"({"level":"info","ts":1693840791.7564995,"logger":"http.log.access","msg":"handled request","request":{"remote_ip":"172.17.0.1",)"
                    R"("remote_port":"44790","client_ip":"127.0.0.1","proto":"HTTP/1.0","method":"GET","host":"127.0.0.1:8080","uri":"/",)"
                    R"("headers":{"User-Agent":["curl/7.74.0"]}},"bytes_read":0,"user_id":"","duration":0.000002701,"size":0,"status":0})"),
              parse_status::ok);
    EXPECT_EQ(h.last().source_type, "caddy");
    EXPECT_EQ(h.get("source.ip"), "127.0.0.1");
    EXPECT_EQ(h.get("source.port"), "44790");
    EXPECT_EQ(h.get("user_agent.original"), "curl/7.74.0");
    EXPECT_EQ(h.get("http.response.status_code"), "<absent>");  // 0 is not a status
    EXPECT_EQ(h.get("duration"), "0.000002701");

    ASSERT_EQ(h.run(R"({"log":"GET / HTTP/1.1 200\n","stream":"stdout","time":"2021-08-24T09:52:13.20764059Z"})"), parse_status::ok);
    EXPECT_EQ(h.last().source_type, "docker.json");
    EXPECT_EQ(h.get("message"), "GET / HTTP/1.1 200");
}

TEST(ndjson_profiles, generic_common_keys) {
    harness h;
    ASSERT_EQ(h.run(R"({"time":"2023-09-05T07:16:25.133Z","event":"user.login","user":"Bob","success":false,"addr.remote":"172.19.0.2:34204","code":"T1000W"})"),
              parse_status::ok);
    EXPECT_EQ(h.last().source_type, "json");
    EXPECT_EQ(h.get("source.ip"), "172.19.0.2");
    EXPECT_EQ(h.get("user.name"), "Bob");
    EXPECT_EQ(h.get("event.action"), "user.login");
    EXPECT_EQ(h.get("event.outcome"), "failure");

    ASSERT_EQ(h.run(R"({"asctime":"2023-01-31 15:05:01,896","levelname":"WARNING","message":"bad login","request_ip":"185.234.70.33, 192.168.32.12"})"),
              parse_status::ok);
    EXPECT_EQ(h.get("source.ip"), "185.234.70.33");
    EXPECT_EQ(h.get("log.level"), "WARNING");
    EXPECT_EQ(h.get("message"), "bad login");

    ASSERT_EQ(h.run(R"({"ts":"2023-01-31T15:05:01Z","srcip":"10.0.0.1","dst_ip":"10.0.0.2","username":"u","pid":"123","msg":"x"})"),
              parse_status::ok);
    EXPECT_EQ(h.get("source.ip"), "10.0.0.1");
    EXPECT_EQ(h.get("destination.ip"), "10.0.0.2");
    EXPECT_EQ(h.get("process.pid"), "123");
    EXPECT_EQ(h.kind("process.pid"), value_kind::number);
}

// -- mapping files --------------------------------------------------------------------------------

TEST(ndjson_mapping, custom_mapping_file) {
    auto path = temp_file("custom.yaml", R"(version: 1
profiles:
  - name: acme.vpn
    match: {equals: {vendor: acme}, exists: [when]}
    timestamp: {field: when, format: "%d/%m/%Y %H:%M:%S", zone: utc}
    fields:
      source.ip: {from: peer, transform: host}
      user.name: {from: who, transform: lowercase}
      event.outcome:
        - {from: result, map: {OK: success, DENY: failure}, default: unknown}
      event.category: {value: authentication, if: {starts_with: {kind: auth}}}
      network.transport: {from: proto, transform: lowercase}
)");
    options o;
    o.ndjson_mapping = path;
    harness h(o);
    ASSERT_TRUE(h.p);
    ASSERT_EQ(h.run(R"({"vendor":"acme","when":"02/01/2024 03:04:05","peer":"10.9.8.7:4500","who":"ALICE","result":"DENY","kind":"auth.login","proto":"UDP"})"),
              parse_status::ok);
    EXPECT_EQ(h.last().source_type, "acme.vpn");
    EXPECT_EQ(format_rfc3339(h.last().ts), "2024-01-02T03:04:05Z");
    EXPECT_EQ(h.get("source.ip"), "10.9.8.7");
    EXPECT_EQ(h.get("user.name"), "alice");
    EXPECT_EQ(h.get("event.outcome"), "failure");
    EXPECT_EQ(h.get("event.category"), "authentication");
    EXPECT_EQ(h.get("network.transport"), "udp");
    ASSERT_EQ(h.run(R"({"vendor":"acme","when":"02/01/2024 03:04:05","result":"???","kind":"x"})"), parse_status::ok);
    EXPECT_EQ(h.get("event.outcome"), "unknown");
    EXPECT_EQ(h.get("event.category"), "<absent>");
    // No profile matches: malformed, with a reason.
    std::string_view why;
    EXPECT_EQ(h.run(R"({"vendor":"other","when":"x"})", &why), parse_status::malformed);
    EXPECT_EQ(why, "no profile of the JSON mapping matches this object");
}

TEST(ndjson_mapping, bad_files_name_file_line_and_reason) {
    struct bad {
        const char* yaml;
        const char* line;     // ":<line>:" expected in the message
        const char* reason;   // substring expected
    } cases[] = {
        {"profiles:\n  - name: x\n    timestamp: t\n    fields: {a: [b\n", ":5:", "not valid YAML"},
        {"profiles:\n  - name: x\n    timestamp: t\n    colour: red\n", ":4:", "unknown profile key 'colour'"},
        {"profiles:\n  - name: x\n    timestamp: t\n    fields:\n      event.outcome: {value: maybe}\n", ":5:",
         "'maybe' is not a valid value for event.outcome"},
        {"profiles:\n  - name: x\n    timestamp: t\n    fields:\n      event.category:\n        - {from: a, map: {b: nonsense}}\n", ":6:",
         "not a valid value for event.category"},
        {"profiles:\n  - name: x\n    match: {exist: a}\n    timestamp: t\n", ":3:", "unknown condition 'exist'"},
        {"profiles:\n  - name: x\n    timestamp: t\n  - name: y\n    timestamp: t\n", ":4:", "can never match"},
        {"profiles:\n  - timestamp: t\n", ":2:", "without a valid 'name'"},
        {"profiles:\n  - name: Bad Name\n    timestamp: t\n", ":2:", "must be 1-64 of"},
        {"profiles:\n  - name: x\n    timestamp: {field: t, format: weekly}\n", ":3:", "unknown timestamp format 'weekly'"},
        {"profiles:\n  - name: x\n    timestamp: t\n    fields:\n      user.name: {from: a, transform: rot13}\n", ":5:",
         "unknown transform 'rot13'"},
        {"profiles:\n  - name: x\n    timestamp: t\n    fields:\n      user.name: {from: a, value: b}\n", ":5:",
         "exactly one of 'from' or 'value'"},
        {"profiles:\n  - name: x\n    timestamp: t\n    fields:\n      event.dataset: a\n", ":5:", "written by Mimamori itself"},
        {"profiles:\n  - name: x\n    fields: {}\n", ":2:", "has no 'timestamp'"},
        {"version: 2\nprofiles:\n  - name: x\n    timestamp: t\n", ":1:", "unsupported version"},
        {"profiles: []\n", ":1:", "non-empty list"},
        {"profiles:\n  - name: x\n    timestamp: {field: t, format: \"%Y-%Q\"}\n", ":3:", "unknown directive"},
    };
    int i = 0;
    for (const auto& c : cases) {
        auto path = temp_file("bad" + std::to_string(i++) + ".yaml", c.yaml);
        options o;
        o.ndjson_mapping = path;
        std::string err;
        auto p = make_ndjson(o, &err);
        EXPECT_FALSE(p) << c.yaml;
        EXPECT_NE(err.find(path + c.line), std::string::npos) << "want " << path << c.line << " in: " << err;
        EXPECT_NE(err.find(c.reason), std::string::npos) << "want '" << c.reason << "' in: " << err;
    }
    // Every problem is reported, not only the first.
    auto path = temp_file("many.yaml",
                          "profiles:\n  - name: x\n    timestamp: t\n    colour: red\n    fields:\n      event.outcome: {value: maybe}\n");
    options o;
    o.ndjson_mapping = path;
    std::string err;
    EXPECT_FALSE(make_ndjson(o, &err));
    EXPECT_NE(err.find(":4:"), std::string::npos) << err;
    EXPECT_NE(err.find(":6:"), std::string::npos) << err;
    // A missing file is an error naming it.
    o.ndjson_mapping = "/nonexistent/mapping.yaml";
    EXPECT_FALSE(make_ndjson(o, &err));
    EXPECT_NE(err.find("/nonexistent/mapping.yaml"), std::string::npos) << err;
}

TEST(ndjson_mapping, default_file_loads) {
    auto r = load_json_mapping(json_mapping_path(options{}));
    ASSERT_TRUE(r) << r.err().message;
}

TEST(ndjson_mapping, looks_like_json_object) {
    EXPECT_TRUE(looks_like_json_object(R"({"a":1})"));
    EXPECT_TRUE(looks_like_json_object(" {\"a\":\"}\"} \n"));
    EXPECT_FALSE(looks_like_json_object(R"({"a":1)"));
    EXPECT_FALSE(looks_like_json_object(R"({"a":1} x)"));
    EXPECT_FALSE(looks_like_json_object("[1]"));
    EXPECT_FALSE(looks_like_json_object("{\n  \"a\": 1,"));
}

// -- golden: crowdsec-hub JSON test logs ----------------------------------------------------------

namespace {

struct golden_case {
    const char* folder;
    const char* source_type;
    bool check_ip;  // the IPs crowdsec's parser asserts are in a structured field (not in free text)
};

std::vector<std::string> read_lines(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::vector<std::string> out;
    std::string l;
    while (std::getline(in, l)) {
        if (!l.empty() && l.back() == '\r') l.pop_back();
        if (!trim(l).empty()) out.push_back(l);
    }
    return out;
}

std::set<std::string> asserted_ips(const std::filesystem::path& assert_file) {
    std::set<std::string> ips;
    std::ifstream in(assert_file);
    std::string l;
    static const std::regex re(R"re(^results\["s01-parse"\].*Evt\.Meta\["source_ip"\] == "([^"]+)")re");
    std::smatch m;
    while (std::getline(in, l))
        if (std::regex_search(l, m, re)) ips.insert(m[1]);
    return ips;
}

}  // namespace

TEST(ndjson_golden, crowdsec_hub_json_logs) {
    namespace fs = std::filesystem;
    fs::path root = fs::path(MIMAMORI_SHARED_DIR) / "datasets/crowdsec-hub/tests";
    if (!fs::exists(root)) GTEST_SKIP() << "no crowdsec-hub test data at " << root;
    const golden_case cases[] = {
        {"aws-cloudtrail", "aws.cloudtrail", true},
        {"aws-cloudtrail-postexploit", "aws.cloudtrail", false},
        {"aws-bf", "aws.cloudtrail", false},
        {"aws-nwo-login", "aws.cloudtrail", false},
        {"suricata-eve-detect", "suricata.eve", false},
        {"suricata-logs-evelog", "suricata.eve", true},
        {"traefik_json", "traefik.access", true},
        {"traefik_base-http-scenario", "traefik.access", false},
        {"caddy-logs", "caddy", true},
        {"caddy-basic-auth-bf", "caddy", false},
        {"k8s-audit-pod-exec-file", "k8s.audit", false},
        {"k8s-audit-priv-pod-file", "k8s.audit", false},
        {"docker-logs", "docker.json", false},
        {"authentik-logs", "json", true},
        {"authentik-bf", "json", false},
        {"gitlab-logs", "json", true},
        {"gitlab-bf", "json", false},
        {"kasm", "json", true},
        {"kasm-bruteforce", "json", false},
        {"mongodb-logs", "json", true},
        {"mongodb-bf", "json", false},
        {"nextcloud-logs", "json", true},
        {"nextcloud-bf", "json", false},
        {"ntfy-logs", "json", true},
        {"ntfy-bf", "json", false},
        {"openappsec", "json", true},
        {"teleport-logs", "json", true},
        {"teleport-bf", "json", false},
        {"teleport-impossible-travel", "json", false},
        {"laurel-logs", "linux.laurel", false},
        {"laurel-base64-exec", "linux.laurel", false},
        {"laurel-suid-crash", "linux.laurel", false},
        {"audiobookshelf-logs", "json", false},  // the IP is inside the message text
        {"audiobookshelf-bf", "json", false},
        {"sftpgo-logs", "json", false},           // idem
        {"sftpgo-bf", "json", false},
        {"sftpgo-impossible-travel", "json", false},
        {"caddy-coraza", "caddy", false},          // idem ("[client ...]" in msg)
        {"caddy-crs-anomaly-score", "caddy", false},
        {"base-upsun-httplog-logs", "json", false},  // an nginx line inside "message"
        {"base-upsun-generic-test", "json", false},
    };
    harness h;
    std::size_t total = 0, good_total = 0;
    for (const auto& c : cases) {
        fs::path dir = root / c.folder;
        if (!fs::exists(dir)) {
            ADD_FAILURE() << "missing test folder " << dir;
            continue;
        }
        std::size_t lines = 0, good = 0;
        std::set<std::string> ips;
        for (const auto& ent : fs::directory_iterator(dir)) {
            if (ent.path().extension() != ".log") continue;
            for (const auto& l : read_lines(ent.path())) {
                // Some folders mix in lines of other formats (plain text): not ours to judge.
                if (trim(l).substr(0, 1) != "{") continue;
                h.b.clear();
                ++lines;
                std::string_view why;
                auto st = h.run(l, &why);
                if (st == parse_status::ok && h.last().source_type == c.source_type) ++good;
                else
                    ADD_FAILURE() << c.folder << ": " << (st == parse_status::ok ? std::string(h.last().source_type) : std::string(why))
                                  << " | " << l.substr(0, 200);
                for (const auto& v : h.all("source.ip")) ips.insert(v);
            }
        }
        EXPECT_GT(lines, 0u) << c.folder;
        EXPECT_GE(good * 100, lines * 95) << c.folder << ": " << good << "/" << lines << " as " << c.source_type;
        if (c.check_ip) {
            auto want = asserted_ips(dir / "parser.assert");
            EXPECT_FALSE(want.empty()) << c.folder;
            for (const auto& ip : want) EXPECT_TRUE(ips.count(ip)) << c.folder << ": source.ip " << ip << " not found";
        }
        total += lines;
        good_total += good;
    }
    std::cout << "[ golden ] crowdsec-hub JSON lines: " << good_total << "/" << total << " parsed with the expected source type\n";
}
