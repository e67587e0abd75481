// net_server.cpp: net.Server, accepting TCP connections (see net.hpp).
//
// listen(): socket(2) -> setsockopt(SO_REUSEADDR) -> bind(2) -> listen(2) -> 'listening'
// then, on each POLLIN of the listening socket: accept4(2) -> new Socket -> 'connection'.
#include "net.hpp"

#include "dns.hpp"
#include "sockaddr.hpp"
#include "timers.hpp"
#include "trace.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace kit::net {

namespace {
// Node's default backlog for listen(2).
constexpr int kBacklog = 511;
// Connections accepted per wakeup at most, so that a flood of new connections cannot
// starve the ones already open (Redis caps this too: max-new-connections-per-cycle).
constexpr int kAcceptsPerWakeup = 128;
// Out of descriptors with no spare to shed connections: stop watching the listening
// socket for this long (nginx re-enables accept events on a timer, 500 ms by default).
constexpr double kAcceptPauseMs = 100;

UniqueFd openSpare() { return UniqueFd(::open("/", O_RDONLY | O_CLOEXEC)); }
} // namespace

Server::Server(Loop& loop)
    : Handle(loop, "server"), EventEmitter("Server"), watcher_(loop, [this](short) { onReadable(); }) {
    setTraceId(handleId());
}

Server::~Server() {
    watcher_.stop();  // out of the poll set; fd_ and spareFd_ then close themselves
}

std::shared_ptr<Server> createServer(std::function<void(const SocketPtr&)> connectionListener) {
    Loop& loop = Loop::getDefault();
    auto server = std::make_shared<Server>(loop);
    loop.adopt(server);
    if (connectionListener) server->on("connection", std::move(connectionListener));
    return server;
}

std::shared_ptr<Server> createServer(ServerOptions options, std::function<void(const SocketPtr&)> connectionListener) {
    auto server = createServer(std::move(connectionListener));
    server->options_ = options;
    return server;
}

// ===========================================================================
// listen: errors and 'listening' both arrive on a later tick, never as exceptions.
// ===========================================================================

Server& Server::listen(int port, const std::string& host, std::function<void()> cb) {
    // Node's Server.prototype.listen checks, in this order, before anything happens:
    // a server that listens already throws; the callback is registered; then a port
    // outside 0..65535 throws (the kernel would take its low 16 bits: 70000 is 4464).
    if (fd_)
        throw Error::plain("Listen method has been called more than once without closing.",
                           "ERR_SERVER_ALREADY_LISTEN");
    if (cb) once("listening", std::move(cb));
    validatePort(port, "options.port");
    auto self = std::static_pointer_cast<Server>(shared_from_this());
    loop().adopt(self);  // again, if an earlier close() released it
    listenPending_ = true;  // until 'listening' or 'error' (see emitCloseIfDrained)
    if (host.empty()) {
        // Node's default: '::' accepts IPv6 and, with IPV6_V6ONLY off, IPv4 too;
        // where IPv6 is unavailable it falls back to '0.0.0.0'.
        bindAndListen("::", 6, port, true);
        return *this;
    }
    setActive(true);  // the lookup keeps the loop alive
    lookupPending_ = true;
    // Node's lookupAndListen remembers the server's _listeningId; a close() while the
    // lookup runs bumps it, and the answer, when it comes, is dropped: no bind(2), no
    // 'listening', no 'error' (test-net-server-close-before-calling-lookup-callback).
    dns::lookup(host, 0, [self, port, id = listeningId_](const std::optional<Error>& err,
                                                         const std::vector<dns::Address>& found) {
        if (id != self->listeningId_) return;  // closed meanwhile (see close())
        self->lookupPending_ = false;
        self->setActive(false);
        if (err) {
            self->listenPending_ = false;
            self->emit("error", *err);
            return;
        }
        self->bindAndListen(found.front().address, found.front().family, port, false);
    });
    return *this;
}

void Server::bindAndListen(const std::string& address, int family, int port, bool fallbackToIPv4) {
    auto self = std::static_pointer_cast<Server>(shared_from_this());
    auto fail = [this, self, &address, port](int err) {
        // Node reports bind and listen failures alike, with syscall 'listen':
        // "listen EADDRINUSE: address already in use :::8124".
        Error e = Error::uvWithHostPort(err, "listen", address, port);
        loop().nextTick([self, e] {
            self->listenPending_ = false;
            self->emit("error", e);
        });
    };
    const auto sa = detail::makeSockAddr(address, port);
    UniqueFd fd(::socket(family == 6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) {
        if (fallbackToIPv4) return bindAndListen("0.0.0.0", 4, port, false);
        return fail(errno);
    }
    const int on = 1, off = 0;
    // SO_REUSEADDR: a restarted server can bind while old connections sit in TIME_WAIT.
    // Like libuv's uv__tcp_bind, a failure of either option fails the listen.
    if (::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0) return fail(errno);
    if (family == 6 && ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off) != 0) return fail(errno);
    if (::bind(fd.get(), sa.get(), sa.length) != 0) {
        const int err = errno;
        fd.reset();  // close(2) before a retry on IPv4 opens the next socket
        if (fallbackToIPv4 && err != EADDRINUSE) return bindAndListen("0.0.0.0", 4, port, false);
        return fail(err);
    }
    if (::listen(fd.get(), kBacklog) != 0) return fail(errno);  // fd closes itself
    fd_ = std::move(fd);
    if (!spareFd_) spareFd_ = openSpare();
    const auto local = detail::localEndpoint(fd_.get());
    bound_ = {local.address, local.family, local.port};
    tracing::line("server#{} listening on fd {} ({}:{})", handleId(), fd_.get(), bound_.address, bound_.port);
    tracing::handle("fd", kind(), handleId(), fd_.get());
    watcher_.start(fd_.get(), POLLIN);
    setActive(true);
    loop().nextTick([self] {
        self->listenPending_ = false;
        if (self->fd_) self->emit("listening");
    });
}

