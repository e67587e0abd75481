// Exercise 03_raw_truncated (lesson 03, raw): refuse a datagram that did not fit.
//
// This is lessons/03_udp_server/raw.cpp with a smaller receive buffer, 1 KiB (LIMIT),
// and one task added (see the TODO in main() and exercises/README.md). Edit this file
// in place, then:
//
//   make check-exercise E=03_raw_truncated
//
// The task: recvfrom(2) cuts a datagram larger than its buffer to fit, silently, and
// this server then saves the first 1,024 bytes as if they were the whole upload. Make
// it notice: when a datagram was larger than LIMIT, save nothing and print one line
// "datagrama truncado: N bytes (limite 1024)", N being the datagram's real length
// (not what fitted in the buffer). A datagram of up to 1,024 bytes is saved as before.
// The buffer stays LIMIT bytes: read recvfrom(2)'s manual page (man 2 recv) for a way
// to learn the real length anyway.
//
// Done when the check says PASS: 1,024 bytes saved intact; 1,025 bytes and a random
// larger size each refused with that line giving their real size, nothing saved.
//
// Lesson 03, raw: the same UDP server as main.cpp, straight on POSIX sockets.
//
// main.cpp asks posix_impl (the kit's Node) for a dgram socket and registers listeners;
// this file does what Node and libuv do underneath, in plain sight: socket(2) with
// SOCK_DGRAM, bind(2), getsockname(2), recvfrom(2), and one poll(2) loop. The loop
// dispatches to functions named after Node's events (onListening, onMessage, onError),
// so each one sits beside its listener in main.cpp and server.js. Read it top to
// bottom, like antirez's smallchat. It prints the same lines and saves the same files.
//
// The repetition between the raw files (flags, error names, the timestamp) is
// deliberate: each raw.cpp stands alone, with no shared header and no library but fmt.
//
// [doc INTRO.2] [doc UDPS.1] No connection: no accept(2), no per-client descriptor, no
// FIN. One descriptor receives every datagram from anybody; recvfrom(2) returns exactly
// one datagram (never a piece of one, never two) and who sent it.
//
// Kept from the document on purpose: one datagram is one file; two datagrams in the
// same second get the same name; the error line followed by the success line; no
// 'error' listener, so a bind failure ends the program: where Node prints its crash
// report and exits with status 1, this file prints one line ("Error: bind EADDRINUSE
// 0.0.0.0:8124") on stderr and exits with status 1.
//
// Left out: the thread pool (the file is written right here, and datagrams that arrive
// meanwhile wait in the kernel's receive buffer, or are dropped when it is full, as they
// are when Node is busy); recvmmsg(2) batches; the lookup of a --host name on a thread
// (getaddrinfo(3) blocks here, once); KIT_TRACE.
#include <fmt/core.h>

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>

// ------------------------------------------------------------ the state
// [doc UDPS.C1] 'udp4' (or 'udp6' with --udp6), the port, the host ("" = the wildcard
// address) and the prefix of the saved files. One descriptor.
struct Server {
    bool udp6 = false;
    int port = 8124;
    std::string host;
    const std::string FILEPATH = "./server_files/server_";
    int fd = -1;
} S;  // NOLINT(cert-err58-cpp): one global state, as smallchat has; bad_alloc before main() would end the program either way

// errno as Node names it (EADDRINUSE).
static std::string code(int e) { return strerrorname_np(e) ? strerrorname_np(e) : std::to_string(e); }

// ------------------------------------------------------------ flags (kit addition)
// The same rules and messages as the C++ lesson: --port N (1..65535), --host H, --udp6.
[[noreturn]] static void usage(const std::string& m) { fmt::print(stderr, "usage error: {}\n", m); std::exit(2); }

