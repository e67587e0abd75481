// trace.cpp: KIT_TRACE output, text on stderr or JSON lines in a file (see trace.hpp).
#include "trace.hpp"

#include "errors.hpp"
#include "events.hpp"
#include "fd.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <iterator>
#include <mutex>
#include <unordered_map>

namespace kit {

namespace tracing {

namespace {

enum class Mode { off, text, json };

constexpr std::size_t kBufferBytes = 64 * 1024;  // written out when it holds this much

// The JSON writer: one per process, shared by the loop thread and the pool's workers.
struct Writer {
    std::mutex mutex;
    UniqueFd fd;
    std::string buffer;
    std::int64_t iteration = -1;                               // -1: before the first turn
    std::unordered_map<std::uint64_t, std::string_view> kinds; // handle id -> kind (never erased)
    std::unordered_map<std::uint64_t, int> fds;                // handle id -> its descriptor
    std::unordered_map<int, std::string> labels;               // descriptor -> "socket#2"
    bool exited = false;
    bool broken = false;
    long pid = 0;

    ~Writer() { write(); }  // a return from main() or exit(): static destructors run

    // Write the buffer to the file; called with the mutex held (or at exit).
    void write() {
        std::size_t done = 0;
        while (!broken && done < buffer.size()) {
            const ssize_t n = ::write(fd.get(), buffer.data() + done, buffer.size() - done);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                // A full disk, say: the program goes on without its trace.
                fmt::print(stderr, "KIT_TRACE: write failed: {}; the trace stops here\n",
                           errorDescription(n < 0 ? errno : EIO));
                broken = true;
                break;
            }
            done += static_cast<std::size_t>(n);
        }
        buffer.clear();
    }
};

Writer& writer() {
    static Writer w;
    return w;
}

std::int64_t nowUs() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);  // the clock of Node's process.hrtime
    return static_cast<std::int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

// A JSON string: quotes, backslashes and control characters escaped.
void quoted(std::string& out, std::string_view s) {
    out += '"';
    for (const char c : s) {
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\t': out += "\\t"; break;
        case '\r': out += "\\r"; break;
        default:
            if (static_cast<unsigned char>(c) < 0x20) fmt::format_to(std::back_inserter(out), "\\u{:04x}", static_cast<int>(c));
            else out += c;
        }
    }
    out += '"';
}

// The fields every record starts with; the caller appends its own and calls end().
std::string& begin(Writer& w, std::string_view ev) {
    std::string& out = w.buffer;
    fmt::format_to(std::back_inserter(out), "{{\"t\":{},\"pid\":{},\"src\":\"kit\",\"it\":", nowUs(), w.pid);
    if (w.iteration < 0) out += "null";
    else fmt::format_to(std::back_inserter(out), "{}", w.iteration);
    out += ",\"ev\":";
    quoted(out, ev);
    return out;
}

void end(Writer& w) {
    w.buffer += "}\n";
    if (w.buffer.size() >= kBufferBytes) w.write();
}

// "r", "w", "rw", then whatever else poll(2) reported: "r+hup", "err+hup".
std::string pollFlags(short events) {
    std::string s;
    if (events & POLLIN) s += 'r';
    if (events & POLLOUT) s += 'w';
    const std::pair<short, const char*> extra[] = {{POLLPRI, "pri"}, {POLLRDHUP, "rdhup"}, {POLLHUP, "hup"},
                                                   {POLLERR, "err"}, {POLLNVAL, "nval"}};
    for (const auto& [bit, name] : extra) {
        if (!(events & bit)) continue;
        if (!s.empty()) s += '+';
        s += name;
    }
    return s;
}

#ifndef KIT_TRACE_COMPILED_OUT  // (compiled out: KIT_TRACE is never read, see trace.hpp)
// The program's arguments, from /proc/self/cmdline (read before main() has them).
std::string argvJson() {
    std::string out = "[";
    std::string raw;
    if (std::FILE* f = std::fopen("/proc/self/cmdline", "re")) {
        char chunk[4096];
        std::size_t n;
        while ((n = std::fread(chunk, 1, sizeof chunk, f)) > 0) raw.append(chunk, n);
        std::fclose(f);
    }
    std::size_t start = 0;
    while (start < raw.size()) {
        const std::size_t zero = raw.find('\0', start);
        const std::size_t stop = zero == std::string::npos ? raw.size() : zero;
        if (out.size() > 1) out += ',';
        quoted(out, std::string_view(raw).substr(start, stop - start));
        start = stop + 1;
    }
    return out + "]";
}

