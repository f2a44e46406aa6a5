#pragma once
// A report as a list of blocks, rendered to HTML or Markdown by the same code path so the two
// always say the same thing. Internal to the report library.
#include <string>
#include <utility>
#include <vector>

namespace mimamori::report::detail {

struct cell {
    std::string text;
    std::string href;   ///< link target (relative file)
    bool num = false;   ///< right-aligned number
    bool code = false;  ///< monospace (ids, raw records)
    std::string cls;    ///< HTML class, e.g. "lv-high"
};

struct block {
    enum kind { h2, h3, para, list, olist, table, chart, facts, note } k = para;
    std::string text;   ///< heading / paragraph / note text; chart: its caption
    std::string id;     ///< anchor of a heading
    std::vector<std::string> items;
    std::vector<std::string> headers;
    std::vector<std::vector<cell>> rows;
    std::string svg;    ///< chart: the SVG (HTML); Markdown shows `headers`/`rows` instead
    std::vector<std::pair<std::string, std::string>> pairs;  ///< facts: label → value

    static block of(kind k, std::string text = {}, std::string id = {}) {
        block b;
        b.k = k;
        b.text = std::move(text);
        b.id = std::move(id);
        return b;
    }
};

struct doc {
    std::string lang;  ///< "en" | "ja"
    std::string title, kicker;
    std::vector<std::pair<std::string, std::string>> head_facts;
    std::vector<block> blocks;
    std::string footer;

    void h2(std::string text, std::string id) { blocks.push_back(block::of(block::h2, std::move(text), std::move(id))); }
    void h3(std::string text) { blocks.push_back(block::of(block::h3, std::move(text))); }
    void para(std::string text) { blocks.push_back(block::of(block::para, std::move(text))); }
    void note(std::string text) { blocks.push_back(block::of(block::note, std::move(text))); }
    void list(std::vector<std::string> items, bool ordered = false) {
        block b = block::of(ordered ? block::olist : block::list);
        b.items = std::move(items);
        blocks.push_back(std::move(b));
    }
    block& table(std::vector<std::string> headers) {
        block b = block::of(block::table);
        b.headers = std::move(headers);
        blocks.push_back(std::move(b));
        return blocks.back();
    }
    block& chart(std::string caption, std::string svg) {
        block b = block::of(block::chart, std::move(caption));
        b.svg = std::move(svg);
        blocks.push_back(std::move(b));
        return blocks.back();
    }
    void facts(std::vector<std::pair<std::string, std::string>> f) {
        block b = block::of(block::facts);
        b.pairs = std::move(f);
        blocks.push_back(std::move(b));
    }
};

std::string to_html(const doc& d);
std::string to_markdown(const doc& d);

/// One bar per (label, value); vertical (days) or horizontal (named things).
std::string svg_columns(const std::vector<std::pair<std::string, double>>& bars, const std::string& color);
std::string svg_bars(const std::vector<std::pair<std::string, double>>& bars, const std::string& color);
/// Horizontal stacked bars: one row per label, one segment per series (with its color).
std::string svg_stacked(const std::vector<std::string>& rows, const std::vector<std::string>& series,
                        const std::vector<std::string>& colors, const std::vector<std::vector<double>>& values,
                        const std::vector<std::string>& series_labels);

/// Swimlanes over time: one row per lane, one bar per item from `from` to `to` (0..1 of the
/// axis), ticks (position 0..1, label) under the plot.
struct lane_item {
    std::size_t lane = 0;
    double from = 0, to = 0;
    std::string color, tip;
};
std::string svg_lanes(const std::vector<std::string>& lanes, const std::vector<lane_item>& items,
                      const std::vector<std::pair<double, std::string>>& ticks,
                      const std::vector<std::pair<std::string, std::string>>& legend);  ///< (color, label)

std::string html_escape(std::string_view s);

}  // namespace mimamori::report::detail