static void parseFlags(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        const std::string f = argv[i];
        if (f == "--udp6") {
            S.udp6 = true;
            continue;
        }
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
// 'error' with no listener: Node throws, prints its crash report and exits 1.
[[noreturn]] static void onError(const char* syscall, int e, const std::string& where) {
    fmt::print(stderr, "Error: {} {} {}\n", syscall, code(e), where);
    std::exit(1);
}

// [doc UDPS.C3] 'listening': bind(2) succeeded. The document asks for the bound address
// (server.address(): getsockname(2)) and, like it, does not use it.
static void onListening() {
    sockaddr_storage address{};
    socklen_t len = sizeof address;
    getsockname(S.fd, reinterpret_cast<sockaddr*>(&address), &len);
    fmt::print("aguardando dados do cliente...\n");
}

// fs.writeFile: open(2) with O_CREAT|O_TRUNC, write(2) until all is written, close(2).
// Node does this on a thread-pool thread.
static bool writeFile(const std::string& path, const char* bytes, size_t size) {
    const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) return false;
    size_t done = 0;
    while (done < size) {
        const ssize_t w = write(fd, bytes + done, size - done);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) break;
        done += static_cast<size_t>(w);
    }
    return close(fd) == 0 && done == size;
}

// [doc UDPS.1] [doc UDPS.C2] 'message': one whole datagram, and who sent it (rinfo,
// ignored as in the document: this server saves whatever anybody sends). One file,
// named after the local time (moment's 'DD-MM-YYYY h-mm-ss').
static void onMessage(const char* msg, size_t size, const sockaddr_storage& /*rinfo*/) {
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    localtime_r(&t, &tm);
    const std::string now = fmt::format("{:02}-{:02}-{} {}-{:02}-{:02}", tm.tm_mday, tm.tm_mon + 1,
                                        tm.tm_year + 1900, (tm.tm_hour + 11) % 12 + 1, tm.tm_min, tm.tm_sec);
    const std::string path = S.FILEPATH + now + "_UDP.txt";
    if (!writeFile(path, msg, size)) fmt::print("erro ao salvar arquivo\n");
    fmt::print("arquivo salvo com sucesso!\n");  // no `else`, as in the document
}

// ------------------------------------------------------------ bind
// [doc UDPS.C4] server.bind(PORT): socket(2) of the family, bind(2) to the host or to
// the wildcard address (0.0.0.0, or '::' with IPV6_V6ONLY off: IPv4 senders arrive as
// ::ffff:a.b.c.d). getaddrinfo(3) fills the sockaddr_in(6), the port in network byte
// order (htons). No SO_REUSEADDR: Node's dgram sets it only when asked (reuseAddr).
static void bindSocket() {
    const int family = S.udp6 ? AF_INET6 : AF_INET;
    const std::string node = !S.host.empty() ? S.host : S.udp6 ? "::" : "0.0.0.0";
    addrinfo hints{};
    hints.ai_family = family;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    addrinfo* res = nullptr;
    if (getaddrinfo(node.c_str(), std::to_string(S.port).c_str(), &hints, &res) != 0) {
        fmt::print(stderr, "Error: getaddrinfo ENOTFOUND {}\n", node);
        std::exit(1);
    }
    S.fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (S.fd < 0) onError("socket", errno, node);
    const int off = 0;
    if (S.udp6) setsockopt(S.fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
    const int rc = bind(S.fd, res->ai_addr, res->ai_addrlen);
    const int e = errno;
    freeaddrinfo(res);
    if (rc != 0) onError("bind", e, fmt::format("{}:{}", node, S.port));
    onListening();
}

// ------------------------------------------------------------ the loop
// [doc INTRO.1] One thread: poll(2) sleeps until the socket is readable (POLLIN: at
// least one datagram is queued). Then read datagrams until EAGAIN says none is left.
// A bound UDP socket is always waiting, so this loop runs until the program is killed.
int main(int argc, char** argv) {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);  // one write(2) per line, as console.log
    parseFlags(argc, argv);
    bindSocket();
    constexpr size_t LIMIT = 1024;  // Exercise 03_raw_truncated: uploads of at most 1 KiB
    static char buf[LIMIT];
    for (;;) {
        pollfd p{S.fd, POLLIN, 0};
        if (poll(&p, 1, -1) < 0) {
            if (errno == EINTR) continue;
            onError("poll", errno, "");
        }
        for (;;) {
            sockaddr_storage rinfo{};
            socklen_t len = sizeof rinfo;
            // One datagram per call. (A datagram larger than buf would be cut to fit,
            // silently; with MSG_TRUNC in the flags, the result is its real size.)
            // TODO(03_raw_truncated): a datagram over LIMIT bytes is cut to fit, silently.
            const ssize_t n = recvfrom(S.fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&rinfo), &len);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) break;  // EAGAIN: none left, poll again (and any error: Node ignores it too)
            onMessage(buf, static_cast<size_t>(n), rinfo);
        }
    }
}
