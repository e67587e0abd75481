// Exercise 01_raw_idle_timeout (lesson 01, raw): drop a client that says nothing.
//
// This is lessons/01_tcp_server/raw.cpp with one task added (see the TODOs and
// exercises/README.md). Edit this file in place, then:
//
//   make check-exercise E=01_raw_idle_timeout
//
// The task: a connection that sends nothing for 2 seconds is dropped: print
// "cliente inativo", close(2) it, save nothing. Silence is counted from the last byte
// received, so a slow client that keeps sending still completes its upload.
// Done means: a silent client sees the server close its connection about 2 s after
// connecting, while a client that sends a little every 500 ms for 4 s is saved byte
// for byte, and the server keeps running. No thread and no sleep(3): the one poll(2)
// loop must do it (how does it already wait for the EADDRINUSE retry?).
// Everything else stays as it was.
//
// Lesson 01, raw: the same TCP server as main.cpp, straight on POSIX sockets.
//
// main.cpp asks posix_impl (the kit's Node) for a server and registers listeners; this
// file does what Node and libuv do underneath, in plain sight: socket(2), bind(2),
// listen(2), accept4(2), recv(2), and one poll(2) loop that waits for all of them and
// for the retry timer at once. The loop dispatches to functions named after Node's
// events (onListening, onConnection, onData, onEnd, onClose, onError), so each one sits
// beside its listener in main.cpp and server.js. Read it top to bottom, like antirez's
// smallchat. It prints the same lines, in the same order, and saves the same files.
//
// The repetition between the raw files (flags, error names, the timestamp) is
// deliberate: each raw.cpp stands alone, with no shared header and no library but fmt.
//
// Kept from the document on purpose: the whole upload waits in memory until the
// connection ends; one file name per second (12-hour clock); the error line followed
// by the success line; no 'error' listener on a connection, so a client's reset ends
// the server. Where Node prints its crash report and exits with status 1, this file
// prints one line ("Error: read ECONNRESET") on stderr and exits with status 1.
//
// Left out (Node does them, this file does not): the thread pool (the file is written
// right here, and the loop waits for the disk meanwhile); the 'data' Buffers (one
// std::string per connection); the lookup of a --host name on a thread (getaddrinfo(3)
// blocks here, once, before the loop starts); running out of descriptors (EMFILE:
// accept4(2) fails, the connection stays queued, and poll(2) wakes again at once: a
// busy loop, which libuv avoids by closing a spare descriptor to shed it); KIT_TRACE.
#include <fmt/core.h>

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>
#include <optional>
#include <string>
#include <vector>

using Clock = std::chrono::steady_clock;

// ------------------------------------------------------------ the state
// [doc TCPS.C1] The port, the host ("" = Node's default, '::' dual-stack) and the prefix
// of the saved files. One listening descriptor, one string of bytes per connection
// (the `chunks` of the document), and the one timer: when to listen again.
struct Server {
    int port = 8124;
    std::string host;
    const std::string FILEPATH = "./server_files/server_";
    int listenFd = -1;
    std::map<int, std::string> chunks;  // connected descriptor -> the bytes so far
    std::optional<Clock::time_point> retryAt;
    // TODO(01_raw_idle_timeout): what must the server remember about each connection?
} S;  // NOLINT(cert-err58-cpp): one global state, as smallchat has; bad_alloc before main() would end the program either way

// errno as Node names it (ECONNRESET), and its text as libuv words it.
static std::string code(int e) { return strerrorname_np(e) ? strerrorname_np(e) : std::to_string(e); }
static std::string text(int e) {
    std::string t = std::strerror(e);
    if (!t.empty()) t[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(t[0])));
    return t;
}

// ------------------------------------------------------------ flags (kit addition)
// The same rules and messages as the Node twin: --port N (1..65535), --host H.
[[noreturn]] static void usage(const std::string& m) { fmt::print(stderr, "usage error: {}\n", m); std::exit(2); }

