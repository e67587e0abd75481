// dgram.cpp: UDP sockets over the poll(2) loop (see dgram.hpp).
//
// Read in this order: createSocket, bind -> afterBindLookup (socket(2), bind(2), start
// reading), onReadable (recvmsg(2) loop), send -> afterSendLookup -> transmit
// (sendto(2)), close -> onClose.
#include "dgram.hpp"

#include "console.hpp"
#include "dns.hpp"
#include "sockaddr.hpp"
#include "trace.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/uio.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <span>
#include <utility>

namespace kit::dgram {

// ===========================================================================
// One queued datagram.
// ===========================================================================

namespace detail {

struct SendRequest {
    Buffer data;                     // the caller's bytes, shared, not copied (as Node keeps a reference)
    int port = 0;
    std::string host;                // as the caller wrote it: Node's error messages use it
    sockaddr_storage dest{};
    socklen_t destLen = 0;
    SendCallback cb;
    bool done = false;               // the callback ran (or the request was dropped)
};

} // namespace detail

namespace {

// ---------------------------------------------------------------------------
// Node's errors for misuse, thrown synchronously like Node's `throw new ERR_...`.
// ---------------------------------------------------------------------------

// A new Buffer per datagram, as Node's: the listener may keep it. One allocation (the
// bytes and their reference count together), then the copy out of the read buffer.
Buffer copyDatagram(const std::uint8_t* data, std::size_t n) {
    if (n == 0) return Buffer();
    auto bytes = std::make_shared_for_overwrite<std::uint8_t[]>(n);
    std::memcpy(bytes.get(), data, n);
    return Buffer(std::move(bytes), n);
}

Error notRunning() { return Error::plain("Not running", "ERR_SOCKET_DGRAM_NOT_RUNNING"); }

Error badPort(int port, bool allowZero) {
    return Error::plain(fmt::format("Port should be {} 0 and < 65536. Received type number ({}).",
                                    allowZero ? ">=" : ">", port),
                        "ERR_SOCKET_BAD_PORT", "RangeError");
}

Error bufferSizeError(int sysErrno) {
    Error e = Error::plain(fmt::format("Could not get or set buffer size: uv_recv_buffer_size "
                                       "returned {} ({})",
                                       errorCode(sysErrno), errorDescription(sysErrno)),
                           "ERR_SOCKET_BUFFER_SIZE", "SystemError");
    e.errnum = -sysErrno;
    e.syscall = "uv_recv_buffer_size";
    return e;
}

bool wouldBlock(int err) {
    // libuv (uv__udp_sendmsg) waits for POLLOUT on these three: the socket's send buffer
    // is full (EAGAIN) or the device queue is (ENOBUFS, which Linux can return for UDP).
    return err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS;
}

// The address as a sockaddr of the *socket's* family (uv_ip4_addr/uv_ip6_addr). An
// IPv4 literal for a udp6 socket (or the reverse) does not convert: Node reports EINVAL.
bool toSockaddr(int family, const std::string& ip, int port, sockaddr_storage& out,
                socklen_t& len) {
    const kit::detail::SockAddr sa = kit::detail::makeSockAddr(ip, port);
    if (sa.length == 0 || sa.storage.ss_family != family) return false;
    out = sa.storage;
    len = sa.length;
    return true;
}

// sendto(2) of one whole datagram, retried if a signal interrupts it.
// Returns the bytes sent, or -1 with errno set.
ssize_t sendOnce(int fd, const detail::SendRequest& req) {
    ssize_t n;
    do {
        n = ::sendto(fd, req.data.data(), req.data.size(), 0,
                     reinterpret_cast<const sockaddr*>(&req.dest), req.destLen);
    } while (n < 0 && errno == EINTR);
    return n;
}

// util.inspect's layout for a small object: one line if it fits in 80 columns
// (lib/internal/util/inspect.js, reduceToSingleString), else one entry per line.
std::string inspectObject(const std::vector<std::string>& entries) {
    const std::size_t n = entries.size();
    std::size_t total = n + (n + 1 + 10);  // output.length + start, as Node counts
    bool oneLine = total + n <= 80;
    for (const auto& e : entries) {
        total += e.size();
        if (total > 80) oneLine = false;
    }
    std::string out = "{";
    for (std::size_t i = 0; i < n; ++i) {
        out += oneLine ? (i == 0 ? " " : ", ") : (i == 0 ? "\n  " : ",\n  ");
        out += entries[i];
    }
    return out + (oneLine ? " }" : "\n}");
}

} // namespace

std::string toText(const RemoteInfo& r) {
    return inspectObject({fmt::format("address: '{}'", r.address), fmt::format("family: '{}'", r.family),
                          fmt::format("port: {}", r.port), fmt::format("size: {}", r.size)});
}

std::string toText(const AddressInfo& a) {
    return inspectObject({fmt::format("address: '{}'", a.address), fmt::format("family: '{}'", a.family),
                          fmt::format("port: {}", a.port)});
}

// ===========================================================================
// Creation.
// ===========================================================================

std::shared_ptr<Socket> createSocket(std::string_view type) {
    int family;
    if (type == "udp4") {
        family = AF_INET;
    } else if (type == "udp6") {
        family = AF_INET6;
    } else {
        throw Error::plain("Bad socket type specified. Valid types are: udp4, udp6",
                           "ERR_SOCKET_BAD_TYPE", "TypeError");
    }
    Loop& loop = Loop::getDefault();
    auto socket = std::make_shared<Socket>(loop, family);
    loop.adopt(socket);  // the loop owns it until its `close` has been emitted
    return socket;
}

Socket::Socket(Loop& loop, int family)
    : Handle(loop, "udp"),
      EventEmitter("Socket"),
      family_(family),
      watcher_(loop, [this](short revents) { onIo(revents); }),
      readBuffer_(kReadBufferSize) {
    setTraceId(handleId());
}

// Members go in reverse order: the watcher leaves the poll set, then fd_ closes.
Socket::~Socket() = default;

std::string_view Socket::type() const { return family_ == AF_INET6 ? "udp6" : "udp4"; }

// ===========================================================================
// Lookup: what Node's `dns.lookup` does for dgram (lib/internal/dgram.js lookup4/6).
// ===========================================================================

void Socket::lookup(const std::string& host,
                    std::function<void(const std::optional<Error>&, const std::string&)> done) {
    // An IP literal (of either family) is answered as it is, on the next tick: a
    // callback API never calls back before the caller's code has finished. Its family
    // is checked later, when it becomes a sockaddr (EINVAL if it is the other one).
    // A name goes to getaddrinfo(3) on the thread pool, because it can block for
    // seconds (uv_getaddrinfo), asking for the socket's family only: 'localhost' is
    // 127.0.0.1 for udp4 and ::1 for udp6, and a udp6 lookup fails with ENOTFOUND if
    // /etc/hosts has no IPv6 entry for the name. Node's lookup4/lookup6 do the same.
    // Formatted only when tracing: this runs for every datagram sent.
    if (tracing::enabled()) tracing::line(fmt::format("udp#{}: lookup('{}')", handleId(), host));
    if (dns::isIP(host) != 0) {
        // What dns::lookup answers for a literal (the literal, on the next tick), without
        // building its list of addresses: a TFTP transfer sends one datagram per block.
        Loop& loop = this->loop();
        loop.beginRequest();
        loop.nextTick([&loop, host, done = std::move(done)] {
            loop.endRequest();
            done(std::nullopt, host);
        });
        return;
    }
    const int family = family_ == AF_INET6 ? 6 : 4;
    dns::lookup(host, family,
                [done = std::move(done)](const std::optional<Error>& err,
                                         const std::vector<dns::Address>& addresses) {
                    if (err) done(err, {});
                    else done(std::nullopt, addresses.front().address);  // the first, as dns.lookup
                });
}

// ===========================================================================
// bind: look up, socket(2) + bind(2), start reading, emit `listening`.
// ===========================================================================

void Socket::bind(int port, std::function<void()> onListening) {
    bind(port, std::string{}, std::move(onListening));
}

void Socket::bind(int port, std::string address, std::function<void()> onListening) {
    if (isClosing()) throw notRunning();
    if (state_ != BindState::Unbound)
        throw Error::plain("Socket is already bound", "ERR_SOCKET_ALREADY_BOUND");
    if (port < 0 || port > 65535) throw badPort(port, true);
    if (onListening) once("listening", std::move(onListening));
    startBind(port, std::move(address));
}

void Socket::startBind(int port, std::string address) {
    state_ = BindState::Binding;
    if (address.empty()) address = family_ == AF_INET6 ? "::" : "0.0.0.0";
    auto self = std::static_pointer_cast<Socket>(shared_from_this());
    lookup(address, [self, port](const std::optional<Error>& err, const std::string& ip) {
        self->afterBindLookup(port, err, ip);
    });
}

void Socket::afterBindLookup(int port, const std::optional<Error>& err, const std::string& ip) {
    if (isClosing()) return;  // closed while the lookup ran: nothing to bind (as Node)
    if (err) {
        state_ = BindState::Unbound;
        dropBindQueue();
        emit("error", *err);
        return;
    }
    // Only now does the descriptor exist (libuv creates it in uv__udp_bind). Non-blocking,
    // so recvmsg(2)/sendto(2) return EAGAIN instead of stopping the whole loop, and
    // close-on-exec, so a child process does not inherit it. Neither socket(2) nor
    // bind(2) on a UDP socket sleeps, so neither can fail with EINTR.
    int sysErr = 0;
    sockaddr_storage addr{};
    socklen_t len = 0;
    if (!toSockaddr(family_, ip, port, addr, len)) {
        sysErr = EINVAL;  // an address of the other family, e.g. '::1' on a udp4 socket
    } else {
        UniqueFd fd(::socket(family_, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
        if (!fd) {
            sysErr = errno;  // EMFILE, ENFILE, EAFNOSUPPORT (no IPv6 in this kernel)...
        } else if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), len) < 0) {
            sysErr = errno;  // EADDRINUSE (no SO_REUSEADDR, as Node's default), EACCES (<1024)...
        } else {
            fd_ = std::move(fd);
        }
        // On failure `fd` closes itself here.
    }
    if (sysErr != 0) {
        state_ = BindState::Unbound;
        dropBindQueue();  // Node drops the sends queued behind a failed bind
        emit("error", Error::withHostPort(sysErr, "bind", ip, port));  // "bind EADDRINUSE 0.0.0.0:8124"
        return;
    }
    // Node's startListening(): recvStart(), then 'listening'. Reading makes the handle
    // active: from now on it keeps the loop (and so the process) alive.
    watcher_.start(fd_.get(), POLLIN);
    setActive(true);
    state_ = BindState::Bound;
    if (tracing::enabled()) {
        const auto local = address();
        tracing::line(fmt::format("udp#{}: fd {} bound to {}:{}, reading", handleId(), fd_.get(),
                                local.address, local.port));
    }
    tracing::handle("fd", kind(), handleId(), fd_.get());
    emit("listening");
    // Then what waited for the bind, in order (Node's clearQueue).
    auto queue = std::move(bindQueue_);
    bindQueue_.clear();
    for (auto& action : queue) action(true);
}

