// net_socket.cpp: net.Socket, a TCP connection (see net.hpp).
//
// The life of a socket, and where each part lives below:
//   connect(): dns lookup -> socket(2) + non-blocking connect(2) -> POLLOUT -> SO_ERROR
//   reading:   POLLIN -> read(2) up to 32 times -> 'data' ... read() == 0 -> 'end'
//   writing:   write() queues, send(2) now if possible, POLLOUT for the rest -> 'drain'
//   ending:    end() -> queue empty -> shutdown(2) -> 'finish'
//   closing:   destroy() -> close(2) -> close phase -> 'close(hadError)'
#include "net.hpp"

#include "dns.hpp"
#include "sockaddr.hpp"
#include "trace.hpp"

#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>

namespace kit::net {

// ===========================================================================
// Creation.
// ===========================================================================

Socket::Socket(Loop& loop)
    : Handle(loop, "socket"), EventEmitter("Socket"), watcher_(loop, [this](short revents) { onIo(revents); }) {
    setTraceId(handleId());
    // Node's Readable.prototype.on: the first 'data' listener starts the flow, unless
    // the program called pause() (readableFlowing === false).
    onListenerAdded([this](std::string_view event) {
        if (event == "data" && flowing_ == Flow::Null) resume();
    });
}

Socket::~Socket() { closeFd(); }

SocketPtr createSocket() {
    Loop& loop = Loop::getDefault();
    auto socket = std::make_shared<Socket>(loop);
    loop.adopt(socket);
    return socket;
}

SocketPtr createConnection(int port, const std::string& host, std::function<void()> cb) {
    auto socket = createSocket();
    socket->connect(port, host, std::move(cb));
    return socket;
}

int validatePort(std::string_view text) {
    int port = -1;
    const auto* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, port);
    if (text.empty() || ec != std::errc() || ptr != end || port < 0 || port > 65535) {
        throw Error::plain(fmt::format("Port should be >= 0 and < 65536. Received type string ('{}').", text),
                           "ERR_SOCKET_BAD_PORT", "RangeError");
    }
    return port;
}

int validatePort(int port, std::string_view name) {
    if (port < 0 || port > 65535)
        throw Error::plain(fmt::format("{} should be >= 0 and < 65536. Received type number ({}).", name, port),
                           "ERR_SOCKET_BAD_PORT", "RangeError");
    return port;
}

// A socket accepted by a Server: already connected, reading starts at once.
void Socket::adoptAccepted(UniqueFd fd, std::weak_ptr<Server> server) {
    fd_ = std::move(fd);
    server_ = std::move(server);
    connected_ = true;
    const auto local = detail::localEndpoint(fd_.get());
    const auto remote = detail::remoteEndpoint(fd_.get());
    local_ = {local.address, local.family, local.port};
    remote_ = {remote.address, remote.family, remote.port};
    watcher_.start(fd_.get(), 0);
    updateInterest();
}

// ===========================================================================
// Connecting: look the host up, then try its addresses one after the other.
// ===========================================================================

Socket& Socket::connect(std::string_view port, const std::string& host, std::function<void()> cb) {
    return connect(validatePort(port), host, std::move(cb));
}

Socket& Socket::connect(int port, const std::string& host, std::function<void()> cb) {
    validatePort(port);  // before anything changes, as Node's lookupAndConnect
    // Node's Socket.prototype.connect on a destroyed socket: _undestroy(), then connect
    // as new (the retry from a 'close' listener).
    if (destroyed_) undestroy();
    if (cb) once("connect", std::move(cb));
    connecting_ = true;
    setActive(true);  // a connect in progress keeps the loop alive
    auto self = std::static_pointer_cast<Socket>(shared_from_this());
    tracing::line("socket#{} lookup '{}'", handleId(), host);
    // Node 20 asks dns.lookup for every address (autoSelectFamily), keeping the
    // resolver's order, then tries them in turn.
    dns::lookup(host, 0, [self, port](const std::optional<Error>& err, const std::vector<dns::Address>& found) {
        if (self->destroyed_) return;
        if (err) {
            self->destroy(*err);
            return;
        }
        if (self->fd_) {
            // connect() again while connecting (or connected): Node reuses the handle,
            // and libuv refuses a second connect on it (uv__tcp_connect: EALREADY; the
            // kernel says EISCONN once connected). The socket is destroyed with it.
            const int code = self->connected_ ? EISCONN : EALREADY;
            self->destroy(Error::withHostPort(code, "connect", found.front().address, port));
            return;
        }
        std::vector<std::pair<std::string, int>> addresses;
        addresses.reserve(found.size());
        for (const auto& a : found) addresses.emplace_back(a.address, a.family);
        self->connectTo(std::move(addresses), 0, port, std::nullopt);
    });
    return *this;
}