static void parseFlags(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        const std::string f = argv[i];
        if (f != "--port" && f != "--host") usage("unknown argument '" + f + "'");
        if (i + 1 >= argc) usage(f + " needs a value");
        const std::string v = argv[++i];
        if (f == "--host") {
            if (v.empty()) usage("--host must not be empty");
            S.host = v;
            continue;
        }
        const bool digits = !v.empty() && v.size() <= 5 && v.find_first_not_of("0123456789") == std::string::npos;
        const int n = digits ? std::atoi(v.c_str()) : -1;
        if (n < 1 || n > 65535) usage("--port must be an integer in 1..65535, got '" + v + "'");
        S.port = n;
    }
}

// ------------------------------------------------------------ the document's listeners
// [doc TCPS.2] [doc TCPS.C5] 'listening': bound and ready for clients.
static void onListening() { fmt::print("escutando porta {}\n", S.port); }

// [doc TCPS.1] [doc TCPS.C2] 'connection': one accepted client, its own descriptor.
static void onConnection(int fd) {
    fmt::print("conectado!\n");
    S.chunks[fd];  // a fresh, empty `chunks` for this connection
}

// [doc TCPS.3] [doc TCPS.C3] 'data': whatever one recv(2) returned, kept in order.
static void onData(int fd, const char* data, size_t n) {
    fmt::print("recebendo dados...\n");
    S.chunks[fd].append(data, n);
}

// fs.writeFile: open(2) with O_CREAT|O_TRUNC, write(2) until all is written (a write
// may take only part), close(2). Node does this on a thread-pool thread.
static bool writeFile(const std::string& path, const std::string& bytes) {
    const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) return false;
    size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t w = write(fd, bytes.data() + done, bytes.size() - done);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) break;
        done += static_cast<size_t>(w);
    }
    return close(fd) == 0 && done == bytes.size();
}

// [doc TCPS.3] [doc TCPS.C4] 'close': join the pieces, name the file after the local
// time (moment's 'DD-MM-YYYY h-mm-ss'), write it, report.
static void onClose(int fd) {
    const std::string file = std::move(S.chunks[fd]);
    S.chunks.erase(fd);
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    localtime_r(&t, &tm);
    const std::string now = fmt::format("{:02}-{:02}-{} {}-{:02}-{:02}", tm.tm_mday, tm.tm_mon + 1,
                                        tm.tm_year + 1900, (tm.tm_hour + 11) % 12 + 1, tm.tm_min, tm.tm_sec);
    const std::string path = S.FILEPATH + now + "_TCP.txt";
    // Node prints this line first: writeFile has only queued the write. Printing it
    // before the write here keeps the same order.
    fmt::print("conexao com o cliente encerrada\n");
    if (!writeFile(path, file)) fmt::print("erro ao salvar arquivo\n");
    fmt::print("arquivo salvo com sucesso!\n");  // no `else`, as in the document
}

// 'end': recv(2) returned 0, the client's FIN. Node (allowHalfOpen false) ends its side
// too; close(2) does both here: nothing is left unread, so the kernel sends a FIN.
static void onEnd(int fd) {
    close(fd);
    onClose(fd);
}

// 'error' on a connection, which has no listener: Node throws "Unhandled 'error'
// event", prints its crash report and exits 1. One line and status 1 here.
[[noreturn]] static void onError(const char* syscall, int e) {
    fmt::print(stderr, "Error: {} {}\n", syscall, code(e));
    std::exit(1);
}