void Socket::dropBindQueue() {
    auto queue = std::move(bindQueue_);
    bindQueue_.clear();
    for (auto& action : queue) action(false);
}

AddressInfo Socket::address() const {
    // Node calls getsockname(2) every time; before bind there is no descriptor: EBADF.
    if (!fd_) throw Error::errnoException(EBADF, "getsockname");
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (::getsockname(fd_.get(), reinterpret_cast<sockaddr*>(&ss), &len) < 0)
        throw Error::errnoException(errno, "getsockname");
    const kit::detail::Endpoint e = kit::detail::endpointOf(ss);
    return AddressInfo{e.address, e.family, e.port};
}

int Socket::getRecvBufferSize() const {
    if (!fd_) throw bufferSizeError(EBADF);
    int size = 0;
    socklen_t len = sizeof size;
    if (::getsockopt(fd_.get(), SOL_SOCKET, SO_RCVBUF, &size, &len) < 0) throw bufferSizeError(errno);
    return size;
}

void Socket::setRecvBufferSize(int bytes) {
    if (!fd_) throw bufferSizeError(EBADF);
    if (::setsockopt(fd_.get(), SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes) < 0)
        throw bufferSizeError(errno);
}

void Socket::setReadBufferSize(std::size_t bytes) { readBuffer_.assign(bytes, 0); }

