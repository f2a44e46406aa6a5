// The whole-file JSON reader ("json"): CloudTrail {"Records": [...]}, arrays of objects,
// pretty-printed / concatenated objects.
#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "../parse/schema.hpp"
#include "core/event.hpp"
#include "ingest/file_format.hpp"
#include "ingest/line_reader.hpp"
#include "ingest/scan.hpp"

using namespace mimamori;
using namespace mimamori::ingest;

namespace {

const whole_file_format& json_format() {
    for (const auto& f : whole_file_formats())
        if (f.name == "json") return f;
    ADD_FAILURE() << "whole-file format 'json' is not registered";
    static whole_file_format none;
    return none;
}

// Removed at exit.
struct temp_root {
    std::filesystem::path dir = std::filesystem::temp_directory_path() / ("mimamori-jsondoc-" + std::to_string(::getpid()));
    ~temp_root() {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
};

std::filesystem::path temp_dir() {
    static temp_root root;
    std::filesystem::create_directories(root.dir);
    return root.dir;
}

std::string write_file(const std::string& name, const std::string& text, bool gz = false) {
    auto p = (temp_dir() / name).string();
    if (gz) {
        gzFile f = gzopen(p.c_str(), "wb");
        gzwrite(f, text.data(), static_cast<unsigned>(text.size()));
        gzclose(f);
    } else {
        std::ofstream(p, std::ios::binary) << text;
    }
    return p;
}

struct collected {
    std::vector<std::string> source_types, errors, raws, json;
    std::vector<std::uint64_t> offsets, lines;
    std::size_t sink_calls = 0;
};

status read(const std::string& path, collected& out, read_stats& rs) {
    parse::options opts;
    event_batch batch;
    return json_format().read(path, opts, batch, [&](event_batch& b) {
        ++out.sink_calls;
        for (const auto& e : b.events()) {
            EXPECT_SCHEMA(b, e);
            EXPECT_EQ(e.file, path);
            out.source_types.emplace_back(e.source_type);
            out.errors.emplace_back(e.parse_error);
            out.raws.emplace_back(e.raw);
            out.offsets.push_back(e.offset);
            out.lines.push_back(e.line);
            std::string js;
            write_event_json(b, e, js);
            out.json.push_back(js);
        }
    }, rs);
}

const char* k_record1 =
    R"({"eventVersion":"1.08","userIdentity":{"type":"IAMUser","userName":"alice"},"eventTime":"2024-02-01T10:00:00Z",)"
    R"("eventSource":"iam.amazonaws.com","eventName":"CreateAccessKey","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.1"})";
const char* k_record2 =
    R"({"eventVersion":"1.08","userIdentity":{"type":"Root"},"eventTime":"2024-02-01T10:00:01Z",)"
    R"("eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.2",)"
    R"("responseElements":{"ConsoleLogin":"Failure"}})";

}  // namespace

TEST(json_document, sniffs_its_shapes_only) {
    const auto& f = json_format();
    ASSERT_TRUE(f.sniff);
    EXPECT_TRUE(f.sniff(R"({"Records":[{"eventVersion":"1.08")", "x.json"));
    EXPECT_TRUE(f.sniff("\n  { \"Records\" : [ {", "x.json"));
    EXPECT_TRUE(f.sniff("[\n  {\"a\": 1},", "x.json"));
    EXPECT_TRUE(f.sniff("[]", "x.json"));
    EXPECT_TRUE(f.sniff("{\n  \"time\": \"2024-01-01T00:00:00Z\",\n  \"a\": 1\n}\n", "x.json"));
    EXPECT_TRUE(f.sniff("\xEF\xBB\xBF[{\"a\":1}]", "x.json"));
    // One object per line is NDJSON (the line format reads it, with line numbers).
    EXPECT_FALSE(f.sniff("{\"a\":1}\n{\"a\":2}\n", "x.json"));
    EXPECT_FALSE(f.sniff("{\"a\":1}", "x.json"));
    // Windows event exports belong to the Windows reader.
    EXPECT_FALSE(f.sniff("{\n  \"Event\": {\n    \"System\": {\"EventID\": 4624}", "x.json"));
    EXPECT_FALSE(f.sniff("[\n{\"Event\":{\"#attributes\":{},\"System\":{\"EventID\":4625}}}", "x.json"));
    // A file another whole-file format claims (here Winlogbeat JSON, when its reader is linked)
    // is left to it.
    std::string_view winlogbeat = R"([{"@timestamp":"2024-01-01T00:00:00Z","winlog":{"event_id":4624,"channel":"Security"}}])";
    bool other = false;
    for (const auto& w : whole_file_formats())
        if (w.name != "json" && w.sniff(winlogbeat, "x.json")) other = true;
    EXPECT_EQ(f.sniff(winlogbeat, "x.json"), !other);
    EXPECT_FALSE(f.sniff("Jan  1 00:00:00 host sshd[1]: x", "auth.log"));
    EXPECT_FALSE(f.sniff("[1, 2, 3]", "x.json"));
    EXPECT_FALSE(f.sniff("", "empty"));
}

TEST(json_document, cloudtrail_gz_records) {
    std::string text = std::string("{\"Records\":[") + k_record1 + ",\n" + k_record2 + "]}";
    auto path = write_file("ct.json.gz", text, true);
    EXPECT_TRUE(json_format().sniff(read_head(path), path));
    collected c;
    read_stats rs;
    auto st = read(path, c, rs);
    ASSERT_TRUE(st.ok()) << st.err().message;
    ASSERT_EQ(c.source_types.size(), 2u);
    EXPECT_EQ(rs.records, 2u);
    EXPECT_EQ(rs.malformed, 0u);
    EXPECT_EQ(c.source_types[0], "aws.cloudtrail");
    EXPECT_EQ(c.source_types[1], "aws.cloudtrail");
    EXPECT_EQ(c.offsets[0], text.find(k_record1));
    EXPECT_EQ(c.offsets[1], text.find(k_record2));
    EXPECT_EQ(c.lines[0], 0u);
    EXPECT_EQ(c.raws[1], k_record2);
    EXPECT_NE(c.json[0].find(R"("log.offset":12)"), std::string::npos) << c.json[0];
    EXPECT_NE(c.json[0].find(R"("event.category":"iam")"), std::string::npos) << c.json[0];
    EXPECT_NE(c.json[1].find(R"("event.outcome":"failure")"), std::string::npos) << c.json[1];
    EXPECT_NE(c.json[1].find(R"("source.ip":"198.51.100.2")"), std::string::npos) << c.json[1];
}

TEST(json_document, array_with_broken_elements_keeps_going) {
    std::string text = std::string("[\n  ") + k_record1 +
                       ",\n  {\"time\": \"2024-01-01T00:00:00Z\", \"a\": tru},\n  42,\n  {\"no\": \"time\"},\n  " +
                       k_record2 + "\n]\n";
    auto path = write_file("arr.json", text);
    EXPECT_TRUE(json_format().sniff(read_head(path), path));
    collected c;
    read_stats rs;
    ASSERT_TRUE(read(path, c, rs).ok());
    ASSERT_EQ(c.source_types.size(), 5u);
    EXPECT_EQ(rs.records, 5u);
    EXPECT_EQ(rs.malformed, 3u);
    EXPECT_EQ(c.errors[0], "");
    EXPECT_EQ(c.errors[1].substr(0, 13), "invalid JSON:");
    EXPECT_EQ(c.errors[2], "JSON element is not an object");
    EXPECT_EQ(c.errors[3], "JSON object has no timestamp the mapping can read");
    EXPECT_EQ(c.errors[4], "");
    EXPECT_EQ(c.source_types[1], "json");
    EXPECT_EQ(c.offsets[4], text.find(k_record2));
    EXPECT_EQ(c.raws[2], "42");
}

TEST(json_document, pretty_and_concatenated_objects) {
    std::string a = "{\n  \"@timestamp\": \"2024-03-01T00:00:00Z\",\n  \"source\": {\"ip\": \"10.0.0.1\"},\n  \"message\": \"one\"\n}";
    std::string b = "{\n  \"@timestamp\": \"2024-03-01T00:00:01Z\",\n  \"message\": \"two\"\n}";
    std::string text = a + "\n" + b + "\n";
    auto path = write_file("pretty.json", text);
    EXPECT_TRUE(json_format().sniff(read_head(path), path));
    collected c;
    read_stats rs;
    ASSERT_TRUE(read(path, c, rs).ok());
    ASSERT_EQ(c.source_types.size(), 2u);
    EXPECT_EQ(rs.malformed, 0u);
    EXPECT_EQ(c.offsets[0], 0u);
    EXPECT_EQ(c.offsets[1], a.size() + 1);
    EXPECT_NE(c.json[0].find(R"("source.ip":"10.0.0.1")"), std::string::npos) << c.json[0];
    EXPECT_NE(c.json[1].find(R"("message":"two")"), std::string::npos) << c.json[1];
}

TEST(json_document, truncated_file_reports_the_rest) {
    std::string text = std::string("{\"Records\":[") + k_record1 + ",{\"eventVersion\":\"1.08\",\"eventTi";
    auto path = write_file("cut.json", text);
    collected c;
    read_stats rs;
    ASSERT_TRUE(read(path, c, rs).ok());
    ASSERT_EQ(c.source_types.size(), 2u);
    EXPECT_EQ(c.errors[0], "");
    EXPECT_FALSE(c.errors[1].empty());
    EXPECT_EQ(rs.malformed, 1u);

    auto junk = write_file("junk.json", "[{\"ts\": 1700000000, \"m\": 1} {\"ts\": 1700000001}]");
    collected d;
    read_stats rs2;
    ASSERT_TRUE(read(junk, d, rs2).ok());
    ASSERT_EQ(d.source_types.size(), 2u);
    EXPECT_EQ(d.errors[1], "invalid JSON: expected ',' or ']' between array elements");
}

TEST(json_document, big_arrays_flush_in_batches) {
    std::string text = "[";
    const int n = 10000;
    for (int i = 0; i < n; ++i) {
        if (i) text += ",\n";
        text += R"({"ts": )" + std::to_string(1700000000 + i) + R"(, "src_ip": "10.0.0.)" + std::to_string(i % 250) + "\"}";
    }
    text += "]";
    auto path = write_file("big.json", text);
    collected c;
    read_stats rs;
    ASSERT_TRUE(read(path, c, rs).ok());
    EXPECT_EQ(c.source_types.size(), static_cast<std::size_t>(n));
    EXPECT_EQ(rs.records, static_cast<std::uint64_t>(n));
    EXPECT_EQ(rs.malformed, 0u);
    EXPECT_GE(c.sink_calls, 3u);
}

