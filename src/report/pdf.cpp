// PDF through headless Chromium, when it is installed.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "report/report.hpp"

extern char** environ;

namespace mimamori::report {

std::string find_chromium() {
    if (const char* e = std::getenv("MIMAMORI_CHROMIUM"); e && *e && ::access(e, X_OK) == 0) return e;
    const char* path = std::getenv("PATH");
    std::string p = path ? path : "/usr/bin:/bin";
    for (const char* name : {"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}) {
        std::size_t i = 0;
        while (i <= p.size()) {
            std::size_t j = p.find(':', i);
            if (j == std::string::npos) j = p.size();
            std::string cand = p.substr(i, j - i) + "/" + name;
            if (j > i && ::access(cand.c_str(), X_OK) == 0) return cand;
            i = j + 1;
        }
    }
    return {};
}

status html_to_pdf(const std::string& html_path, const std::string& pdf_path) {
    std::string chrome = find_chromium();
    if (chrome.empty())
        return error{"report.no_chromium",
                     "PDF needs Chromium (Debian: apt-get install chromium); write --format html and print it from a browser instead"};
    std::error_code ec;
    auto abs_html = std::filesystem::absolute(html_path, ec).string();
    auto abs_pdf = std::filesystem::absolute(pdf_path, ec).string();
    std::vector<std::string> args = {chrome, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                                     "--print-to-pdf=" + abs_pdf, "file://" + abs_html};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid = 0;
    int rc = posix_spawn(&pid, chrome.c_str(), &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) return error{"report.chromium", "cannot start " + chrome};
    int st = 0;
    if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return error{"report.chromium", chrome + " failed to print " + html_path};
    if (!std::filesystem::exists(abs_pdf, ec) || std::filesystem::file_size(abs_pdf, ec) == 0)
        return error{"report.chromium", chrome + " wrote no PDF for " + html_path};
    return {};
}

}  // namespace mimamori::report