// ===========================================================================
// Receiving: poll(2) said "readable"; read up to 32 datagrams with recvmsg(2).
// ===========================================================================

void Socket::onIo(short revents) {
    auto keep = shared_from_this();  // a listener may close this socket and drop its refs
    // POLLERR/POLLHUP are handled as readability, as libuv does: the read reports them.
    if (revents & (POLLIN | POLLERR | POLLHUP)) onReadable();
    if ((revents & (POLLOUT | POLLERR)) && fd_ && !writeQueue_.empty()) flushWriteQueue();
}

void Socket::onReadable() {
    // libuv's uv__udp_recvmsg: at most 32 datagrams per wakeup, then back to poll(2), so
    // a flood on this socket cannot starve the other descriptors and timers.
    for (int i = 0; i < kMaxReadsPerWakeup; ++i) {
        if (!fd_ || isClosing()) return;  // a listener closed the socket
        sockaddr_storage peer{};
        iovec iov{readBuffer_.data(), readBuffer_.size()};
        msghdr msg{};
        msg.msg_name = &peer;
        msg.msg_namelen = sizeof peer;
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        // MSG_TRUNC as a *flag* makes Linux return the datagram's real length even when
        // it did not fit; msg_flags & MSG_TRUNC then says the copy was cut.
        ssize_t n;
        do {
            n = ::recvmsg(fd_.get(), &msg, MSG_TRUNC);
        } while (n < 0 && errno == EINTR);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) return;  // drained: wait for poll(2)
            // Node's onMessage: a failed read is an 'error' event (syscall 'recvmsg').
            const Error err = Error::errnoException(errno, "recvmsg");
            loop().invoke([&] { emit("error", err); });
            return;
        }
        if (msg.msg_namelen != lastPeerLen_ || std::memcmp(&peer, &lastPeer_, msg.msg_namelen) != 0) {
            const kit::detail::Endpoint e = kit::detail::endpointOf(peer);
            lastFrom_ = RemoteInfo{e.address, e.family, e.port, 0};
            lastPeer_ = peer;
            lastPeerLen_ = msg.msg_namelen;
        }
        const RemoteInfo& from = lastFrom_;
        RemoteInfo rinfo{from.address, from.family, from.port, static_cast<std::size_t>(n)};
        if ((msg.msg_flags & MSG_TRUNC) != 0) {
            // libuv flags this UV_UDP_PARTIAL and Node ignores the flag; the kit never
            // hands out a cut datagram as if it were whole.
            ++truncated_;
            const Error err = Error::withHostPort(EMSGSIZE, "recvmsg", from.address, from.port);
            if (listenerCount("error") > 0) {
                loop().invoke([&] { emit("error", err); });
            } else {
                console::warn(fmt::format("(kit) Warning: dropped a {}-byte datagram from {}:{}: "
                                          "larger than the {}-byte read buffer (MSG_TRUNC)",
                                          n, from.address, from.port, readBuffer_.size()));
            }
            continue;
        }
        if (tracing::enabled())
            tracing::line(fmt::format("udp#{}: recvmsg -> {} bytes from {}:{}", handleId(), n,
                                    from.address, from.port));
        const Buffer buf = copyDatagram(readBuffer_.data(), static_cast<std::size_t>(n));
        // One callback per datagram, with nextTick drained after each, as Node's
        // MakeCallback does for each 'message'.
        loop().invoke([&] { emit("message", buf, rinfo); });
    }
}

