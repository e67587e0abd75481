// Exercise 04_raw_connect (lesson 04, raw), a WRONG solution kept for the check to refuse.
//
// The mistake: the socket is connected, but the client reports success right after
// send(2): the ICMP answer comes back a moment later, when nobody asks any more.
// make check-exercise E=04_raw_connect VARIANT=wrong_no_wait   must say FAIL.
//
// Lesson 04, raw: the same UDP client as main.cpp, straight on POSIX sockets.
//
// main.cpp reads the file, asks posix_impl (the kit's Node) for a dgram socket and
// calls send(); this file does what Node and libuv do underneath, in plain sight:
// open(2)/fstat(2)/read(2) of the file, socket(2) with SOCK_DGRAM, bind(2) to port 0,
// getaddrinfo(3), one sendto(2) with the whole file, and a poll(2) loop (one turn,
// unless the socket's send buffer is full). The send's callback is a function named
// after its role, onSend, and a failure goes to onError, so each one sits beside its
// statement in main.cpp and client.js. Read it top to bottom, like antirez's smallchat.
//
// The repetition between the raw files (flags, error names) is deliberate: each
// raw.cpp stands alone, with no shared header and no library but fmt.
//
// [doc INTRO.2] No connection: no connect(2), no handshake, no FIN. sendto(2) hands one
// datagram to the kernel and says "taken"; nobody says whether it arrived.
//
// Kept from the document on purpose: the whole file as ONE datagram, so a file over
// 65,507 bytes (IPv4) fails with EMSGSIZE; a missing file fails at start-up; success is
// printed even with no server. Where Node prints an uncaught exception's report and
// exits with status 1, this file prints one line ("Error: send EMSGSIZE
// 127.0.0.1:8124") on stderr and exits with status 1.
//
// Left out: the implicit lookup on a thread (getaddrinfo(3) blocks here, once);
// KIT_TRACE.
#include <fmt/core.h>

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

// ------------------------------------------------------------ the state
// [doc UDPC.C1] The destination port and host, and the file to send.
struct Client {
    bool udp6 = false;
    int port = 8124;
    std::string host;  // "" until the flags are read: then 127.0.0.1, or ::1 with --udp6
    const std::string FILEPATH = "./client_files/client.txt";
    int fd = -1;
} C;  // NOLINT(cert-err58-cpp): one global state, as smallchat has; bad_alloc before main() would end the program either way

// errno as Node names it (EMSGSIZE), and its text as libuv words it.
static std::string code(int e) { return strerrorname_np(e) ? strerrorname_np(e) : std::to_string(e); }
static std::string text(int e) {
    std::string t = std::strerror(e);
    if (!t.empty() && t[0] >= 'A' && t[0] <= 'Z') t[0] = static_cast<char>(t[0] - 'A' + 'a');
    return t;
}

// ------------------------------------------------------------ flags (kit addition)
// The same rules and messages as the C++ lesson: --port N (1..65535), --host H, --udp6.
[[noreturn]] static void usage(const std::string& m) { fmt::print(stderr, "usage error: {}\n", m); std::exit(2); }

static void parseFlags(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        const std::string f = argv[i];
        if (f == "--udp6") {
            C.udp6 = true;
            continue;
        }
        if (f != "--port" && f != "--host") usage("unknown argument '" + f + "'");
        if (i + 1 >= argc) usage(f + " needs a value");
        const std::string v = argv[++i];
        if (f == "--host") {
            if (v.empty()) usage("--host must not be empty");
            C.host = v;
            continue;
        }
        const bool digits = !v.empty() && v.size() <= 5 && v.find_first_not_of("0123456789") == std::string::npos;
        const int n = digits ? std::atoi(v.c_str()) : -1;
        if (n < 1 || n > 65535) usage("--port must be an integer in 1..65535, got '" + v + "'");
        C.port = n;
    }
    if (C.host.empty()) C.host = C.udp6 ? "::1" : "127.0.0.1";  // a udp6 socket cannot reach 127.0.0.1
}

