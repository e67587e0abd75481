/// @file net.hpp
/// @brief `net.createServer`, `net.Server` and `net.Socket`: TCP over non-blocking
///        POSIX sockets, driven by the loop.
///
/// Mirrors Node's `net` module over libuv's `uv_tcp_t` (src/unix/tcp.c, stream.c):
///
/// - **Server**: `listen(port[, host])` creates the socket (socket(2), SO_REUSEADDR,
///   bind(2), listen(2)); with no host it binds `::` dual-stack and falls back to
///   `0.0.0.0` where IPv6 is missing, as Node does. `listening` and `error` arrive on a
///   later tick, never as an exception. Each readable event on the listening socket
///   accepts connections with accept4(2) and emits `connection` with a new Socket.
///   When descriptors run out (EMFILE), libuv's reserved-descriptor trick sheds the
///   waiting connections instead of spinning. `close()` stops accepting; `close` is
///   emitted when the last connection has closed. The same Server can `listen` again.
/// - **Socket**: `connect(port, host)` looks the host up (dns.hpp), then connect(2)
///   without blocking; completion is seen as writability and read with
///   `getsockopt(SO_ERROR)`. Events, in Node's order: `connect`, `ready`, `data`
///   (at most 64 KiB each), `end` (peer's FIN), `finish` (our FIN sent), `drain`,
///   `error`, `close(hadError)`. `write()` returns false once 16 KiB (Node's
///   highWaterMark) are waiting, and `drain` follows when they are sent. As in Node,
///   `allowHalfOpen` is false by default: after the peer's FIN the socket ends its
///   side too. A server created with `{allowHalfOpen: true}` (lesson 06) gives its
///   sockets the other behaviour: after `end` the socket can still write, until the
///   program calls `end()` itself.
///   With `setEncoding("utf8")`, `data` listeners taking `std::string` get text that
///   never splits a multi-byte character. Reading follows Node's Readable: the socket
///   *flows* (emits `data`) once a `data` listener is added or `resume()` is called,
///   and stops flowing at `pause()`. While it does not flow it still reads, into its
///   own buffer, until 16 KiB wait there; nothing is lost, and `end` waits behind the
///   buffered data.
///
/// Rules kept here (each one a failure seen on Linux when broken): read everything buffered
/// before reporting end or error (POLLHUP and POLLERR come with data still queued);
/// a socket whose read buffer is full (16 KiB, nobody consuming) wants no POLLIN, so it
/// leaves the poll set unless it has something to write; POLLOUT is asked for
/// only while the write queue is not empty; at most 32 reads per wakeup so one busy
/// peer cannot starve the others; EINTR retried, EAGAIN means "wait".
///
/// What it leaves out: `allowHalfOpen` on client sockets, `setNoDelay`/`setKeepAlive`, `cork`,
/// UNIX-domain sockets, IPC, `maxConnections`, `server.getConnections`, `bytesWritten`
/// accuracy for queued data, and Happy Eyeballs in full (addresses are tried one after
/// the other, see docs/differences.md).
#pragma once

#include "buffer.hpp"
#include "errors.hpp"
#include "events.hpp"
#include "fd.hpp"
#include "loop.hpp"
#include "stream.hpp"
#include "string_decoder.hpp"
#include "timers.hpp"

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