// ===========================================================================
// Sending: implicit bind, lookup, then one sendto(2).
// ===========================================================================

void Socket::send(const Buffer& msg, int port, std::string host, SendCallback cb) {
    send(msg, 0, msg.size(), port, std::move(host), std::move(cb));
}

void Socket::send(const Buffer& msg, std::size_t offset, std::size_t length, int port,
                  std::string host, SendCallback cb) {
    // Node's order of checks: the slice, the port, then "is it still open".
    if (offset > msg.size())
        throw Error::plain("\"offset\" is outside of buffer bounds", "ERR_BUFFER_OUT_OF_BOUNDS", "RangeError");
    if (length > msg.size() - offset)
        throw Error::plain("\"length\" is outside of buffer bounds", "ERR_BUFFER_OUT_OF_BOUNDS", "RangeError");
    if (port <= 0 || port > 65535) throw badPort(port, false);
    if (isClosing()) throw notRunning();

    auto req = std::make_shared<detail::SendRequest>();
    req->data = msg.subarray(offset, offset + length);
    req->port = port;
    req->host = host.empty() ? (family_ == AF_INET6 ? "::1" : "127.0.0.1") : std::move(host);
    req->cb = std::move(cb);
    // A request from now until its callback: it keeps the loop alive even if nothing
    // else does (libuv counts each uv_udp_send_t as an active request).
    loop().beginRequest();

    // The fast path, libuv's uv_udp_send when the socket's queue is empty: sendto(2)
    // right now, inside send(). It needs a bound socket, nothing queued or still being
    // looked up (the datagrams keep their order), and an address literal of the
    // socket's family, which needs no lookup. The callback still runs on the next tick.
    if (state_ == BindState::Bound && fd_ && writeQueue_.empty() && pendingLookups_ == 0 &&
        literalDestination(*req)) {
        transmit(req);
        return;
    }
    auto self = std::static_pointer_cast<Socket>(shared_from_this());
    auto start = [self, req] {
        ++self->pendingLookups_;
        self->lookup(req->host, [self, req](const std::optional<Error>& err, const std::string& ip) {
            --self->pendingLookups_;
            self->afterSendLookup(req, err, ip);
        });
    };
    // Node binds a socket that was never bound to port 0 (any free port) on the wildcard
    // address, and the datagram waits in a queue until 'listening'.
    if (state_ == BindState::Unbound) startBind(0, {});
    if (state_ != BindState::Bound) {
        bindQueue_.push_back([self, req, start](bool run) {
            if (run) {
                start();
            } else if (!req->done) {  // the bind failed: Node drops the datagram silently
                req->done = true;
                self->loop().endRequest();
            }
        });
        return;
    }
    start();
}

