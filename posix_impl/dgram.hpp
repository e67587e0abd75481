/// @file dgram.hpp
/// @brief UDP sockets: `createSocket("udp4"|"udp6")`, `bind`, `send`, `message`, `close`.
///
/// Mirrors Node's `dgram` module (`lib/dgram.js` over `src/udp_wrap.cc` and libuv's
/// `src/unix/udp.c`). What happens underneath, in the order a program meets it:
///
/// - `createSocket` makes the handle only. Like libuv's `uv_udp_init`, no descriptor
///   exists yet: socket(2) is called by `bind`.
/// - `bind(port, address)` first *looks up* the address (an IP literal is used as it is,
///   on the next tick; a name goes through getaddrinfo(3) on the thread pool, as Node's
///   `dns.lookup` does), then calls socket(2) with `SOCK_DGRAM | SOCK_NONBLOCK |
///   SOCK_CLOEXEC` and bind(2), starts reading (libuv's `uv_udp_recv_start`) and emits
///   `listening`. So `listening` is never emitted inside `bind()` itself, and a bind
///   error (`bind EADDRINUSE 0.0.0.0:8124`) arrives on the `error` event. From then on
///   the socket is an *active* handle: it keeps the loop running until `close()` or
///   `unref()`.
/// - `send(...)` on a socket that is not bound binds it first to port 0 (the kernel
///   picks a free port) on the wildcard address, exactly as Node does; the datagram waits
///   for `listening`. The host is looked up like bind's address, *per family*: a `udp6`
///   socket asks getaddrinfo(3) for IPv6 addresses only, and an IP literal of the other
///   family fails with EINVAL (`send EINVAL 127.0.0.1:8124`), as in Node. Then one
///   sendto(2) carries the whole datagram. On a bound socket with nothing queued, a
///   literal address of its family skips the lookup and sendto(2) runs inside `send()`
///   (libuv's `uv_udp_send` with an empty queue, `uv__udp_sendmsg`); the kernel usually
///   takes the datagram there, and only EAGAIN/ENOBUFS queue it for POLLOUT. The
///   callback always runs later, never inside
///   `send()`: with the byte count, or with the error, e.g. `send EMSGSIZE
///   127.0.0.1:8124` for a payload over 65,507 bytes (IPv4; 65,527 on IPv6 loopback).
///   A send that is waiting (for the bind, the lookup or a full socket buffer) is a
///   *request*: it keeps the loop alive until its callback has run.
/// - Receiving: when poll(2) reports the descriptor readable, recvmsg(2) reads up to 32
///   datagrams (libuv's fairness rule: one busy socket must not starve the others), each
///   into a 64 KiB buffer, and emits one `message(msg, rinfo)` per datagram. A datagram
///   the kernel had to cut (`MSG_TRUNC`) is never delivered cut: it is dropped and
///   reported (see `setReadBufferSize`).
/// - `close()` closes the descriptor at once (as `uv_close` does), cancels queued sends
///   with ECANCELED and emits `close` on the next tick, as Node does.
///
/// UDP itself promises nothing: a datagram can be lost, duplicated or reordered, a send
/// to a port where nobody listens "succeeds", and a burst larger than the receiver's
/// buffer is dropped by the kernel (`Udp: RcvbufErrors` in /proc/net/snmp). The
/// lessons in `lessons/03_udp_server` show each of these.
///
/// What it leaves out: `connect`/`disconnect` (connected UDP), multicast and broadcast
/// options, TTL, `reuseAddr`/`ipv6Only`/`lookup` options, `sendto` lists of buffers,
/// `send` of strings, `setSendBufferSize`, cluster sharing, AbortSignal. Differences
/// from Node: a send whose lookup finishes after `close()` gets ECANCELED (Node drops it without
/// calling back); a literal destination on a bound socket leaves inside `send()`, not
/// after dns.lookup's next tick, so a `close()` right after `send()` no longer cancels it
/// (a datagram sent per TFTP block pays one queued callback, not two); a bind port outside 0..65535 throws RangeError (Node 20 silently
/// wraps it modulo 65536). Kept from Node: sends queued behind a bind that fails are
/// dropped without a callback (the failure is reported once, on `error`).
#pragma once

#include "buffer.hpp"
#include "errors.hpp"
#include "events.hpp"
#include "fd.hpp"
#include "loop.hpp"

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

