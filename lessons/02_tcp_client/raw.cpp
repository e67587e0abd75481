// Lesson 02, raw: the same TCP client as main.cpp, straight on POSIX sockets.
//
// main.cpp asks posix_impl (the kit's Node) for a socket, a read stream and pipe(); this
// file does what Node and libuv do underneath, in plain sight: getaddrinfo(3),
// socket(2), a non-blocking connect(2), read(2) of the file in 64 KiB pieces, send(2)
// with partial writes kept, shutdown(2) at the end, and one poll(2) loop. The loop
// dispatches to functions named after Node's events (onConnect, onOpen, onData, onEnd,
// onClose, onError), so each one sits beside its listener in main.cpp and client.js.
// Read it top to bottom, like antirez's smallchat. It prints the same lines, in order.
//
// The repetition between the raw files (flags, error names) is deliberate: each
// raw.cpp stands alone, with no shared header and no library but fmt.
//
// Backpressure by hand (what pipe() does): the file is read 64 KiB at a time, and the
// next piece is read only when send(2) has taken all of the previous one. So this
// program never holds more than 64 KiB queued (the kernel's send buffer holds more,
// out of our hands). When send(2) takes only part, or none (EAGAIN: the send buffer is
// full because the receiver is slow), the rest is kept and poll(2) waits for POLLOUT.
//
// Kept from the document on purpose: with the file missing, the error is printed and
// nothing ends the socket, so the client stays connected until it is killed; no 'error'
// listener on the socket, so "no server" ends the program: where Node prints its crash
// report and exits with status 1, this file prints one line ("Error: connect
// ECONNREFUSED 127.0.0.1:8124") on stderr and exits with status 1.
//
// Left out: the thread pool (getaddrinfo(3), open(2) and read(2) of the file block
// here, briefly); Happy Eyeballs (the addresses are tried one after the other, each to
// its end; when every one of several fails, Node 20 reports an AggregateError holding
// each error, and this file prints only that report's first line, as it does for one
// error); the UTF-8 decoder of setEncoding (a
// character cut between two reads would print as two broken halves); KIT_TRACE.
#include <fmt/core.h>

#include <arpa/inet.h>
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
#include <string>

// ------------------------------------------------------------ the state
// [doc TCPC.C1] The port, the host and the file to send. The socket, the file being
// piped into it, and the queue: bytes read from the file that send(2) has not taken.
struct Client {
    std::string port = "8124";
    std::string host = "localhost";
    const std::string FILEPATH = "./client_files/client.txt";
    int fd = -1;
    bool connecting = true;
    addrinfo* addrs = nullptr;  // what getaddrinfo(3) returned
    addrinfo* trying = nullptr;  // the address connect(2) is trying now
    int refused = 0;             // addresses that failed so far
    int file = -1;               // -1: no file being piped
    std::string queue;           // at most 64 KiB
    size_t sent = 0;             // how much of `queue` send(2) took
    bool ended = false;          // our FIN is sent: shutdown(SHUT_WR)
} C;  // NOLINT(cert-err58-cpp): one global state, as smallchat has; bad_alloc before main() would end the program either way

// errno as Node names it (ECONNREFUSED), and its text as libuv words it.
static std::string code(int e) { return strerrorname_np(e) ? strerrorname_np(e) : std::to_string(e); }
static std::string text(int e) {
    std::string t = std::strerror(e);
    if (!t.empty() && t[0] >= 'A' && t[0] <= 'Z') t[0] = static_cast<char>(t[0] - 'A' + 'a');
    return t;
}

// ------------------------------------------------------------ flags (kit addition)
[[noreturn]] static void usage(const std::string& m) { fmt::print(stderr, "usage error: {}\n", m); std::exit(2); }

static void parseFlags(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        const std::string f = argv[i];
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
        C.port = std::to_string(n);
    }
}

// ------------------------------------------------------------ the document's listeners
// 'error' on the socket, which has no listener: Node throws "Unhandled 'error' event",
// prints its crash report and exits 1. One line and status 1 here.
[[noreturn]] static void onError(const char* syscall, int e, const std::string& where = "") {
    fmt::print(stderr, "Error: {} {}{}{}\n", syscall, code(e), where.empty() ? "" : " ", where);
    std::exit(1);
}

// Every address of the host failed. One address: its error, as above. Several (a
// "localhost" that is ::1 and 127.0.0.1): Node 20 tried them all too, and its report
// then starts with "AggregateError [ECONNREFUSED]: " (an empty message).
[[noreturn]] static void onConnectFailed(int e, const std::string& where) {
    if (C.refused == 0) onError("connect", e, where);
    fmt::print(stderr, "AggregateError [{}]: \n", code(e));
    std::exit(1);
}

// [doc TCPC.C2] The read stream's 'open': pipe the file into the socket. pump() sends
// what is queued; when the queue is empty it reads the next 64 KiB; at the end of the
// file it ends our side: shutdown(SHUT_WR) sends a FIN and still lets us read (close(2)
// would end both directions, and drop whatever the server still sends).
static void pump() {
    for (;;) {
        if (C.sent == C.queue.size()) {
            if (C.file < 0 || C.ended) return;
            C.queue.resize(64 * 1024);
            const ssize_t n = read(C.file, C.queue.data(), C.queue.size());
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) onError("read", errno);
            C.queue.resize(static_cast<size_t>(n));
            C.sent = 0;
            if (n == 0) {  // end of file: client.end()
                close(C.file);
                C.file = -1;
                if (shutdown(C.fd, SHUT_WR) != 0) onError("shutdown", errno);
                C.ended = true;
                return;
            }
        }
        // MSG_NOSIGNAL: sending on a connection that is already broken (the peer reset
        // it) raises SIGPIPE, whose default action kills the process without a word.
        // Node ignores SIGPIPE at startup; with this flag send(2) returns EPIPE instead,
        // and onError reports it.
        const ssize_t w = send(C.fd, C.queue.data() + C.sent, C.queue.size() - C.sent, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;  // full: wait for POLLOUT
        if (w < 0) onError("write", errno);
        C.sent += static_cast<size_t>(w);  // maybe only part: the rest stays queued
    }
}