// Read KIT_TRACE once, before main(); for json:PATH, open PATH and write the start record.
Mode startUp() {
    const char* v = std::getenv("KIT_TRACE");
    if (v == nullptr || *v == '\0' || std::strcmp(v, "0") == 0) return Mode::off;
    if (std::strncmp(v, "json:", 5) != 0) return Mode::text;
    // "%p" in PATH becomes the process id (as in valgrind's --log-file): a program whose
    // children inherit the variable gets one file per process instead of one clobbered.
    std::string path = v + 5;
    for (std::size_t at = path.find("%p"); at != std::string::npos; at = path.find("%p", at))
        path.replace(at, 2, std::to_string(::getpid()));
    Writer& w = writer();
    w.fd.reset(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!w.fd) {
        fmt::print(stderr, "KIT_TRACE: cannot open '{}': {}; tracing is off\n", path, errorDescription(errno));
        return Mode::off;
    }
    // Out of the low numbers, as the epoll descriptor (poller.cpp), just below it: the
    // program's descriptors keep the numbers they have untraced, which the trace shows.
    rlimit lim{};
    if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur > 2) {
        const auto high = static_cast<int>(std::min<rlim_t>(lim.rlim_cur - 2, 1022));
        if (high > w.fd.get()) {
            UniqueFd moved(::fcntl(w.fd.get(), F_DUPFD_CLOEXEC, high));
            if (moved) w.fd = std::move(moved);
        }
    }
    w.pid = static_cast<long>(::getpid());
    w.buffer.reserve(kBufferBytes + 4096);
    const char* poller = std::getenv("KIT_POLLER");
    std::string& out = begin(w, "start");
    out += ",\"argv\":" + argvJson() + ",\"poller\":";
    quoted(out, poller != nullptr && *poller != '\0' ? poller : "poll");
    end(w);
    return Mode::json;
}

// Before main() nothing can catch an exception (clang-tidy's cert-err58-cpp): a trace
// that cannot start (out of memory building the path) leaves tracing off instead.
Mode startUpOrOff() noexcept {
    try {
        return startUp();
    } catch (...) {
        return Mode::off;
    }
}

const Mode kMode = startUpOrOff();
#endif

} // namespace

#ifndef KIT_TRACE_COMPILED_OUT
const bool on = kMode != Mode::off;
const bool json = kMode == Mode::json;
#endif

