#include "server/files.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <glob.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>

#include "ingest/line_reader.hpp"

namespace mimamori::server {

std::string sha256(std::string_view data) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_Digest(data.data(), data.size(), md, &n, EVP_sha256(), nullptr);
    return std::string(reinterpret_cast<char*>(md), n);
}

namespace {

constexpr std::size_t k_head = 1024;             // bytes that identify a file's content
constexpr std::size_t k_read = 1 << 20;          // bytes read per step
constexpr std::size_t k_max_line = 1 << 20;      // a longer line is cut (as line_reader does)
constexpr std::size_t k_chunk_lines = 4096;

void log_line(const std::string& s) { std::fprintf(stderr, "mimamori serve: %s\n", s.c_str()); }

timestamp_ns now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string key_of(const struct stat& st) {
    return "file:" + std::to_string(static_cast<unsigned long long>(st.st_dev)) + ":" +
           std::to_string(static_cast<unsigned long long>(st.st_ino));
}

bool pread_all(int fd, std::uint64_t off, std::size_t n, std::string& out) {
    out.resize(n);
    std::size_t got = 0;
    while (got < n) {
        ssize_t r = ::pread(fd, out.data() + got, n - got, static_cast<off_t>(off + got));
        if (r < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        if (r == 0) break;
        got += static_cast<std::size_t>(r);
    }
    out.resize(got);
    return true;
}

bool is_gzip(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    unsigned char b[2] = {0, 0};
    bool gz = ::read(fd, b, 2) == 2 && b[0] == 0x1f && b[1] == 0x8b;
    ::close(fd);
    return gz;
}

struct followed {
    std::string key, path;
    int fd = -1;
    std::size_t input = 0;
    std::uint64_t offset = 0;     // bytes handed over (always at a line start)
    std::uint64_t head_len = 0;
    std::string head_hash;
    std::uint64_t last_size = 0;
    bool rotated = false;         // its path points elsewhere now: drain and close
    bool seen = false;
    int idle = 0;
    ~followed() {
        if (fd >= 0) ::close(fd);
    }
};

}  // namespace

struct file_followers::impl {
    pipeline& pipe;
    metrics& met;
    std::vector<file_input> inputs;
    std::vector<const route*> routes;
    std::map<std::string, store::checkpoint> checkpoints;  // as stored at start
    std::map<std::string, std::unique_ptr<followed>> files;
    std::map<std::string, bool> archives_done;  // path → handled in this run
    int poll_ms = 200;
    std::thread thread;
    std::mutex mu;
    std::condition_variable cv;
    bool stopping = false;
    std::atomic<std::uint64_t> polls{0};
    std::string buf;

    impl(pipeline& p, metrics& m) : pipe(p), met(m) {}

    bool stop_requested() {
        std::lock_guard lk(mu);
        return stopping;
    }

    // Does the file's current head still match what we recorded?
    bool head_matches(int fd, std::uint64_t len, const std::string& hash) {
        if (len == 0) return true;
        std::string h;
        if (!pread_all(fd, 0, static_cast<std::size_t>(len), h) || h.size() != len) return false;
        return sha256(h) == hash;
    }

    void open_file(const std::string& path, const struct stat& st, std::size_t input, bool rotated) {
        int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            routes[input]->metrics->read_errors++;
            return;
        }
        auto f = std::make_unique<followed>();
        f->key = key_of(st);
        f->path = path;
        f->fd = fd;
        f->input = input;
        f->rotated = rotated;
        auto it = checkpoints.find(f->key);
        if (it != checkpoints.end()) {
            const auto& c = it->second;
            if (c.done) {
                // Finished earlier (a rotated file drained to its end): nothing more to read.
                f->offset = static_cast<std::uint64_t>(st.st_size);
                f->rotated = true;
            } else if (static_cast<std::uint64_t>(st.st_size) >= c.offset && head_matches(fd, c.head_len, c.head_hash)) {
                f->offset = c.offset;
                f->head_len = c.head_len;
                f->head_hash = c.head_hash;
            } else {
                log_line(path + ": changed since its checkpoint (truncated or replaced); reading it from the start");
            }
        } else if (!rotated) {
            f->offset = copied_offset(fd, static_cast<std::uint64_t>(st.st_size));
            if (f->offset > 0) {
                log_line(path + ": a copy of a file already read (copytruncate); reading it from byte " +
                         std::to_string(f->offset));
                // Record the starting point now: after a restart the copy is known by its checkpoint.
                update_head(*f);
                input_chunk c;
                send(c, *f, false);
            }
        }
        files[f->key] = std::move(f);
    }