// ------------------------------------------------------------ the document's callbacks
// [doc UDPC.C3] `if (err) throw err`: an uncaught exception. Node prints its report
// and exits 1. One line and status 1 here.
[[noreturn]] static void onError(const std::string& message) {
    fmt::print(stderr, "Error: {}\n", message);
    std::exit(1);
}

// [doc UDPC.1] [doc UDPC.C2] fs.readFileSync: open(2), fstat(2) for the size, read(2)
// until the end (a read may return less than asked), close(2). Blocking, like Node's.
static std::string readFileSync(const std::string& path) {
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) onError(fmt::format("{}: {}, open '{}'", code(errno), text(errno), path));
    struct stat st {};
    std::string bytes;
    if (fstat(fd, &st) == 0 && st.st_size > 0) bytes.reserve(static_cast<size_t>(st.st_size));
    char buf[65536];
    for (;;) {
        const ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) onError(fmt::format("{}: {}, read", code(errno), text(errno)));
        if (n == 0) break;
        bytes.append(buf, static_cast<size_t>(n));
    }
    close(fd);
    return bytes;
}

// [doc UDPC.C3] The send callback without error: the kernel took the datagram. Then
// client.close(): close(2); nothing is left, so the program ends.
[[noreturn]] static void onSend() {
    fmt::print("Arquivo enviado por UDP para {}:{}\n", C.host, C.port);
    close(C.fd);
    std::exit(0);
}

// ------------------------------------------------------------ the program
int main(int argc, char** argv) {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);  // one write(2) per line, as console.log
    parseFlags(argc, argv);
    const std::string file = readFileSync(C.FILEPATH);

    // [doc UDPC.C2] createSocket('udp4' or 'udp6'), then what send() does first: bind(2)
    // to port 0 (the kernel picks a free port), and look HOST up for that family
    // (getaddrinfo(3) fills a sockaddr_in(6), the port in network byte order, htons).
    const int family = C.udp6 ? AF_INET6 : AF_INET;
    C.fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (C.fd < 0) onError(fmt::format("socket {}", code(errno)));
    sockaddr_storage any{};
    any.ss_family = static_cast<sa_family_t>(family);
    if (bind(C.fd, reinterpret_cast<sockaddr*>(&any), C.udp6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in)) != 0)
        onError(fmt::format("bind {}", code(errno)));
    addrinfo hints{};
    hints.ai_family = family;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo* to = nullptr;
    if (getaddrinfo(C.host.c_str(), std::to_string(C.port).c_str(), &hints, &to) != 0)
        onError(fmt::format("getaddrinfo ENOTFOUND {}", C.host));

    // [doc UDPC.1] [doc UDPC.C3] send(file, 0, file.length, PORT, HOST, callback): ONE
    // sendto(2) with the whole file. Over the limit of one datagram it fails at once
    // with EMSGSIZE. If the send buffer is full (EAGAIN), wait for POLLOUT and retry.
    // Exercise 04_raw_connect: fix the destination (no packet is sent), so that the
    // kernel hands this socket the ICMP errors that come back from it.
    if (connect(C.fd, to->ai_addr, to->ai_addrlen) != 0) onError(fmt::format("connect {}", code(errno)));
    for (;;) {
        const ssize_t n = send(C.fd, file.data(), file.size(), 0);
        if (n >= 0) break;
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            const int e = errno;
            freeaddrinfo(to);
            onError(fmt::format("send {} {}:{}", code(e), C.host, C.port));
        }
        pollfd p{C.fd, POLLOUT, 0};
        while (poll(&p, 1, -1) < 0 && errno == EINTR) {
        }
    }
    freeaddrinfo(to);
    // Exercise 04_raw_connect: a closed port answers with ICMP "port unreachable"; on a
    // connected socket it is a pending error: poll(2) reports it (POLLERR) and the next
    // recv(2) fails with ECONNREFUSED. No answer within 300 ms: nobody said no.
    // wrong: no wait for the answer; success is reported at once.
    onSend();
}