// ===========================================================================
// Accepting.
// ===========================================================================

void Server::onReadable() {
    auto self = std::static_pointer_cast<Server>(shared_from_this());
    for (int count = 0; count < kAcceptsPerWakeup && fd_; ++count) {
        UniqueFd cfd(::accept4(fd_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
        if (!cfd) {
            const int err = errno;
            if (err == EINTR || err == ECONNABORTED || err == EPROTO) continue;  // try the next one
            if (err == EAGAIN || err == EWOULDBLOCK) return;  // no one else is waiting
            if (err == EMFILE || err == ENFILE) {
                shedConnections();
                return;
            }
            loop().nextTick([self, err] { self->emit("error", Error::errnoException(err, "accept")); });
            return;
        }
        auto socket = std::make_shared<Socket>(loop());
        loop().adopt(socket);
        const int number = cfd.get();
        socket->allowHalfOpen_ = options_.allowHalfOpen;
        socket->adoptAccepted(std::move(cfd), self);
        ++connections_;
        tracing::line("server#{} accept4 -> fd {} (socket#{})", handleId(), number, socket->handleId());
        tracing::handle("fd", socket->kind(), socket->handleId(), number);
        // libuv calls the connection callback once per accepted socket, and Node drains
        // nextTick after each (a callback from C++): tick 1 runs before connection 2.
        loop().invoke([&] { emit("connection", socket); });
    }
}

// Out of descriptors: the waiting connections can never be accepted, and poll(2) would
// report the listening socket readable forever, a busy loop. libuv's remedy: give up
// the spare descriptor kept for this moment, accept each waiting connection and close
// it at once (the clients see their connection end), then take the spare back.
//
// The spare itself can be lost: a thread-pool open(2) (fs.writeFile) may take the
// descriptor freed between close(spare) and its re-open below. Without a spare nothing
// can be accepted, and poll(2) would report the listening socket readable again at
// once, forever: a busy loop. So take the spare back if the limit allows it now;
// if not, stop watching the listening socket for a moment (nginx's remedy) and let the
// waiting clients wait.
void Server::shedConnections() {
    if (!spareFd_) spareFd_ = openSpare();
    if (!spareFd_) {
        watcher_.setEvents(0);
        std::weak_ptr<Server> weak = std::static_pointer_cast<Server>(shared_from_this());
        auto timer = kit::setTimeout(
            [weak] {
                if (auto self = weak.lock(); self && self->fd_) self->watcher_.setEvents(POLLIN);
            },
            kAcceptPauseMs);
        timer->unref();  // the listening server keeps the loop alive, not this timer
        tracing::line("server#{} EMFILE and no spare descriptor: accepting paused", handleId());
        return;
    }
    spareFd_.reset();  // close(2): one descriptor free for accept4(2)
    int shed = 0;
    for (;;) {
        const UniqueFd cfd(::accept4(fd_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
        if (!cfd) {
            if (errno == EINTR) continue;
            break;
        }
        ++shed;  // cfd closes here: the client sees its connection end
    }
    spareFd_ = openSpare();
    tracing::line("server#{} EMFILE: shed {} connection(s)", handleId(), shed);
}

// ===========================================================================
// Closing: stop accepting now; 'close' once the last connection is gone.
// ===========================================================================

Server& Server::close(std::function<void()> cb) {
    if (cb) once("close", std::move(cb));
    ++listeningId_;  // a listen() still looking its host up will not listen (Node's _listeningId)
    if (lookupPending_) {
        // The lookup itself still runs to its end (it holds a request on the loop, as
        // Node's getaddrinfo request does), but the server no longer waits for it.
        lookupPending_ = false;
        listenPending_ = false;
        setActive(false);
    }
    if (fd_) {
        watcher_.stop();
        fd_.reset();
        spareFd_.reset();  // the EMFILE reserve is needed only while accepting
        bound_ = {};
        setActive(false);
        tracing::line("server#{} stopped listening", handleId());
    }
    emitCloseIfDrained();
    return *this;
}

void Server::connectionClosed() {
    if (connections_ > 0) --connections_;
    emitCloseIfDrained();
}

void Server::emitCloseIfDrained() {
    // Node's _emitCloseIfDrained: nothing to do while listening or while connections
    // remain; otherwise 'close' on the next tick.
    if (fd_ || connections_ > 0) return;
    auto self = std::static_pointer_cast<Server>(shared_from_this());
    loop().nextTick([self] {
        self->emit("close");
        // Closed and drained, and no listen() waiting for its 'listening' or 'error'
        // (the document's retry calls listen() right after close()): like a libuv
        // handle after its close callback, the server drops its listeners, which
        // breaks the cycles of listeners capturing their own server, and the loop lets
        // go of it (loop.hpp, rule 3). A listen() from a 'close' listener keeps both
        // (rule 4).
        if (!self->fd_ && self->connections_ == 0 && !self->listenPending_) {
            self->removeAllListeners();
            self->loop().release(*self);
        }
    });
}

} // namespace kit::net