void Socket::connectTo(std::vector<std::pair<std::string, int>> addresses, std::size_t index, int port,
                       std::optional<Error> lastError) {
    if (lastError) attemptErrors_.push_back(*lastError);
    if (index >= addresses.size()) {
        // Every address failed. With one, its error; with several, Node 20's
        // internalConnectMultiple reports them all at once: an AggregateError whose
        // [errors] are the attempts' errors in order ("AggregateError [ECONNREFUSED]: "
        // on a machine where localhost is both ::1 and 127.0.0.1).
        if (addresses.size() > 1) destroy(Error::aggregate(std::move(attemptErrors_)));
        else destroy(*lastError);
        attemptErrors_.clear();
        return;
    }
    const auto& [address, family] = addresses[index];
    remote_ = {address, family == 6 ? "IPv6" : "IPv4", port};
    const auto sa = detail::makeSockAddr(address, port);
    // Every descriptor is non-blocking and close-on-exec from birth, as libuv makes them.
    UniqueFd fd(::socket(sa.storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) {
        connectTo(std::move(addresses), index + 1, port, Error::withHostPort(errno, "connect", address, port));
        return;
    }
    fd_ = std::move(fd);
    int r;
    do {
        r = ::connect(fd_.get(), sa.get(), sa.length);  // non-blocking: usually EINPROGRESS
    } while (r < 0 && errno == EINTR);
    if (r < 0 && errno != EINPROGRESS) {
        // Refused at once (rare on TCP): report it on a later tick, as libuv does.
        const int err = errno;
        closeFd();
        auto self = std::static_pointer_cast<Socket>(shared_from_this());
        loop().defer([self, addresses = std::move(addresses), index, port, err]() mutable {
            const std::string addr = addresses[index].first;
            self->connectTo(std::move(addresses), index + 1, port, Error::withHostPort(err, "connect", addr, port));
        });
        return;
    }
    tracing::line("socket#{} connect({}, {}:{}) in progress", handleId(), fd_.get(), address, port);
    tracing::handle("fd", kind(), handleId(), fd_.get());
    watcher_.start(fd_.get(), POLLOUT);  // writable = the handshake finished, well or badly
    if (index + 1 < addresses.size()) {
        // More addresses to try: give this one 250 ms (Node's
        // autoSelectFamilyAttemptTimeout), then move on.
        std::weak_ptr<Socket> weak = std::static_pointer_cast<Socket>(shared_from_this());
        connectTimer_ = kit::setTimeout(
            [weak, addresses, index, port] {
                auto self = weak.lock();
                if (!self || !self->connecting_) return;
                self->closeFd();
                self->connectTo(addresses, index + 1, port,
                                Error::withHostPort(ETIMEDOUT, "connect", addresses[index].first, port));
            },
            250);
        // Keep the remaining addresses for onIo's failure path.
    }
    pendingAddresses_ = std::move(addresses);
    pendingIndex_ = index;
    pendingPort_ = port;
}

void Socket::onConnected() {
    connecting_ = false;
    connected_ = true;
    clearTimeout(connectTimer_);
    connectTimer_.reset();
    pendingAddresses_.clear();
    attemptErrors_.clear();
    const auto local = detail::localEndpoint(fd_.get());
    const auto remote = detail::remoteEndpoint(fd_.get());
    local_ = {local.address, local.family, local.port};
    remote_ = {remote.address, remote.family, remote.port};
    tracing::line("socket#{} connected {}:{} -> {}:{}", handleId(), local_.address, local_.port,
                remote_.address, remote_.port);
    // Node's afterConnect emits 'connect' then 'ready' from the same function, 'ready'
    // even when a 'connect' listener destroyed the socket.
    emit("connect");
    emit("ready");
    if (destroyed_) return;
    updateInterest();
    flush();  // anything written before the connection existed
}

// ===========================================================================
// Readiness: one callback for every event poll(2) reports on this descriptor.
// ===========================================================================

void Socket::onIo(short revents) {
    auto self = shared_from_this();  // a listener may drop the last user reference
    if (connecting_) {
        int err = 0;
        socklen_t len = sizeof err;
        if (::getsockopt(fd_.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
        if (err == 0) {
            onConnected();
            return;
        }
        clearTimeout(connectTimer_);
        connectTimer_.reset();
        closeFd();
        const std::string addr = pendingAddresses_[pendingIndex_].first;
        connectTo(std::move(pendingAddresses_), pendingIndex_ + 1, pendingPort_,
                  Error::withHostPort(err, "connect", addr, pendingPort_));
        return;
    }
    // POLLHUP and POLLERR arrive with data still queued in the kernel: read it all
    // first; read(2) itself then reports the end (0) or the error (ECONNRESET).
    if ((revents & (POLLIN | POLLHUP | POLLERR)) && wantsToRead()) readSome();
    if (destroyed_) return;
    if ((revents & (POLLOUT | POLLERR | POLLHUP)) && queued_ > 0) flush();
    // libuv's uv__stream_io: with the write queue empty on POLLOUT, uv__drain() sends
    // the FIN a pending uv_shutdown() asked for.
    if ((revents & (POLLOUT | POLLERR | POLLHUP)) && shutdownPending_ && queued_ == 0 && !destroyed_) completeShutdown();
}

// ===========================================================================
// Reading.
// ===========================================================================

// Node's rule for a readable stream: read while it flows, or while less than its
// highWaterMark waits to be consumed. A socket nobody consumes (no 'data' listener
// yet, or paused) still reads up to 16 KiB, so it sees the peer's FIN or RST, and
// then stops: the rest waits in the kernel, and TCP's window slows the sender.
bool Socket::wantsToRead() const {
    return connected_ && !destroyed_ && !readEnded_ &&
           (flowing_ == Flow::Flowing || buffered_ < kReadableHighWaterMark);
}

void Socket::readSome() {
    // At most 32 reads per wakeup (libuv's count in uv__read): one fast peer must not
    // starve the other descriptors of this poll pass.
    for (int count = 0; count < 32; ++count) {
        if (!wantsToRead()) break;
        // libuv asks for memory before each read (alloc_cb); ours comes from the
        // socket's ReadArena, so the chunk the kernel fills is the chunk 'data' delivers.
        const auto room = arena_.room(readSize_);
        if (room.empty()) {
            destroy(Error::errnoException(errno, "read"));  // ENOMEM: no memory to read into
            return;
        }
        const ssize_t n = ::read(fd_.get(), room.data(), room.size());  // read(2)
        if (n > 0) {
            bytesRead_ += static_cast<std::uint64_t>(n);
            touchTimer();
            Buffer chunk = arena_.commit(static_cast<std::size_t>(n));
            if (flowing_ == Flow::Flowing && readBuffer_.empty()) {
                // The common case: straight to the listeners. libuv calls the read
                // callback once per read(2), and Node drains nextTick after each: a
                // tick queued by one 'data' runs before the next 'data'.
                loop().invoke([&] { emitData(chunk); });
            } else {
                buffered_ += chunk.size();  // nobody consumes now: keep it (Node's push)
                readBuffer_.push_back(std::move(chunk));
            }
            if (static_cast<std::size_t>(n) < room.size()) break;  // drained for now
            continue;
        }
        if (n == 0) {  // the peer sent FIN: no more data will come
            onPeerEnd();
            return;
        }
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;  // spurious wakeup: wait
        destroy(Error::errnoException(errno, "read"));  // ECONNRESET, ETIMEDOUT...
        return;
    }
    updateInterest();  // a buffer that just filled up takes the socket out of POLLIN
}

void Socket::emitData(const Buffer& chunk) {
    if (decoder_) {
        // setEncoding('utf8'): hold back a character cut in two by the network.
        std::string text = decoder_->write(std::string_view(reinterpret_cast<const char*>(chunk.data()), chunk.size()));
        if (text.empty()) return;
        if (listenerCountOf<Buffer>("data") > 0) emit("data", Buffer::from(text));
        if (!destroyed_) emit("data", text);
        return;
    }
    emit("data", chunk);
    if (!destroyed_ && listenerCountOf<std::string>("data") > 0) emit("data", chunk.toString());
}

// Deliver what waits in the buffer while the socket flows (a listener may pause it
// again, or destroy it, between two chunks); then the end, if the FIN was read.
void Socket::flow() {
    while (flowing_ == Flow::Flowing && !destroyed_ && !readBuffer_.empty()) {
        Buffer chunk = std::move(readBuffer_.front());
        readBuffer_.pop_front();
        buffered_ -= chunk.size();
        emitData(chunk);
    }
    if (destroyed_) return;
    if (readEnded_ && readBuffer_.empty() && flowing_ == Flow::Flowing) emitEnd();
    updateInterest();
}

void Socket::onPeerEnd() {
    readEnded_ = true;
    updateInterest();
    // Node emits 'end' only once everything read before the FIN has been consumed.
    // With nothing waiting it comes at once, flowing or not; otherwise flow() emits
    // it after the last buffered chunk.
    if (readBuffer_.empty()) emitEnd();
}

void Socket::emitEnd() {
    if (endEmitted_) return;
    endEmitted_ = true;
    if (decoder_) {
        // What the decoder still holds is an incomplete character cut by the FIN.
        // Node's StringDecoder.end() turns it into one U+FFFD, emitted just before 'end'.
        if (std::string tail = decoder_->end(); !tail.empty()) emit("data", tail);
    }
    emit("end");
    if (destroyed_) return;
    // allowHalfOpen is false in Node by default: the peer ended, so we end too; once
    // our FIN is out as well, the socket is done. With allowHalfOpen the program may
    // still write: its own end() closes the socket once the FIN is out.
    if (finished_) destroy();
    else if (!allowHalfOpen_) end();
}

void Socket::pause() {
    flowing_ = Flow::Paused;  // 'data' stops; reading goes on until the buffer is full
    updateInterest();
}

void Socket::resume() {
    flowing_ = Flow::Flowing;
    updateInterest();
    // Node's resume() flows on the next tick (resume_ via process.nextTick): the
    // caller's code finishes before the buffered chunks are emitted.
    auto self = std::static_pointer_cast<Socket>(weak_from_this().lock());
    if (flowScheduled_ || !self) return;  // !self: not owned by a shared_ptr yet
    flowScheduled_ = true;
    loop().nextTick([self] {
        self->flowScheduled_ = false;
        self->flow();
    });
}

void Socket::setEncoding(std::string_view encoding) {
    if (encoding != "utf8" && encoding != "utf-8" && encoding != "UTF-8")
        throw Error::plain(fmt::format("Unknown encoding: {}", encoding), "ERR_UNKNOWN_ENCODING", "TypeError");
    decoder_.emplace();
}

// ===========================================================================
// Writing, with backpressure.
// ===========================================================================

bool Socket::write(const Buffer& chunk) {
    // Node's Writable: a write to a destroyed stream only fails its own callback
    // (ERR_STREAM_DESTROYED), no 'error' event; a write after end() destroys the
    // stream with ERR_STREAM_WRITE_AFTER_END ('error', then 'close(true)').
    if (destroyed_) return false;
    if (ending_) {
        destroy(Error::plain("write after end", "ERR_STREAM_WRITE_AFTER_END"));
        return false;
    }
    queued_ += chunk.size();
    queue_.push_back(chunk);
    if (connected_) flush();  // libuv tries the write at once (uv_try_write)
    // Node 20's writeOrBuffer answers *after* trying the write: a chunk the kernel took
    // whole leaves nothing waiting, so write() returns true even for 64 KiB. A chunk
    // still waiting counts whole, its bytes already sent included (Node's state.length
    // drops only when the write request completes): at 16 KiB (highWaterMark) or more,
    // write() says "stop until 'drain'".
    const std::size_t waiting = queue_.empty() ? 0 : queued_ + queueOffset_;
    const bool belowMark = waiting < kHighWaterMark;
    if (!belowMark) needDrain_ = true;
    // A write that failed at once (EPIPE...) returns false, as Node's does once the
    // stream has errored, so a `while (socket.write(x))` loop stops.
    return belowMark && !destroyed_;
}

void Socket::flush() {
    while (!queue_.empty() && !destroyed_) {
        const Buffer& front = queue_.front();
        const std::size_t left = front.size() - queueOffset_;
        if (left == 0) {
            queue_.pop_front();
            queueOffset_ = 0;
            continue;
        }
        // send(2) with MSG_NOSIGNAL: a closed peer gives EPIPE, never SIGPIPE.
        const ssize_t n = ::send(fd_.get(), front.data() + queueOffset_, left, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) break;  // kernel buffer full
            destroy(Error::errnoException(errno, "write"));     // EPIPE, ECONNRESET
            return;
        }
        bytesWritten_ += static_cast<std::uint64_t>(n);
        queued_ -= static_cast<std::size_t>(n);
        queueOffset_ += static_cast<std::size_t>(n);
        touchTimer();
    }
    if (destroyed_) return;
    updateInterest();  // POLLOUT only while something waits
    if (queued_ == 0) {
        if (needDrain_) {
            needDrain_ = false;
            auto self = std::static_pointer_cast<Socket>(shared_from_this());
            loop().nextTick([self] {
                if (!self->destroyed_) self->emit("drain");
            });
        }
        maybeShutdown();
    }
}

void Socket::onceDrain(std::function<void()> fn) { once("drain", std::move(fn)); }

void Socket::end() {
    if (ending_ || destroyed_) return;
    ending_ = true;
    maybeShutdown();
}

// Our FIN goes out once everything queued has been sent. Node's Writable then calls
// Socket._final, which asks libuv for a shutdown (uv_shutdown): libuv only starts
// watching for POLLOUT, and shutdown(2) runs in a later poll phase, when the socket is
// writable and its write queue empty. So 'finish' never comes from end() itself: every
// nextTick queued after end() in the same callback runs first.
void Socket::maybeShutdown() {
    if (!ending_ || finished_ || shutdownPending_ || queued_ > 0 || !connected_ || destroyed_) return;
    shutdownPending_ = true;
    updateInterest();  // POLLOUT (see onIo)
}

// The shutdown request completes: shutdown(2), then 'finish' on the next tick (Node's
// afterShutdown -> callFinal's callback -> process.nextTick(finish)).
void Socket::completeShutdown() {
    shutdownPending_ = false;
    finished_ = true;
    if (::shutdown(fd_.get(), SHUT_WR) != 0 && errno != ENOTCONN) {
        destroy(Error::errnoException(errno, "shutdown"));
        return;
    }
    tracing::line("socket#{} shutdown(SHUT_WR): FIN sent", handleId());
    updateInterest();
    auto self = std::static_pointer_cast<Socket>(shared_from_this());
    loop().nextTick([self] {
        if (self->destroyed_) return;
        self->emit("finish");
        // Both directions are done: the socket closes itself, as Node's does.
        if (self->readEnded_ && !self->destroyed_) self->destroy();
    });
}

// ===========================================================================
// Which events to wait for, and whether the socket keeps the loop alive.
// ===========================================================================

void Socket::updateInterest() {
    if (!fd_) return;
    short events = 0;
    if (connecting_) {
        events = POLLOUT;
    } else if (connected_ && !destroyed_) {
        if (wantsToRead()) events |= POLLIN;
        if (queued_ > 0 || shutdownPending_) events |= POLLOUT;
    }
    watcher_.setEvents(events);
    // libuv: a stream is active while it reads, writes or connects.
    setActive(!destroyed_ && (connecting_ || events != 0));
}

void Socket::setReadSize(std::size_t bytes) { readSize_ = std::clamp<std::size_t>(bytes, 1024, kReadSize); }

void Socket::setTimeout(double ms, std::function<void()> cb) {
    if (cb) once("timeout", std::move(cb));
    idleMs_ = ms;
    touchTimer();
}

void Socket::touchTimer() {
    if (idleMs_ <= 0) {
        if (idleTimer_) clearTimeout(idleTimer_);
        idleTimer_.reset();
        return;
    }
    if (idleTimer_) clearTimeout(idleTimer_);
    std::weak_ptr<Socket> weak = std::static_pointer_cast<Socket>(shared_from_this());
    idleTimer_ = kit::setTimeout(
        [weak] {
            if (auto self = weak.lock(); self && !self->destroyed_) self->emit("timeout");
        },
        idleMs_);
    idleTimer_->unref();  // Node's socket timers never keep the process alive
}

// ===========================================================================
// Closing.
// ===========================================================================

void Socket::destroy() {
    if (destroyed_) return;
    destroyed_ = true;
    connecting_ = false;
    clearTimeout(connectTimer_);
    clearTimeout(idleTimer_);
    closeFd();
    queue_.clear();
    queued_ = 0;
    readBuffer_.clear();  // read but never consumed: dropped, as Node's destroy() does
    buffered_ = 0;
    closeHandle();  // 'close' is emitted in the loop's close phase
    // Node's Socket._destroy: the server stops counting this connection now, not when
    // its 'close' is emitted, so a server closed meanwhile emits its own 'close' on
    // the next tick, before this socket's 'close' (close phase).
    if (auto server = server_.lock()) {
        server_.reset();
        server->connectionClosed();
    }
}

void Socket::destroy(const Error& err) {
    if (destroyed_) return;
    hadError_ = true;
    auto self = std::static_pointer_cast<Socket>(shared_from_this());
    // 'error' on the next tick, queued before destroy() lets the server know (Node's
    // order), and 'close(true)' in the close phase after it.
    loop().nextTick([self, err] { self->emit("error", err); });
    destroy();
}

void Socket::resetAndDestroy() {
    if (fd_) {
        // SO_LINGER with a zero timeout: close(2) sends RST instead of FIN.
        linger l{1, 0};
        ::setsockopt(fd_.get(), SOL_SOCKET, SO_LINGER, &l, sizeof l);
    }
    destroy();
}

// Node's _undestroy() as connect() calls it on a destroyed socket: the stream's state
// starts over, the handle is not closing any more and the loop owns it again.
void Socket::undestroy() {
    destroyed_ = false;
    hadError_ = false;
    connected_ = false;
    readEnded_ = false;
    endEmitted_ = false;
    ending_ = false;
    finished_ = false;
    shutdownPending_ = false;
    needDrain_ = false;
    local_ = {};
    remote_ = {};
    reopen();
}

void Socket::closeFd() {
    watcher_.stop();  // out of the poll set first, then close(2)
    fd_.reset();
}

void Socket::onClose() {
    emit("close", hadError_);
    if (auto server = server_.lock()) server->connectionClosed();
}

void Socket::releaseListeners() {
    removeAllListeners();
    connectTimer_.reset();
    idleTimer_.reset();
}

} // namespace kit::net