namespace detail {

void text(std::string_view text) {
    if (json) {
        Writer& w = writer();
        std::lock_guard lock(w.mutex);
        std::string& out = begin(w, "note");
        out += ",\"text\":";
        quoted(out, text);
        end(w);
        return;
    }
    std::fflush(stdout);  // keep program output and trace lines in order on a terminal
    // Dim on a terminal; plain text when stderr is a file or a pipe (grep-able).
    static const bool tty = ::isatty(STDERR_FILENO) == 1;
    if (tty) fmt::print(stderr, "\x1b[2m[trace] {}\x1b[0m\n", text);
    else fmt::print(stderr, "[trace] {}\n", text);
}

void phase(std::string_view name, bool enter) {
    if (!json) {
        if (enter) text(fmt::format("-- phase: {}", name));
        return;
    }
    Writer& w = writer();
    std::lock_guard lock(w.mutex);
    std::string& out = begin(w, "phase");
    out += ",\"phase\":";
    quoted(out, name);
    out += enter ? ",\"edge\":\"enter\"" : ",\"edge\":\"leave\"";
    end(w);
}

void turn(std::int64_t iteration) {
    if (!json) return;
    Writer& w = writer();
    std::lock_guard lock(w.mutex);
    w.iteration = iteration;
}

void poll(std::string_view syscall, int timeoutMs, std::span<const PollEvent> interest, std::int64_t sleptUs,
          std::span<const PollEvent> ready) {
    Writer& w = writer();
    std::lock_guard lock(w.mutex);
    std::string& out = begin(w, "poll");
    out += ",\"syscall\":";
    quoted(out, syscall);
    fmt::format_to(std::back_inserter(out), ",\"timeout\":{},\"fds\":[", timeoutMs);
    bool first = true;
    for (const PollEvent& e : interest) {
        fmt::format_to(std::back_inserter(out), "{}{{\"fd\":{},\"events\":\"{}\"", first ? "" : ",", e.fd,
                       pollFlags(e.revents));
        if (auto it = w.labels.find(e.fd); it != w.labels.end()) {
            out += ",\"handle\":";
            quoted(out, it->second);
        }
        out += '}';
        first = false;
    }
    fmt::format_to(std::back_inserter(out), "],\"slept_us\":{},\"ready\":[", sleptUs);
    first = true;
    for (const PollEvent& e : ready) {
        fmt::format_to(std::back_inserter(out), "{}{{\"fd\":{},\"revents\":\"{}\"}}", first ? "" : ",", e.fd,
                       pollFlags(e.revents));
        first = false;
    }
    out += ']';
    end(w);
}

void handle(std::string_view op, std::string_view kind, std::uint64_t id, int fd) {
    if (!json) return;  // the text trace has its own lines at these places
    Writer& w = writer();
    std::lock_guard lock(w.mutex);
    w.kinds[id] = kind;
    if (op == "fd") {
        w.fds[id] = fd;
        w.labels[fd] = fmt::format("{}#{}", kind, id);
    } else if (op == "close") {
        if (auto it = w.fds.find(id); it != w.fds.end()) {
            fd = it->second;
            w.fds.erase(it);
            const std::string label = fmt::format("{}#{}", kind, id);
            if (auto l = w.labels.find(fd); l != w.labels.end() && l->second == label) w.labels.erase(l);
        }
    }
    std::string& out = begin(w, "handle");
    out += ",\"op\":";
    quoted(out, op);
    out += ",\"kind\":";
    quoted(out, kind);
    fmt::format_to(std::back_inserter(out), ",\"id\":{},\"fd\":", id);
    if (fd >= 0) fmt::format_to(std::back_inserter(out), "{}", fd);
    else out += "null";
    end(w);
}

void emit(std::string_view owner, std::uint64_t id, std::string_view event, std::size_t listeners,
          std::string_view detail) {
    if (!json) {
        text(fmt::format("emit {}#{} '{}' ({} listener{})", owner, id, event, listeners, listeners == 1 ? "" : "s"));
        return;
    }
    Writer& w = writer();
    std::lock_guard lock(w.mutex);
    std::string& out = begin(w, "emit");
    out += ",\"kind\":";
    // The handle's kind ("udp" for a dgram Socket), else the class name in lowercase.
    if (auto it = w.kinds.find(id); id != 0 && it != w.kinds.end()) {
        quoted(out, it->second);
    } else {
        std::string lower(owner);
        for (char& c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
        quoted(out, lower);
    }
    fmt::format_to(std::back_inserter(out), ",\"id\":{},\"name\":", id);
    quoted(out, event);
    fmt::format_to(std::back_inserter(out), ",\"listeners\":{}", listeners);
    if (!detail.empty()) {
        out += ",\"detail\":";
        quoted(out, detail);
    }
    end(w);
}

void pool(std::string_view op, std::uint64_t job, std::string_view what, int thread) {
    if (!json) {
        // The text trace's two lines, as before.
        if (op == "submit") text("threadpool: job queued");
        else if (op == "callback") text("threadpool: job done, completion runs on the loop thread");
        return;
    }
    Writer& w = writer();
    std::lock_guard lock(w.mutex);
    std::string& out = begin(w, "pool");
    out += ",\"op\":";
    quoted(out, op);
    fmt::format_to(std::back_inserter(out), ",\"job\":{},\"what\":", job);
    quoted(out, what);
    if (thread >= 0) fmt::format_to(std::back_inserter(out), ",\"thread\":{}", thread);
    end(w);
}

void timer(std::string_view op, std::uint64_t id, std::uint64_t ms) {
    if (!json) return;
    Writer& w = writer();
    std::lock_guard lock(w.mutex);
    std::string& out = begin(w, "timer");
    out += ",\"op\":";
    quoted(out, op);
    fmt::format_to(std::back_inserter(out), ",\"id\":{},\"ms\":{}", id, ms);
    end(w);
}

void queue(std::string_view ev, std::string_view op) {
    if (!json) return;
    Writer& w = writer();
    std::lock_guard lock(w.mutex);
    std::string& out = begin(w, ev);
    out += ",\"op\":";
    quoted(out, op);
    end(w);
}

void exit(int code) {
    if (!json) return;
    Writer& w = writer();
    std::lock_guard lock(w.mutex);
    if (w.exited) return;
    w.exited = true;
    std::string& out = begin(w, "exit");
    fmt::format_to(std::back_inserter(out), ",\"code\":{}", code);
    out += "}\n";
    w.write();
}

void flush() {
    if (!json) return;
    Writer& w = writer();
    std::lock_guard lock(w.mutex);
    w.write();
}

} // namespace detail

} // namespace tracing

bool traceEnabled() { return tracing::on; }

void traceEmit(std::string_view owner, std::uint64_t id, std::string_view event, std::size_t listeners,
               std::string_view detail) {
    tracing::detail::emit(owner, id, event, listeners, detail);
}

} // namespace kit