/// @brief Node's `net` module: TCP servers and sockets.
namespace kit::net {

class Server;

/// @brief `socket.address()` / `server.address()`: where a socket is bound.
struct AddressInfo {
    std::string address;  ///< "::", "127.0.0.1"...
    std::string family;   ///< "IPv4" or "IPv6".
    int port = 0;         ///< The port number.
};

/// @brief A TCP connection (Node's `net.Socket`).
class Socket
    : public Handle,
      public Writable,
      public EventEmitter<Event<"connect">, Event<"ready">, Event<"data", Buffer>,
                          Event<"data", std::string>, Event<"end">, Event<"finish">,
                          Event<"drain">, Event<"timeout">, Event<"error", Error>,
                          Event<"close", bool>> {
public:
    /// @brief Node's default highWaterMark for a socket's write side: 16 KiB.
    static constexpr std::size_t kHighWaterMark = 16 * 1024;
    /// @brief Largest `data` chunk: libuv reads 64 KiB at a time.
    static constexpr std::size_t kReadSize = 64 * 1024;
    /// @brief Node's default highWaterMark for a socket's read side: 16 KiB. While
    /// nobody consumes the data, the socket reads until this much waits in its buffer.
    static constexpr std::size_t kReadableHighWaterMark = 16 * 1024;

    /// @brief `new net.Socket()`; prefer `net::createSocket()`, which the loop adopts.
    explicit Socket(Loop& loop);
    ~Socket() override;

    /// @brief `socket.connect(port, host, cb)`; @p cb becomes a `connect` listener.
    /// A port outside 0..65535 throws RangeError `ERR_SOCKET_BAD_PORT`. On a destroyed
    /// socket it starts again, as Node's does (the retry from a `close` listener); while
    /// a connect is in progress the socket is destroyed with `EALREADY`.
    Socket& connect(int port, const std::string& host = "localhost", std::function<void()> cb = {});
    /// @brief The same with the port as text (`` '8124' ``), which Node accepts too.
    /// A port that is not a number in 0..65535 throws RangeError ERR_SOCKET_BAD_PORT.
    Socket& connect(std::string_view port, const std::string& host = "localhost", std::function<void()> cb = {});

    /// @brief Send @p chunk; false once 16 KiB or more wait to be sent (then `drain`).
    bool write(const Buffer& chunk) override;
    /// @brief `write(string)`: send the string's bytes.
    bool write(std::string_view text) { return write(Buffer::from(text)); }
    /// @brief Send what is queued, then our FIN (shutdown(2)); `finish` follows.
    void end() override;
    /// @brief `end(data)`: write then end.
    void end(const Buffer& chunk) {
        write(chunk);
        end();
    }
    /// @brief Close now, dropping unsent data; emits `close(false)`.
    void destroy();
    /// @brief Close now because of @p err: emits `error`, then `close(true)`.
    void destroy(const Error& err);
    /// @brief Close with a TCP RST (SO_LINGER 0), as Node's `resetAndDestroy()`.
    void resetAndDestroy();
    /// @brief Stop emitting `data`. As in Node the socket goes on reading into its
    /// buffer until 16 KiB wait there, then leaves the poll set (the kernel holds the
    /// rest, and TCP's window slows the sender).
    void pause();
    /// @brief Emit `data` again: first what waits in the buffer, then what arrives.
    /// Adding a `data` listener does this too, unless `pause()` was called.
    void resume();
    /// @brief Whether `pause()` was called and no `resume()` since (Node's `isPaused()`).
    bool isPaused() const { return flowing_ == Flow::Paused; }
    /// @brief `socket.readableLength`: bytes read and waiting to be emitted.
    std::size_t readableLength() const { return buffered_; }
    /// @brief Deliver text instead of bytes; only "utf8"/"utf-8" are supported.
    void setEncoding(std::string_view encoding);
    /// @brief Not in Node (libuv always offers a read 64 KiB): the most one read(2)
    /// takes from now on, clamped to 1 KiB..kReadSize. A server that holds many
    /// streams at once reads less per read(2), so each connection's chunks in memory
    /// stay small (lesson 06's upload server, with 100 uploads at once).
    void setReadSize(std::size_t bytes);
    /// @brief Emit `timeout` after @p ms of inactivity (0 disables); as in Node the
    /// socket stays open: the listener decides what to do.
    void setTimeout(double ms, std::function<void()> cb = {});
    /// @brief Call @p fn once at the next `drain` (used by `pipe`).
    void onceDrain(std::function<void()> fn) override;

    /// @brief `socket.remoteAddress` (empty before connecting).
    const std::string& remoteAddress() const { return remote_.address; }
    /// @brief `socket.remotePort`.
    int remotePort() const { return remote_.port; }
    /// @brief `socket.remoteFamily`.
    const std::string& remoteFamily() const { return remote_.family; }
    /// @brief `socket.address()`: the local end.
    AddressInfo address() const { return local_; }
    /// @brief `socket.bytesRead`.
    std::uint64_t bytesRead() const { return bytesRead_; }
    /// @brief `socket.bytesWritten` (bytes handed to the kernel).
    std::uint64_t bytesWritten() const { return bytesWritten_; }
    /// @brief `socket.writableLength`: bytes queued, not yet sent.
    std::size_t writableLength() const { return queued_; }
    /// @brief `socket.destroyed`.
    bool destroyed() const { return destroyed_; }
    /// @brief `socket.connecting`.
    bool connecting() const { return connecting_; }
    /// @brief `socket.allowHalfOpen`: whether the socket stays writable after the
    /// peer's FIN (`end`) until `end()` is called. Set from the server's options.
    bool allowHalfOpen() const { return allowHalfOpen_; }

private:
    friend class Server;
    void adoptAccepted(UniqueFd fd, std::weak_ptr<Server> server);
    void connectTo(std::vector<std::pair<std::string, int>> addresses, std::size_t index, int port,
                   std::optional<Error> lastError);
    void onConnected();
    void onIo(short revents);
    void readSome();
    bool wantsToRead() const;
    void flow();
    void flush();
    void onPeerEnd();
    void emitEnd();
    void maybeShutdown();
    void completeShutdown();  // the pending shutdown request: shutdown(2), then 'finish'
    void updateInterest();
    void touchTimer();
    void emitData(const Buffer& chunk);
    void onClose() override;
    void releaseListeners() override;
    void closeFd();
    void undestroy();

    IoWatcher watcher_;
    UniqueFd fd_;  // the connected socket; closed by closeFd() (or the destructor)
    std::weak_ptr<Server> server_;
    AddressInfo local_, remote_;
    std::deque<Buffer> queue_;   // chunks waiting for the socket to be writable
    std::size_t queueOffset_ = 0;  // bytes of queue_.front() already sent
    std::size_t queued_ = 0;       // total bytes waiting
    bool connecting_ = false;
    bool connected_ = false;
    // Node's readableFlowing: null until a 'data' listener or resume(), false after
    // pause(). Only a flowing socket emits 'data'; the others keep what they read in
    // readBuffer_, up to kReadableHighWaterMark.
    enum class Flow { Null, Flowing, Paused };
    Flow flowing_ = Flow::Null;
    std::deque<Buffer> readBuffer_;  // read, not yet emitted
    std::size_t buffered_ = 0;       // bytes in readBuffer_
    bool flowScheduled_ = false;     // a flow() is queued on the next tick
    bool readEnded_ = false;     // peer's FIN seen
    bool endEmitted_ = false;    // 'end' emitted (after the buffer was drained)
    bool ending_ = false;        // end() called
    bool finished_ = false;      // our FIN sent
    bool shutdownPending_ = false;  // end() drained: shutdown(2) waits for POLLOUT (uv_shutdown)
    bool destroyed_ = false;
    bool hadError_ = false;
    bool needDrain_ = false;
    std::optional<StringDecoder> decoder_;  // set by setEncoding("utf8")
    ReadArena arena_;                       // where reads land (see buffer.hpp)
    std::size_t readSize_ = kReadSize;      // the most one read(2) takes (setReadSize)
    std::uint64_t bytesRead_ = 0, bytesWritten_ = 0;
    std::shared_ptr<Timeout> connectTimer_;  // one address attempt (autoSelectFamily)
    std::vector<std::pair<std::string, int>> pendingAddresses_;  // addresses being tried
    std::size_t pendingIndex_ = 0;
    std::vector<Error> attemptErrors_;  // one per failed address, for an AggregateError
    int pendingPort_ = 0;
    std::shared_ptr<Timeout> idleTimer_;
    double idleMs_ = 0;
    bool allowHalfOpen_ = false;  // Node's allowHalfOpen: see allowHalfOpen()
};

/// @brief Shared handle to a Socket: what a JavaScript variable holding one would be.
using SocketPtr = std::shared_ptr<Socket>;

/// @brief Options of `net.createServer(options, listener)`.
struct ServerOptions {
    /// @brief Node's `allowHalfOpen`: accepted sockets do not end their side when the
    /// client ends its own; the program answers, then calls `end()`.
    bool allowHalfOpen = false;
};

/// @brief A TCP server (Node's `net.Server`).
class Server
    : public Handle,
      public EventEmitter<Event<"listening">, Event<"connection", SocketPtr>, Event<"error", Error>,
                          Event<"close">> {
public:
    /// @brief Use `net::createServer`.
    explicit Server(Loop& loop);
    ~Server() override;

    /// @brief `server.listen(port[, host])`: `listening` or `error` follows on a later
    /// tick. With no host, bind `::` (dual-stack) or, without IPv6, `0.0.0.0`. Throws
    /// at once, as Node does, on a server that already listens
    /// (`ERR_SERVER_ALREADY_LISTEN`) and on a port outside 0..65535 (RangeError
    /// `ERR_SOCKET_BAD_PORT`).
    Server& listen(int port, const std::string& host = "", std::function<void()> cb = {});
    /// @brief Stop accepting; `close` is emitted once every connection has closed.
    Server& close(std::function<void()> cb = {});
    /// @brief `server.address()`: where it listens (empty address when not listening).
    AddressInfo address() const { return bound_; }
    /// @brief `server.listening`.
    bool listening() const { return static_cast<bool>(fd_); }
    /// @brief Number of open connections accepted by this server.
    std::size_t connections() const { return connections_; }
    /// @brief The options given to `createServer`.
    const ServerOptions& options() const { return options_; }

private:
    friend class Socket;
    void bindAndListen(const std::string& address, int family, int port, bool fallbackToIPv4);
    void onReadable();
    void shedConnections();
    void connectionClosed();
    void emitCloseIfDrained();
    void onClose() override {}
    void releaseListeners() override { removeAllListeners(); }

    IoWatcher watcher_;
    UniqueFd fd_;       // the listening socket, while listening
    UniqueFd spareFd_;  // reserved descriptor for EMFILE (libuv's uv__emfile_trick)
    AddressInfo bound_;
    std::size_t connections_ = 0;
    bool closeRequested_ = false;
    bool listenPending_ = false;  // listen() called, its 'listening' or 'error' not emitted yet
    bool lookupPending_ = false;  // listen(port, host) waiting for dns::lookup of host
    unsigned listeningId_ = 0;    // Node's _listeningId: close() bumps it, a stale lookup sees it
    ServerOptions options_;
    friend std::shared_ptr<Server> createServer(ServerOptions, std::function<void(const SocketPtr&)>);
};

/// @brief `net.createServer(connectionListener)`.
std::shared_ptr<Server> createServer(std::function<void(const SocketPtr&)> connectionListener = {});

/// @brief `net.createServer({allowHalfOpen: true}, connectionListener)`.
std::shared_ptr<Server> createServer(ServerOptions options, std::function<void(const SocketPtr&)> connectionListener = {});

/// @brief `new net.Socket()`, adopted by the default loop.
SocketPtr createSocket();

/// @brief `net.createConnection(port, host, cb)`: a Socket already connecting.
SocketPtr createConnection(int port, const std::string& host = "localhost", std::function<void()> cb = {});

/// @brief Validate a port as Node does; throws RangeError ERR_SOCKET_BAD_PORT.
int validatePort(std::string_view text);

/// @brief Validate an integer port as Node's validatePort(port, @p name) does: outside
/// 0..65535 it throws RangeError ERR_SOCKET_BAD_PORT ("@p name should be >= 0 and <
/// 65536. Received type number (70000)."). Returns @p port.
int validatePort(int port, std::string_view name = "Port");

} // namespace kit::net