void Socket::afterSendLookup(const Request& req, const std::optional<Error>& err,
                             const std::string& ip) {
    if (isClosing() || !fd_) {
        finish(req, Error::withHostPort(ECANCELED, "send", req->host, req->port), 0);
        return;
    }
    if (err) {
        // Node: a lookup error goes to the callback, or to 'error' if there is none.
        if (req->cb) {
            finish(req, err, 0);
        } else {
            finish(req, std::nullopt, 0);
            emit("error", *err);
        }
        return;
    }
    if (!destination(*req, ip)) {
        // udp4 socket, IPv6 address (or the reverse): "send EINVAL ::1:8124", as Node.
        const Error e = Error::withHostPort(EINVAL, "send", req->host, req->port);
        auto self = std::static_pointer_cast<Socket>(shared_from_this());
        loop().nextTick([self, req, e] { self->finish(req, e, 0); });
        return;
    }
    transmit(req);
}

bool Socket::destination(detail::SendRequest& req, const std::string& ip) {
    // One transfer sends thousands of datagrams to one peer: the last sockaddr is kept,
    // so inet_pton(3) runs once per peer, not once per datagram.
    if (req.port != lastDestPort_ || ip != lastDestIp_) {
        if (!toSockaddr(family_, ip, req.port, lastDest_, lastDestLen_)) {
            lastDestPort_ = 0;
            return false;
        }
        lastDestIp_ = ip;
        lastDestPort_ = req.port;
    }
    req.dest = lastDest_;
    req.destLen = lastDestLen_;
    return true;
}

bool Socket::literalDestination(detail::SendRequest& req) {
    if (req.port == lastDestPort_ && req.host == lastDestIp_) return destination(req, req.host);
    // A name, or a literal of the other family (EINVAL, reported by the slow path).
    return dns::isIP(req.host) == (family_ == AF_INET6 ? 6 : 4) && destination(req, req.host);
}