static void onOpen(int file) {
    C.file = file;
    pump();
}

// [doc TCPC.C2] 'connect': the handshake is done. createReadStream: open(2) the file;
// on failure the stream's 'error' listener only prints it (console.log(err)), as Node
// shows an error object, and the socket stays open.
static void onConnect() {
    fmt::print("conectado ao servidor\n");
    const int file = open(C.FILEPATH.c_str(), O_RDONLY | O_CLOEXEC);
    if (file >= 0) return onOpen(file);
    const int e = errno;
    fmt::print("Error: {}: {}, open '{}' {{\n  errno: -{},\n  code: '{}',\n  syscall: 'open',\n  path: '{}'\n}}\n",
               code(e), text(e), C.FILEPATH, e, code(e), C.FILEPATH);
}

// [doc TCPC.1] [doc TCPC.C3] 'data': whatever the server sent, printed.
static void onData(const char* data, size_t n) { fmt::print("{}\n", std::string(data, n)); }

// [doc TCPC.1] [doc TCPC.C4] 'close': the descriptor is closed.
[[noreturn]] static void onClose() {
    fmt::print("conexao encerrada\n");
    std::exit(0);  // nothing is left for the loop
}

// 'end': recv(2) returned 0, the server's FIN. Node (allowHalfOpen false) ends our
// side too, then closes: close(2) does both.
[[noreturn]] static void onEnd() {
    close(C.fd);
    onClose();
}

// ------------------------------------------------------------ connect
// The address being tried, as text (inet_ntop(3)), for the error line.
static std::string addressOf(const addrinfo* a) {
    char ip[INET6_ADDRSTRLEN] = "";
    const void* in = &reinterpret_cast<sockaddr_in*>(a->ai_addr)->sin_addr;
    if (a->ai_family == AF_INET6) in = &reinterpret_cast<sockaddr_in6*>(a->ai_addr)->sin6_addr;
    inet_ntop(a->ai_family, in, ip, sizeof ip);
    return ip;
}

// socket(2) and a non-blocking connect(2) to the next address: it returns at once with
// EINPROGRESS, and poll(2) reports POLLOUT when the handshake has ended, one way or
// the other; getsockopt(SO_ERROR) then says which (ECONNREFUSED: the server's RST).
static void connectNext() {
    if (C.fd >= 0) close(C.fd);
    C.fd = socket(C.trying->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (C.fd < 0) onError("socket", errno);
    if (connect(C.fd, C.trying->ai_addr, C.trying->ai_addrlen) == 0 || errno == EINPROGRESS) return;
    const int e = errno;
    const std::string where = addressOf(C.trying) + ":" + C.port;
    C.trying = C.trying->ai_next;
    if (C.trying == nullptr) onConnectFailed(e, where);  // no address left
    ++C.refused;
    connectNext();
}

static void onConnectReady() {
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(C.fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    if (err == 0) {
        C.connecting = false;
        return onConnect();
    }
    const std::string where = addressOf(C.trying) + ":" + C.port;
    C.trying = C.trying->ai_next;
    if (C.trying == nullptr) onConnectFailed(err, where);  // the last one failed too
    ++C.refused;
    connectNext();
}

// ------------------------------------------------------------ the loop
// [doc INTRO.1] One thread: poll(2) sleeps until the socket is ready. While connecting,
// it waits for POLLOUT; then for POLLIN (the server's bytes or FIN), and POLLOUT only
// while something is queued to send. POLLHUP/POLLERR are handled by recv(2)'s answer.
int main(int argc, char** argv) {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);  // one write(2) per line, as console.log
    parseFlags(argc, argv);
    // [doc TCPC.C2] connect(PORT, HOST): look HOST up (getaddrinfo(3): "localhost" may
    // be ::1 and 127.0.0.1), then try each address.
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    if (const int rc = getaddrinfo(C.host.c_str(), C.port.c_str(), &hints, &C.addrs); rc != 0) {
        fmt::print(stderr, "Error: getaddrinfo ENOTFOUND {}\n", C.host);
        return 1;
    }
    C.trying = C.addrs;
    connectNext();
    for (;;) {
        const bool wantWrite = C.connecting || C.sent < C.queue.size() || (C.file >= 0 && !C.ended);
        pollfd p{C.fd, static_cast<short>((C.connecting ? 0 : POLLIN) | (wantWrite ? POLLOUT : 0)), 0};
        if (poll(&p, 1, -1) < 0) {
            if (errno == EINTR) continue;
            onError("poll", errno);
        }
        if (C.connecting) {
            if (p.revents != 0) onConnectReady();
            continue;
        }
        if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
            char buf[65536];
            const ssize_t n = recv(C.fd, buf, sizeof buf, 0);
            if (n > 0) onData(buf, static_cast<size_t>(n));
            else if (n == 0) onEnd();  // the server's FIN
            else if (errno != EAGAIN && errno != EINTR) onError("read", errno);  // ECONNRESET
        }
        if (p.revents & POLLOUT) pump();  // room in the send buffer again: resume ('drain')
    }
}