/// @brief Node's `dgram` module: UDP sockets.
namespace kit::dgram {

/// @brief Who sent a datagram (Node's `rinfo`): the second argument of `message`.
struct RemoteInfo {
    std::string address;    ///< Sender's IP address, e.g. "127.0.0.1" or "::ffff:127.0.0.1".
    std::string family;     ///< "IPv4" or "IPv6" (the family of the socket that received it).
    int port = 0;           ///< Sender's port.
    std::size_t size = 0;   ///< Datagram size in bytes (equals `msg.size()`).
};

/// @brief A bound address (Node's `socket.address()` result).
struct AddressInfo {
    std::string address;  ///< Local IP address, e.g. "0.0.0.0" or "::".
    std::string family;   ///< "IPv4" or "IPv6".
    int port = 0;         ///< Local port.
};

/// @brief `rinfo` as `console.log(rinfo)` prints it in Node:
/// `` { address: '127.0.0.1', family: 'IPv4', port: 48011, size: 5 } ``.
std::string toText(const RemoteInfo& r);

/// @brief `socket.address()` as `console.log` prints it in Node.
std::string toText(const AddressInfo& a);

/// @brief Callback of `send`: no error and the bytes sent, or the error and 0.
using SendCallback = std::function<void(const std::optional<Error>& err, std::size_t bytes)>;

/// @brief Internal helpers of the UDP sockets.
namespace detail {

/// @brief One datagram waiting to go out (libuv's `uv_udp_send_t`).
struct SendRequest;

} // namespace detail

/// @brief A UDP socket (Node's `dgram.Socket`): a Handle and an EventEmitter.
///
/// Events: `listening` (bound, reading), `message(Buffer msg, RemoteInfo rinfo)` (one per
/// datagram), `close`, `error(Error)` (bind failures, lookup failures of bind, receive
/// errors; with no listener an error is fatal, as in Node).
class Socket
    : public Handle,
      public EventEmitter<Event<"listening">, Event<"message", Buffer, RemoteInfo>, Event<"close">,
                          Event<"error", Error>> {
public:
    /// @brief Use `createSocket`. @p family is AF_INET or AF_INET6.
    Socket(Loop& loop, int family);
    ~Socket() override;

    /// @brief Bind, then emit `listening` (Node's `bind(port, address, callback)`).
    /// @param port local port; 0 lets the kernel pick a free one
    /// @param address local address; empty means the wildcard address ("0.0.0.0" for
    ///        udp4, "::" for udp6, which also receives IPv4 as IPv4-mapped addresses)
    /// @param onListening if given, added as a `` once('listening') `` listener (Node's callback).
    /// @throws Error ERR_SOCKET_ALREADY_BOUND if bind was already called,
    ///         ERR_SOCKET_DGRAM_NOT_RUNNING after close, RangeError ERR_SOCKET_BAD_PORT.
    void bind(int port = 0, std::string address = {}, std::function<void()> onListening = {});
    /// @brief `bind(port, callback)`: the wildcard address.
    void bind(int port, std::function<void()> onListening);

    /// @brief The bound address (getsockname(2)), Node's `socket.address()`.
    /// @throws Error `getsockname EBADF` when the socket is not bound (or closed).
    AddressInfo address() const;

    /// @brief Send bytes [@p offset, @p offset + @p length) of @p msg as one datagram to
    /// @p host : @p port (Node's `send(msg, offset, length, port, address, callback)`).
    ///
    /// The datagram shares @p msg's bytes, as Node keeps a reference to the Buffer:
    /// @p msg may be dropped at once, but change its bytes only after @p cb. An empty
    /// @p host means the loopback address of the socket's family ("127.0.0.1" or "::1"),
    /// as in Node. @p cb runs later with (no error, bytes sent) or (error, 0).
    /// @throws Error RangeError ERR_BUFFER_OUT_OF_BOUNDS (offset/length outside @p msg),
    ///         RangeError ERR_SOCKET_BAD_PORT (port not in 1..65535),
    ///         ERR_SOCKET_DGRAM_NOT_RUNNING after close.
    void send(const Buffer& msg, std::size_t offset, std::size_t length, int port,
              std::string host = {}, SendCallback cb = {});
    /// @brief Send the whole of @p msg (Node's `send(msg, port, address, callback)`).
    void send(const Buffer& msg, int port, std::string host = {}, SendCallback cb = {});

    /// @brief Close the socket; `close` is emitted on the next tick (Node's `close(cb)`).
    /// @param cb if given, added as a `close` listener.
    /// @throws Error ERR_SOCKET_DGRAM_NOT_RUNNING if already closed.
    void close(std::function<void()> cb = {});

    /// @brief The kernel's receive buffer size, SO_RCVBUF (Node's `getRecvBufferSize`).
    /// Linux reports twice the value that was set (it counts its bookkeeping too).
    /// @throws Error ERR_SOCKET_BUFFER_SIZE when the socket is not bound.
    int getRecvBufferSize() const;
    /// @brief Ask for a larger kernel receive buffer, SO_RCVBUF (Node's
    /// `setRecvBufferSize`); capped by `net.core.rmem_max`. Fewer datagrams of a burst
    /// are then dropped.
    /// @throws Error ERR_SOCKET_BUFFER_SIZE when the socket is not bound.
    void setRecvBufferSize(int bytes);

    /// @brief Kit addition: the size of the buffer each recvmsg(2) reads into (default
    /// `kReadBufferSize`, libuv's 64 KiB). A datagram larger than it is dropped and
    /// reported (`error` event `recvmsg EMSGSIZE` if there is an `error` listener, a
    /// warning on stderr otherwise), never delivered cut. Lowering it is how a test or a
    /// lesson shows `MSG_TRUNC`.
    void setReadBufferSize(std::size_t bytes);

    /// @brief Datagrams dropped because they were larger than the read buffer.
    std::uint64_t truncatedCount() const { return truncated_; }
    /// @brief "udp4" or "udp6".
    std::string_view type() const;
    /// @brief The descriptor, or -1 before bind and after close (for tests and traces).
    int fd() const { return fd_.get(); }

    /// @brief libuv's receive buffer for one datagram (`UV__UDP_DGRAM_MAXSIZE`, 64 KiB):
    /// larger than any UDP payload over IPv4 (65,507) or IPv6 without jumbograms (65,527).
    static constexpr std::size_t kReadBufferSize = 64 * 1024;
    /// @brief Datagrams read per readiness report before yielding to other descriptors
    /// (libuv's `uv__udp_recvmsg` loop count).
    static constexpr int kMaxReadsPerWakeup = 32;

private:
    enum class BindState { Unbound, Binding, Bound };
    using Request = std::shared_ptr<detail::SendRequest>;

    void startBind(int port, std::string address);
    void afterBindLookup(int port, const std::optional<Error>& err, const std::string& ip);
    void afterSendLookup(const Request& req, const std::optional<Error>& err,
                         const std::string& ip);
    void lookup(const std::string& host,
                std::function<void(const std::optional<Error>&, const std::string&)> done);
    bool destination(detail::SendRequest& req, const std::string& ip);
    bool literalDestination(detail::SendRequest& req);
    void transmit(const Request& req);
    void flushWriteQueue();
    void onReadable();
    void onIo(short revents);
    void finish(const Request& req, const std::optional<Error>& err, std::size_t bytes);
    void dropBindQueue();
    void onClose() override;
    void releaseListeners() override;

    int family_;
    UniqueFd fd_;
    IoWatcher watcher_;
    BindState state_ = BindState::Unbound;
    // Actions waiting for the bind to finish (Node's state.queue): sends and a close.
    // Each is called with true to run it, false to drop it (the bind failed).
    std::deque<std::function<void(bool run)>> bindQueue_;
    std::deque<Request> writeQueue_;  // datagrams the kernel refused with EAGAIN/ENOBUFS
    std::vector<std::uint8_t> readBuffer_;
    std::uint64_t truncated_ = 0;
    // The last sender seen, decoded, and the last destination, encoded: a transfer's
    // datagrams come from and go to one peer, and inet_ntop(3)/inet_pton(3) for every
    // datagram showed in a profile of lesson 07's server.
    sockaddr_storage lastPeer_{};
    socklen_t lastPeerLen_ = 0;
    RemoteInfo lastFrom_;
    int pendingLookups_ = 0;  // sends between lookup() and afterSendLookup
    std::string lastDestIp_;
    int lastDestPort_ = 0;
    sockaddr_storage lastDest_{};
    socklen_t lastDestLen_ = 0;
};

/// @brief `dgram.createSocket(type)`: a new UDP socket of type "udp4" or "udp6".
/// @throws Error TypeError ERR_SOCKET_BAD_TYPE for any other type.
std::shared_ptr<Socket> createSocket(std::string_view type);

} // namespace kit::dgram