    // A new file whose first bytes are those of a file we have read (or are reading) is a copy
    // of it — logrotate's copytruncate makes one, and a pattern like "app.log*" matches it. It
    // is read only past what the original's reading covered, so no line is stored twice. Heads
    // shorter than k_min_copy_head are too likely to be shared by unrelated files to decide.
    std::uint64_t copied_offset(int fd, std::uint64_t size) {
        constexpr std::uint64_t k_min_copy_head = 128;
        std::string head;
        if (!pread_all(fd, 0, static_cast<std::size_t>(std::min<std::uint64_t>(k_head, size)), head)) return 0;
        std::uint64_t best = 0;
        auto consider = [&](std::uint64_t len, const std::string& hash, std::uint64_t offset) {
            if (len < k_min_copy_head || len > head.size()) return;
            if (sha256(std::string_view(head).substr(0, static_cast<std::size_t>(len))) == hash)
                best = std::max(best, std::min(offset, size));
        };
        for (const auto& [k, f] : files) consider(f->head_len, f->head_hash, f->offset);
        for (const auto& [k, c] : checkpoints)
            if (k.rfind("file:", 0) == 0) consider(c.head_len, c.head_hash, c.offset);
        return best;
    }

    // After a restart, a file rotated away (renamed out of the patterns) while we were down may
    // still hold lines we never read: find it by inode next to where it was.
    void recover_rotated() {
        for (const auto& [key, c] : checkpoints) {
            if (c.done || key.rfind("file:", 0) != 0 || files.count(key)) continue;
            auto slash = c.path.rfind('/');
            std::string dir = slash == std::string::npos ? "." : c.path.substr(0, slash);
            DIR* d = ::opendir(dir.c_str());
            if (!d) continue;
            while (auto* ent = ::readdir(d)) {
                std::string p = dir + "/" + ent->d_name;
                struct stat st {};
                if (::stat(p.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
                if (key_of(st) != key) continue;
                std::size_t input = 0;
                for (std::size_t i = 0; i < inputs.size(); ++i)
                    for (const auto& pat : inputs[i].paths)
                        if (pat.rfind(dir, 0) == 0) input = i;
                open_file(p, st, input, true);
                break;
            }
            ::closedir(d);
        }
    }

    void scan_patterns() {
        for (auto& [k, f] : files) f->seen = false;
        for (std::size_t i = 0; i < inputs.size(); ++i) {
            for (const auto& pat : inputs[i].paths) {
                glob_t g{};
                if (::glob(pat.c_str(), GLOB_NOSORT, nullptr, &g) == 0) {
                    for (std::size_t k = 0; k < g.gl_pathc; ++k) {
                        std::string p = g.gl_pathv[k];
                        struct stat st {};
                        if (::stat(p.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
                        auto key = key_of(st);
                        auto it = files.find(key);
                        if (it != files.end()) {
                            it->second->seen = true;
                            it->second->rotated = false;
                            it->second->path = p;
                            continue;
                        }
                        if (is_gzip(p)) {
                            if (inputs[i].read_archives && !archives_done[p]) {
                                archives_done[p] = true;
                                read_archive(p, i);
                            }
                            continue;
                        }
                        open_file(p, st, i, false);
                        files[key]->seen = true;
                    }
                }
                ::globfree(&g);
            }
        }
        // A followed file no pattern matches any more, or whose path is now another file, was
        // rotated away or deleted: read it to its end, then let it go.
        for (auto& [k, f] : files) {
            if (f->rotated) continue;
            struct stat st {};
            if (!f->seen || ::stat(f->path.c_str(), &st) != 0 || key_of(st) != f->key) f->rotated = true;
        }
    }

    void send(input_chunk& c, followed& f, bool done) {
        c.file = f.path;
        c.received = now_ns();
        store::checkpoint cp;
        cp.key = f.key;
        cp.path = f.path;
        cp.offset = f.offset;
        cp.head_len = f.head_len;
        cp.head_hash = f.head_hash;
        cp.done = done;
        checkpoints[cp.key] = cp;  // the latest position, for files opened again and copies
        c.checkpoint = std::move(cp);
        auto* sm = routes[f.input]->metrics;
        sm->messages.fetch_add(c.messages.size(), std::memory_order_relaxed);
        pipe.push(std::move(c));
        c = input_chunk{};
    }

    void update_head(followed& f) {
        if (f.head_len >= k_head || f.offset <= f.head_len) return;
        std::uint64_t len = std::min<std::uint64_t>(k_head, f.offset);
        std::string h;
        if (pread_all(f.fd, 0, static_cast<std::size_t>(len), h) && h.size() == len) {
            f.head_len = len;
            f.head_hash = sha256(h);
        }
    }

    // Read what is new in one file; returns true when anything was read.
    bool read_file(followed& f) {
        struct stat st {};
        if (::fstat(f.fd, &st) != 0) return false;
        auto size = static_cast<std::uint64_t>(st.st_size);
        if (size < f.offset || (size != f.last_size && !head_matches(f.fd, f.head_len, f.head_hash))) {
            log_line(f.path + ": truncated or replaced; reading it again from the start");
            f.offset = 0;
            f.head_len = 0;
            f.head_hash.clear();
        }
        f.last_size = size;
        bool any = false;
        const route* via = routes[f.input];
        auto* sm = via->metrics;
        input_chunk c;
        while (f.offset < size && !stop_requested()) {
            std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(k_read, size - f.offset));
            if (!pread_all(f.fd, f.offset, want, buf)) {
                sm->read_errors++;
                break;
            }
            if (buf.empty()) break;
            std::string_view data(buf);
            std::size_t pos = 0;
            bool progressed = false;
            while (pos < data.size()) {
                const char* nl = static_cast<const char*>(std::memchr(data.data() + pos, '\n', data.size() - pos));
                std::size_t end;
                std::size_t next;
                if (nl) {
                    end = static_cast<std::size_t>(nl - data.data());
                    next = end + 1;
                } else if (data.size() - pos >= k_max_line) {
                    end = pos + k_max_line;  // an over-long line: cut it here
                    next = end;
                    sm->truncated++;
                } else if (f.rotated && f.idle >= 2 && f.offset + data.size() == size) {
                    end = data.size();  // the last line of a finished file, without its LF
                    next = end;
                } else {
                    break;  // an incomplete line: wait for the rest
                }
                std::string_view line = data.substr(pos, end - pos);
                if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
                std::uint64_t line_off = f.offset + pos;
                sm->bytes.fetch_add(next - pos, std::memory_order_relaxed);
                if (!line.empty()) c.add(line, via, -1, line_off);
                pos = next;
                progressed = true;
                if (c.messages.size() >= k_chunk_lines) {
                    f.offset += pos;
                    data = data.substr(pos);
                    update_head(f);
                    send(c, f, false);
                    buf.erase(0, pos);
                    data = std::string_view(buf);
                    pos = 0;
                    any = true;
                }
            }
            if (pos > 0) {
                f.offset += pos;
                update_head(f);
                any = true;
            }
            if (!progressed) break;
        }
        if (any || !c.messages.empty()) send(c, f, false);
        return any;
    }

    void read_archive(const std::string& path, std::size_t input) {
        auto head = ingest::read_head(path, k_head);
        std::string key = "gz:" + store::to_hex(sha256(head)) + ":" + std::to_string(head.size());
        std::uint64_t start = 0;
        auto it = checkpoints.find(key);
        if (it != checkpoints.end()) {
            if (it->second.done) return;
            start = it->second.offset;
        } else {
            // The same content read earlier as a plain file (before it was rotated and compressed).
            for (const auto& [k, c] : checkpoints) {
                if (k.rfind("file:", 0) != 0 || c.head_len == 0 || c.head_len > head.size()) continue;
                if (sha256(std::string_view(head).substr(0, c.head_len)) == c.head_hash) {
                    start = std::max(start, c.offset);
                }
            }
        }
        auto r = ingest::line_reader::open(path);
        if (!r) {
            routes[input]->metrics->read_errors++;
            log_line(path + ": " + r.err().message);
            return;
        }
        auto& reader = *r.value();
        const route* via = routes[input];
        input_chunk c;
        followed pseudo;
        pseudo.key = key;
        pseudo.path = path;
        pseudo.input = input;
        std::string_view line;
        std::uint64_t next_off = start;
        while (!stop_requested() && reader.next(line)) {
            std::uint64_t off = reader.line_offset();
            if (off < start) continue;
            next_off = off + line.size() + 1;
            if (!line.empty()) c.add(line, via, -1, off);
            if (c.messages.size() >= k_chunk_lines) {
                pseudo.offset = next_off;
                send(c, pseudo, false);
            }
        }
        bool finished = !stop_requested() && reader.read_error().empty();
        pseudo.offset = next_off;
        send(c, pseudo, finished);
        if (!reader.read_error().empty()) {
            routes[input]->metrics->read_errors++;
            log_line(path + ": " + reader.read_error());
        }
    }

    void run() {
        bool first = true;
        while (!stop_requested()) {
            scan_patterns();
            if (first) {
                // Only now is it known which checkpointed files the patterns still match.
                recover_rotated();
                first = false;
            }
            std::vector<std::string> gone;
            for (auto& [k, f] : files) {
                if (stop_requested()) break;
                bool any = read_file(*f);
                f->idle = any ? 0 : f->idle + 1;
                if (f->rotated && f->idle >= 3) {
                    // Drained and quiet: the final checkpoint says it is finished.
                    input_chunk c;
                    send(c, *f, true);
                    gone.push_back(k);
                }
            }
            for (const auto& k : gone) files.erase(k);
            polls++;
            std::unique_lock lk(mu);
            cv.wait_for(lk, std::chrono::milliseconds(poll_ms), [&] { return stopping; });
        }
    }
};

file_followers::file_followers(pipeline& p, metrics& m) : m(std::make_unique<impl>(p, m)) {}
file_followers::~file_followers() { stop(); }

status file_followers::start(const std::vector<file_input>& inputs, const std::vector<const route*>& routes,
                             const std::vector<store::checkpoint>& initial, int poll_ms) {
    m->inputs = inputs;
    m->routes = routes;
    m->poll_ms = poll_ms;
    for (const auto& c : initial) m->checkpoints[c.key] = c;
    if (inputs.empty()) return {};
    m->thread = std::thread([this] { m->run(); });
    return {};
}

void file_followers::stop() {
    {
        std::lock_guard lk(m->mu);
        m->stopping = true;
    }
    m->cv.notify_all();
    if (m->thread.joinable()) m->thread.join();
}

std::uint64_t file_followers::polls() const { return m->polls; }

}  // namespace mimamori::server
