#pragma once
/// Stage 1 of loading (reader): YAML text → Sigma documents. Handles single- and multi-document
/// files, including the legacy `action: global / reset / repeat` collections. Checks structure
/// (required keys, shapes of detection items) and collects every problem with its line; it
/// does not interpret modifiers or conditions (that is the compiler's job).
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "detect/sigma/ast.hpp"

namespace mimamori::sigma {

struct read_item {
    std::shared_ptr<rule_doc> doc;
    std::vector<problem> problems;  ///< the reader's findings for this document
    bool ok() const;                ///< no error among problems
};

struct read_result {
    std::vector<read_item> items;
    std::vector<problem> file_problems;  ///< problems not tied to one document (unreadable, bad YAML)
};

/// Read every document of one file.
void read_file(const std::string& path, read_result& out);
/// Read every document of a YAML text; `file` names it in problems.
void read_text(std::string_view text, const std::string& file, read_result& out);

}  // namespace mimamori::sigma