void Socket::transmit(const Request& req) {
    auto self = std::static_pointer_cast<Socket>(shared_from_this());
    if (!writeQueue_.empty()) {  // keep the order: earlier datagrams are still waiting
        writeQueue_.push_back(req);
        return;
    }
    // Try at once, as Node does (uv_udp_try_send): usually the kernel takes the datagram
    // now. The callback still runs on the next tick, never inside this call.
    const ssize_t n = sendOnce(fd_.get(), *req);
    if (n >= 0) {
        if (tracing::enabled())
            tracing::line(fmt::format("udp#{}: sendto -> {} bytes to {}:{}", handleId(), n, req->host, req->port));
        // Without a callback there is nothing to tell: the send is over now, as in Node
        // (udp_wrap.cc tries uv_udp_try_send only when no callback was given, and a
        // datagram the kernel took at once leaves no request behind).
        if (!req->cb) { finish(req, std::nullopt, static_cast<std::size_t>(n)); return; }
        loop().nextTick([self, req, n] { self->finish(req, std::nullopt, static_cast<std::size_t>(n)); });
        return;
    }
    if (wouldBlock(errno)) {
        writeQueue_.push_back(req);  // sent when poll(2) reports POLLOUT
        watcher_.setEvents(POLLIN | POLLOUT);
        return;
    }
    // EMSGSIZE (over 65,507 bytes on IPv4), ENETUNREACH, EACCES (broadcast)...:
    // Node's message names the host as the caller wrote it: "send EMSGSIZE 127.0.0.1:8124".
    const Error e = Error::withHostPort(errno, "send", req->host, req->port);
    loop().nextTick([self, req, e] { self->finish(req, e, 0); });
}

void Socket::flushWriteQueue() {
    while (fd_ && !writeQueue_.empty()) {
        const Request req = writeQueue_.front();
        const ssize_t n = sendOnce(fd_.get(), *req);
        if (n < 0 && wouldBlock(errno)) break;  // still full: wait for the next POLLOUT
        writeQueue_.pop_front();
        const std::optional<Error> err =
            n < 0 ? std::optional<Error>(Error::withHostPort(errno, "send", req->host, req->port))
                  : std::nullopt;
        const std::size_t bytes = n < 0 ? 0 : static_cast<std::size_t>(n);
        loop().invoke([&] { finish(req, err, bytes); });
    }
    if (fd_ && writeQueue_.empty()) watcher_.setEvents(POLLIN);  // stop asking for POLLOUT
}

void Socket::finish(const Request& req, const std::optional<Error>& err, std::size_t bytes) {
    if (req->done) return;
    req->done = true;
    loop().endRequest();
    if (req->cb) {
        auto cb = std::move(req->cb);
        cb(err, bytes);
    }
}

// ===========================================================================
// close: release the descriptor now, emit `close` in the close phase.
// ===========================================================================

void Socket::close(std::function<void()> cb) {
    if (isClosing()) throw notRunning();
    if (cb) on("close", std::move(cb));
    if (state_ == BindState::Binding && !bindQueue_.empty()) {
        // Sends wait for the bind: Node queues the close behind them.
        auto self = std::static_pointer_cast<Socket>(shared_from_this());
        bindQueue_.push_back([self](bool run) {
            if (run && !self->isClosing()) self->close();
        });
        return;
    }
    // uv_close on a UDP handle: leave the poll set and close(2) the descriptor at once;
    // the rest (cancelled sends) happens in the close phase. Node does not wait for the
    // handle's close callback to emit 'close': its close() queues socketCloseNT with
    // process.nextTick, so 'close' comes right after the current callback, and two
    // sockets closed in one callback emit 'close' in the order close() was called.
    watcher_.stop();
    fd_.reset();
    tracing::line(fmt::format("udp#{}: descriptor closed", handleId()));
    closeHandle();
    auto self = std::static_pointer_cast<Socket>(shared_from_this());
    loop().nextTick([self] { self->emit("close"); });
}

void Socket::onClose() {
    // libuv's uv__udp_finish_close: datagrams still queued complete with ECANCELED
    // (in Node, after the 'close' event emitted on the next tick).
    auto queued = std::move(writeQueue_);
    writeQueue_.clear();
    for (auto& req : queued) finish(req, Error::withHostPort(ECANCELED, "send", req->host, req->port), 0);
    dropBindQueue();
}

void Socket::releaseListeners() {
    removeAllListeners();
    bindQueue_.clear();  // its actions hold references to this socket
}

} // namespace kit::dgram