// ------------------------------------------------------------ listen
// [doc TCPS.C5] socket(2), SO_REUSEADDR (a restarted server can bind although old
// connections of its port are in TIME_WAIT), bind(2), listen(2) with Node's backlog,
// 511. getaddrinfo(3) turns the host into a sockaddr_in or sockaddr_in6 with the port
// in network byte order (htons). Returns 0, the errno of the step that failed, or -1
// when the host name is unknown.
static int tryListen(const char* node) {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    addrinfo* res = nullptr;
    if (getaddrinfo(node, std::to_string(S.port).c_str(), &hints, &res) != 0) return -1;
    int err = 0;
    const int fd = socket(res->ai_family, res->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) err = errno;
    const int on = 1, off = 0;
    if (fd >= 0) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (fd >= 0 && res->ai_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
    if (fd >= 0 && (bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, 511) != 0)) err = errno;
    freeaddrinfo(res);
    if (err != 0 && fd >= 0) close(fd);
    if (err == 0) S.listenFd = fd;
    return err;
}

// server.listen(PORT, HOST): on success 'listening'; on failure the server's 'error'.
static void listenAgain() {
    const char* node = S.host.empty() ? "::" : S.host.c_str();
    int err = tryListen(node);
    if (err == EAFNOSUPPORT && S.host.empty()) err = tryListen(node = "0.0.0.0");  // no IPv6
    if (err == 0) return onListening();
    // [doc TCPS.2] [doc TCPS.C6] The server's 'error' listener. EADDRINUSE: warn, then
    // the timer: in one second, listen again (the failed socket is closed already).
    if (err == EADDRINUSE) {
        fmt::print(stderr, "Endereco em uso, tentando novamente...\n");
        S.retryAt = Clock::now() + std::chrono::seconds(1);
        return;
    }
    // Anything else (EACCES below port 1024): printed; nothing is left, the loop ends.
    if (err < 0) fmt::print("Error: getaddrinfo ENOTFOUND {}\n", node);
    else fmt::print("Error: listen {}: {} {}:{}\n", code(err), text(err), node, S.port);
}

// ------------------------------------------------------------ the loop
// [doc INTRO.1] One thread: poll(2) sleeps until a descriptor is ready or the timer is
// due, then each ready one gets its event. Node's loop is this, grown up (libuv).
int main(int argc, char** argv) {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);  // one write(2) per line, as console.log
    parseFlags(argc, argv);
    listenAgain();
    for (;;) {
        std::vector<pollfd> fds;
        if (S.listenFd >= 0) fds.push_back({S.listenFd, POLLIN, 0});
        for (const auto& conn : S.chunks) fds.push_back({conn.first, POLLIN, 0});
        if (fds.empty() && !S.retryAt) return 0;  // nothing left to wait for: Node exits
        // TODO(01_raw_idle_timeout): a silent connection must wake this loop up too.
        int timeout = -1;                          // no timer: wait for ever
        if (S.retryAt) {
            const auto left = std::chrono::ceil<std::chrono::milliseconds>(*S.retryAt - Clock::now());
            timeout = static_cast<int>(std::max<long long>(0, left.count()));
        }
        if (poll(fds.data(), fds.size(), timeout) < 0) {
            if (errno == EINTR) continue;  // a signal arrived: wait again
            onError("poll", errno);
        }
        // The timers' phase: the retry is due.
        if (S.retryAt && Clock::now() >= *S.retryAt) {
            S.retryAt.reset();
            listenAgain();
        }
        for (const pollfd& p : fds) {
            if (p.revents == 0) continue;  // POLLIN, and POLLHUP/POLLERR: recv(2) says which
            if (p.fd == S.listenFd) {
                // Readable listening socket: connections wait in its queue. Accept them
                // all; accept4(2) gives each a non-blocking descriptor. EAGAIN: no more.
                for (;;) {
                    const int c = accept4(S.listenFd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
                    if (c >= 0) onConnection(c);
                    else if (errno != EINTR && errno != ECONNABORTED) break;
                }
                continue;
            }
            char buf[65536];  // up to 64 KiB per 'data', as Node reads
            const ssize_t n = recv(p.fd, buf, sizeof buf, 0);
            if (n > 0) onData(p.fd, buf, static_cast<size_t>(n));
            else if (n == 0) onEnd(p.fd);  // the FIN
            else if (errno != EAGAIN && errno != EINTR) onError("read", errno);  // an RST: ECONNRESET
        }
    }
}