TEST(json_document, scan_picks_json_and_ndjson) {
    auto dir = temp_dir() / "scan";
    std::filesystem::create_directories(dir);
    {
        gzFile f = gzopen((dir / "111_CloudTrail_us-east-1_20240201T1000Z_x.json.gz").c_str(), "wb");
        std::string text = std::string("{\"Records\":[") + k_record1 + "," + k_record2 + "]}";
        gzwrite(f, text.data(), static_cast<unsigned>(text.size()));
        gzclose(f);
    }
    std::ofstream(dir / "app.ndjson") << R"({"time":"2024-01-01T00:00:00Z","msg":"a"})" << "\n"
                                      << R"({"time":"2024-01-01T00:00:01Z","msg":"b"})" << "\n";
    scan_options so;
    scan_stats st;
    std::size_t events = 0;
    auto s = scan_paths({dir.string()}, so, [&](event_batch& b) { events += b.size(); }, st);
    ASSERT_TRUE(s.ok()) << s.err().message;
    EXPECT_EQ(st.by_format["json"].events, 2u);
    EXPECT_EQ(st.by_format["json"].malformed, 0u);
    EXPECT_EQ(st.by_format["ndjson"].events, 2u);
    EXPECT_EQ(st.by_format["ndjson"].malformed, 0u);
    EXPECT_EQ(events, 4u);
}
