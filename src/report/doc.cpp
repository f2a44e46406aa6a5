// HTML and Markdown output of a report document, and the inline SVG charts.
#include "report/doc.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace mimamori::report::detail {

std::string html_escape(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            default: out.push_back(c);
        }
    }
    return out;
}

namespace {

// Self-contained: no fonts, scripts or images from anywhere. CJK fonts are named so Japanese
// renders with whatever the reader's system has.
const char* k_css = R"css(
:root{--ink:#1d2430;--muted:#5b6678;--line:#d7dce3;--bg:#f6f7f9;--accent:#1f5f8b}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:15px/1.6 "Noto Sans CJK JP","Noto Sans JP","Hiragino Sans","Yu Gothic UI","Meiryo",system-ui,-apple-system,"Segoe UI",sans-serif}
main{max-width:1000px;margin:24px auto;background:#fff;padding:32px 40px;border:1px solid var(--line);border-radius:6px}
header{border-bottom:3px solid var(--accent);padding-bottom:12px;margin-bottom:8px}
.kicker{color:var(--accent);font-weight:600;letter-spacing:.04em;font-size:13px}
h1{font-size:24px;margin:4px 0 12px;line-height:1.35}
h2{font-size:19px;margin:28px 0 10px;padding-bottom:4px;border-bottom:1px solid var(--line);color:var(--accent)}
h3{font-size:16px;margin:18px 0 6px}
p{margin:8px 0}
.note{color:var(--muted);font-size:13px}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:8px 0}
dl.facts dt{color:var(--muted)} dl.facts dd{margin:0;font-weight:600}
table{border-collapse:collapse;width:100%;margin:8px 0 12px;font-size:13.5px}
th,td{border-bottom:1px solid var(--line);padding:5px 8px;text-align:left;vertical-align:top}
th{background:#eef1f5;font-weight:600}
td:first-child{min-width:6.5em}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.code{font-family:"DejaVu Sans Mono",Consolas,monospace;font-size:12px;word-break:break-all}
.lv{display:inline-block;padding:0 8px;border-radius:10px;color:#fff;font-size:12px;font-weight:600;white-space:nowrap}
.lv-critical{background:#8e1b1b}.lv-high{background:#d84315}.lv-medium{background:#c89100}.lv-low{background:#1565c0}.lv-informational{background:#78909c}
.silent{color:#b71c1c;font-weight:600}
figure{margin:10px 0 16px} figcaption{color:var(--muted);font-size:13px;margin-bottom:4px}
svg{max-width:100%;height:auto} svg text{font-family:inherit;fill:var(--ink)}
ul,ol{margin:6px 0 10px;padding-left:24px} li{margin:3px 0}
footer{margin-top:28px;color:var(--muted);font-size:12px;border-top:1px solid var(--line);padding-top:8px}
a{color:var(--accent)}
@media print{
 @page{size:A4;margin:14mm}
 body{background:#fff;font-size:10.5pt}
 main{margin:0;max-width:none;border:0;padding:0}
 h2{break-after:avoid} tr,figure{break-inside:avoid}
 a{color:inherit;text-decoration:none}
 .lv{border:1px solid #000;-webkit-print-color-adjust:exact;print-color-adjust:exact}
}
)css";

std::string cell_html(const cell& c) {
    std::string t = html_escape(c.text);
    if (!c.cls.empty()) t = "<span class=\"" + c.cls + "\">" + t + "</span>";
    if (!c.href.empty()) t = "<a href=\"" + html_escape(c.href) + "\">" + t + "</a>";
    return t;
}

std::string md_escape(std::string_view s) {
    std::string out;
    for (char c : s) {
        if (c == '|') out += "\\|";
        else if (c == '\n' || c == '\r') out.push_back(' ');
        else if (c == '*' || c == '_' || c == '`' || c == '<' || c == '>' || c == '[' || c == ']') {
            out.push_back('\\');
            out.push_back(c);
        } else out.push_back(c);
    }
    return out;
}

std::string fmt(double v) {
    char b[32];
    if (std::fabs(v - std::round(v)) < 1e-9) std::snprintf(b, sizeof b, "%.0f", v);
    else std::snprintf(b, sizeof b, "%.1f", v);
    return b;
}

// A round axis maximum: 1, 2, 5 × 10^k at or above v.
double nice_max(double v) {
    if (v <= 0) return 1;
    double p = std::pow(10.0, std::floor(std::log10(v)));
    for (double m : {1.0, 2.0, 5.0, 10.0})
        if (m * p >= v) return m * p;
    return 10 * p;
}

// Display width in "half-width" units (CJK counts twice), for sizing label columns.
std::size_t text_width(std::string_view s) {
    std::size_t w = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) ++w;
        else if (c >= 0xE0) w += 2;  // lead byte of a 3/4-byte sequence: CJK and friends
    }
    return w;
}

std::string shorten(const std::string& s, std::size_t max_w) {
    if (text_width(s) <= max_w) return s;
    std::string out;
    std::size_t w = 0;
    for (std::size_t i = 0; i < s.size();) {
        auto c = static_cast<unsigned char>(s[i]);
        std::size_t len = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
        std::size_t cw = c < 0x80 ? 1 : c >= 0xE0 ? 2 : 1;
        if (w + cw > max_w - 1) break;
        out.append(s, i, len);
        w += cw;
        i += len;
    }
    return out + "…";
}

}  // namespace

std::string svg_columns(const std::vector<std::pair<std::string, double>>& bars, const std::string& color) {
    const double W = 920, H = 230, left = 44, right = 10, top = 14, bottom = 46;
    double mx = 0;
    for (const auto& b : bars) mx = std::max(mx, b.second);
    mx = nice_max(mx);
    const double pw = W - left - right, ph = H - top - bottom;
    const double slot = bars.empty() ? pw : pw / static_cast<double>(bars.size());
    std::string s = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + fmt(W) + " " + fmt(H) +
                    "\" width=\"" + fmt(W) + "\" height=\"" + fmt(H) + "\" role=\"img\">";
    for (int g = 0; g <= 4; ++g) {
        double v = mx * g / 4, y = top + ph - ph * g / 4;
        s += "<line x1=\"" + fmt(left) + "\" x2=\"" + fmt(W - right) + "\" y1=\"" + fmt(y) + "\" y2=\"" + fmt(y) +
             "\" stroke=\"#d7dce3\" stroke-width=\"1\"/>";
        s += "<text x=\"" + fmt(left - 6) + "\" y=\"" + fmt(y + 4) + "\" font-size=\"11\" text-anchor=\"end\">" + fmt(v) + "</text>";
    }
    const std::size_t every = std::max<std::size_t>(1, (bars.size() + 14) / 15);
    for (std::size_t i = 0; i < bars.size(); ++i) {
        double h = ph * bars[i].second / mx;
        double x = left + slot * static_cast<double>(i) + slot * 0.15;
        s += "<rect x=\"" + fmt(x) + "\" y=\"" + fmt(top + ph - h) + "\" width=\"" + fmt(slot * 0.7) + "\" height=\"" +
             fmt(h) + "\" fill=\"" + color + "\"><title>" + html_escape(bars[i].first) + ": " + fmt(bars[i].second) +
             "</title></rect>";
        if (i % every == 0) {
            // Days as MM-DD to keep the axis readable.
            std::string lab = bars[i].first.size() == 10 ? bars[i].first.substr(5) : bars[i].first;
            s += "<text x=\"" + fmt(x + slot * 0.35) + "\" y=\"" + fmt(top + ph + 16) +
                 "\" font-size=\"11\" text-anchor=\"middle\">" + html_escape(lab) + "</text>";
        }
    }
    s += "<line x1=\"" + fmt(left) + "\" x2=\"" + fmt(W - right) + "\" y1=\"" + fmt(top + ph) + "\" y2=\"" + fmt(top + ph) +
         "\" stroke=\"#5b6678\" stroke-width=\"1\"/></svg>";
    return s;
}

std::string svg_bars(const std::vector<std::pair<std::string, double>>& bars, const std::string& color) {
    std::size_t lw = 8;
    for (const auto& b : bars) lw = std::max(lw, std::min<std::size_t>(48, text_width(b.first)));
    const double label_w = static_cast<double>(lw) * 6.8 + 10, W = 920, row = 24, top = 4;
    const double H = top * 2 + row * static_cast<double>(bars.size());
    double mx = 0;
    for (const auto& b : bars) mx = std::max(mx, b.second);
    if (mx <= 0) mx = 1;
    const double pw = W - label_w - 70;
    std::string s = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + fmt(W) + " " + fmt(H) + "\" width=\"" +
                    fmt(W) + "\" height=\"" + fmt(H) + "\" role=\"img\">";
    for (std::size_t i = 0; i < bars.size(); ++i) {
        double y = top + row * static_cast<double>(i);
        double w = std::max(1.0, pw * bars[i].second / mx);
        s += "<text x=\"" + fmt(label_w - 8) + "\" y=\"" + fmt(y + 16) + "\" font-size=\"12\" text-anchor=\"end\">" +
             html_escape(shorten(bars[i].first, 48)) + "</text>";
        s += "<rect x=\"" + fmt(label_w) + "\" y=\"" + fmt(y + 4) + "\" width=\"" + fmt(w) + "\" height=\"16\" fill=\"" +
             color + "\"/>";
        s += "<text x=\"" + fmt(label_w + w + 6) + "\" y=\"" + fmt(y + 16) + "\" font-size=\"12\">" + fmt(bars[i].second) +
             "</text>";
    }
    return s + "</svg>";
}

std::string svg_stacked(const std::vector<std::string>& rows, const std::vector<std::string>& series,
                        const std::vector<std::string>& colors, const std::vector<std::vector<double>>& values,
                        const std::vector<std::string>& series_labels) {
    (void)series;
    std::size_t lw = 6;
    for (const auto& r : rows) lw = std::max(lw, text_width(r));
    const double label_w = static_cast<double>(lw) * 7 + 12, W = 920, row = 30, legend = 28;
    const double H = legend + row * static_cast<double>(rows.size()) + 6;
    double mx = 0;
    for (const auto& v : values) {
        double t = 0;
        for (double x : v) t += x;
        mx = std::max(mx, t);
    }
    if (mx <= 0) mx = 1;
    const double pw = W - label_w - 70;
    std::string s = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + fmt(W) + " " + fmt(H) + "\" width=\"" +
                    fmt(W) + "\" height=\"" + fmt(H) + "\" role=\"img\">";
    double lx = label_w;
    for (std::size_t k = 0; k < series_labels.size(); ++k) {
        s += "<rect x=\"" + fmt(lx) + "\" y=\"6\" width=\"12\" height=\"12\" fill=\"" + colors[k] + "\"/>";
        s += "<text x=\"" + fmt(lx + 16) + "\" y=\"16\" font-size=\"12\">" + html_escape(series_labels[k]) + "</text>";
        lx += 24 + static_cast<double>(text_width(series_labels[k])) * 7;
    }
    for (std::size_t i = 0; i < rows.size(); ++i) {
        double y = legend + row * static_cast<double>(i);
        s += "<text x=\"" + fmt(label_w - 8) + "\" y=\"" + fmt(y + 18) + "\" font-size=\"13\" text-anchor=\"end\">" +
             html_escape(rows[i]) + "</text>";
        double x = label_w, total = 0;
        for (std::size_t k = 0; k < values[i].size(); ++k) {
            double w = pw * values[i][k] / mx;
            total += values[i][k];
            if (w <= 0) continue;
            s += "<rect x=\"" + fmt(x) + "\" y=\"" + fmt(y + 4) + "\" width=\"" + fmt(w) + "\" height=\"20\" fill=\"" +
                 colors[k] + "\"><title>" + html_escape(series_labels[k]) + ": " + fmt(values[i][k]) + "</title></rect>";
            x += w;
        }
        s += "<text x=\"" + fmt(x + 6) + "\" y=\"" + fmt(y + 18) + "\" font-size=\"12\">" + fmt(total) + "</text>";
    }
    return s + "</svg>";
}

std::string svg_lanes(const std::vector<std::string>& lanes, const std::vector<lane_item>& items,
                      const std::vector<std::pair<double, std::string>>& ticks,
                      const std::vector<std::pair<std::string, std::string>>& legend) {
    std::size_t lw = 6;
    for (const auto& l : lanes) lw = std::max(lw, text_width(l));
    const double label_w = static_cast<double>(lw) * 7 + 14, W = 920, lane_h = 40, right = 16, bottom = 24, top = 24;
    const double H = top + lane_h * static_cast<double>(lanes.size()) + bottom;
    const double plot_h = lane_h * static_cast<double>(lanes.size());
    const double pw = W - label_w - right;
    std::string s = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + fmt(W) + " " + fmt(H) + "\" width=\"" +
                    fmt(W) + "\" height=\"" + fmt(H) + "\" role=\"img\">";
    double lx = label_w;
    for (const auto& [color, label] : legend) {
        s += "<rect x=\"" + fmt(lx) + "\" y=\"6\" width=\"12\" height=\"10\" fill=\"" + color + "\"/>";
        s += "<text x=\"" + fmt(lx + 16) + "\" y=\"15\" font-size=\"12\">" + html_escape(label) + "</text>";
        lx += 24 + static_cast<double>(text_width(label)) * 7;
    }
    s += "<g transform=\"translate(0," + fmt(top) + ")\">";
    for (std::size_t i = 0; i < lanes.size(); ++i) {
        double y = lane_h * static_cast<double>(i);
        if (i % 2 == 0)
            s += "<rect x=\"" + fmt(label_w) + "\" y=\"" + fmt(y) + "\" width=\"" + fmt(pw) + "\" height=\"" + fmt(lane_h) +
                 "\" fill=\"#f3f5f8\"/>";
        s += "<text x=\"" + fmt(label_w - 8) + "\" y=\"" + fmt(y + lane_h / 2 + 4) + "\" font-size=\"12\" text-anchor=\"end\">" +
             html_escape(lanes[i]) + "</text>";
    }
    for (const auto& [pos, label] : ticks) {
        double x = label_w + pw * pos;
        s += "<line x1=\"" + fmt(x) + "\" x2=\"" + fmt(x) + "\" y1=\"0\" y2=\"" + fmt(plot_h) +
             "\" stroke=\"#d7dce3\" stroke-width=\"1\"/>";
        const char* anchor = pos < 0.05 ? "start" : pos > 0.95 ? "end" : "middle";
        s += "<text x=\"" + fmt(x) + "\" y=\"" + fmt(plot_h + 16) + "\" font-size=\"11\" text-anchor=\"" + anchor + "\">" +
             html_escape(label) + "</text>";
    }
    // Items of a lane take turns on three rows so that alerts at the same time stay visible.
    std::vector<std::size_t> per_lane(lanes.size(), 0);
    for (const auto& it : items) {
        if (it.lane >= lanes.size()) continue;
        std::size_t k = per_lane[it.lane]++;
        double x = label_w + pw * std::clamp(it.from, 0.0, 1.0);
        double w = std::max(4.0, pw * (std::clamp(it.to, 0.0, 1.0) - std::clamp(it.from, 0.0, 1.0)));
        if (x + w > label_w + pw) x = label_w + pw - w;
        double y = lane_h * static_cast<double>(it.lane) + 6 + static_cast<double>(k % 3) * 10;
        s += "<rect x=\"" + fmt(x) + "\" y=\"" + fmt(y) + "\" width=\"" + fmt(w) + "\" height=\"8\" rx=\"2\" fill=\"" + it.color +
             "\"><title>" + html_escape(it.tip) + "</title></rect>";
    }
    return s + "</g></svg>";
}

std::string to_html(const doc& d) {
    std::string o = "<!DOCTYPE html>\n<html lang=\"" + d.lang + "\">\n<head>\n<meta charset=\"utf-8\">\n"
                    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>" +
                    html_escape(d.title) + "</title>\n<style>" + k_css + "</style>\n</head>\n<body>\n<main>\n<header>\n";
    o += "<div class=\"kicker\">" + html_escape(d.kicker) + "</div>\n<h1>" + html_escape(d.title) + "</h1>\n";
    if (!d.head_facts.empty()) {
        o += "<dl class=\"facts\">";
        for (const auto& [k, v] : d.head_facts) o += "<dt>" + html_escape(k) + "</dt><dd>" + html_escape(v) + "</dd>";
        o += "</dl>\n";
    }
    o += "</header>\n";
    for (const auto& b : d.blocks) {
        switch (b.k) {
            case block::h2: o += "<h2 id=\"" + b.id + "\">" + html_escape(b.text) + "</h2>\n"; break;
            case block::h3: o += "<h3>" + html_escape(b.text) + "</h3>\n"; break;
            case block::para: o += "<p>" + html_escape(b.text) + "</p>\n"; break;
            case block::note: o += "<p class=\"note\">" + html_escape(b.text) + "</p>\n"; break;
            case block::list:
            case block::olist: {
                const char* tag = b.k == block::list ? "ul" : "ol";
                o += std::string("<") + tag + ">";
                for (const auto& it : b.items) o += "<li>" + html_escape(it) + "</li>";
                o += std::string("</") + tag + ">\n";
                break;
            }
            case block::facts:
                o += "<dl class=\"facts\">";
                for (const auto& [k, v] : b.pairs) o += "<dt>" + html_escape(k) + "</dt><dd>" + html_escape(v) + "</dd>";
                o += "</dl>\n";
                break;
            case block::chart:
                o += "<figure><figcaption>" + html_escape(b.text) + "</figcaption>" + b.svg + "</figure>\n";
                break;
            case block::table: {
                o += "<table><thead><tr>";
                bool first_num = !b.rows.empty();
                std::vector<bool> num(b.headers.size(), false);
                for (std::size_t c = 0; c < b.headers.size(); ++c) {
                    bool all = first_num;
                    for (const auto& r : b.rows)
                        if (c < r.size() && !r[c].num) all = false;
                    num[c] = all;
                }
                for (std::size_t c = 0; c < b.headers.size(); ++c)
                    o += std::string(num[c] ? "<th class=\"num\">" : "<th>") + html_escape(b.headers[c]) + "</th>";
                o += "</tr></thead><tbody>\n";
                for (const auto& r : b.rows) {
                    o += "<tr>";
                    for (const auto& c : r)
                        o += std::string(c.num ? "<td class=\"num\">" : c.code ? "<td class=\"code\">" : "<td>") +
                             cell_html(c) + "</td>";
                    o += "</tr>\n";
                }
                o += "</tbody></table>\n";
                break;
            }
        }
    }
    o += "<footer>" + html_escape(d.footer) + "</footer>\n</main>\n</body>\n</html>\n";
    return o;
}

std::string to_markdown(const doc& d) {
    std::string o = "# " + md_escape(d.title) + "\n\n";
    if (!d.kicker.empty()) o += "*" + md_escape(d.kicker) + "*\n\n";
    for (const auto& [k, v] : d.head_facts) o += "- **" + md_escape(k) + "**: " + md_escape(v) + "\n";
    if (!d.head_facts.empty()) o += "\n";
    auto table = [&](const std::vector<std::string>& headers, const std::vector<std::vector<cell>>& rows) {
        o += "|";
        for (const auto& h : headers) o += " " + md_escape(h) + " |";
        o += "\n|";
        for (std::size_t c = 0; c < headers.size(); ++c) {
            bool num = !rows.empty() && c < rows[0].size() && rows[0][c].num;
            o += num ? " ---: |" : " --- |";
        }
        o += "\n";
        for (const auto& r : rows) {
            o += "|";
            for (const auto& c : r) {
                std::string t = c.code ? "`" + std::string(c.text).replace(0, 0, "") + "`" : md_escape(c.text);
                if (c.code) {
                    std::string x = c.text;
                    std::replace(x.begin(), x.end(), '`', '\'');
                    std::replace(x.begin(), x.end(), '|', '/');
                    std::replace(x.begin(), x.end(), '\n', ' ');
                    t = "`" + x + "`";
                }
                if (!c.href.empty()) {
                    // Reports link to their siblings; in Markdown, to the Markdown sibling.
                    std::string href = c.href;
                    if (href.find("://") == std::string::npos && href.size() > 5 && href.ends_with(".html"))
                        href = href.substr(0, href.size() - 5) + ".md";
                    t = "[" + t + "](" + href + ")";
                }
                o += " " + t + " |";
            }
            o += "\n";
        }
        o += "\n";
    };
    for (const auto& b : d.blocks) {
        switch (b.k) {
            case block::h2: o += "## " + md_escape(b.text) + "\n\n"; break;
            case block::h3: o += "### " + md_escape(b.text) + "\n\n"; break;
            case block::para: o += md_escape(b.text) + "\n\n"; break;
            case block::note: o += "> " + md_escape(b.text) + "\n\n"; break;
            case block::list:
                for (const auto& it : b.items) o += "- " + md_escape(it) + "\n";
                o += "\n";
                break;
            case block::olist:
                for (std::size_t i = 0; i < b.items.size(); ++i) o += std::to_string(i + 1) + ". " + md_escape(b.items[i]) + "\n";
                o += "\n";
                break;
            case block::facts:
                o += "| | |\n| --- | ---: |\n";
                for (const auto& [k, v] : b.pairs) o += "| " + md_escape(k) + " | " + md_escape(v) + " |\n";
                o += "\n";
                break;
            case block::chart:
                if (!b.text.empty()) o += "*" + md_escape(b.text) + "*\n\n";
                if (!b.headers.empty()) table(b.headers, b.rows);
                break;
            case block::table: table(b.headers, b.rows); break;
        }
    }
    if (!d.footer.empty()) o += "---\n\n" + md_escape(d.footer) + "\n";
    return o;
}

}  // namespace mimamori::report::detail
