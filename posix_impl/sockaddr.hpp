/// @file sockaddr.hpp
/// @brief Internal: converting between "address + port" text and `sockaddr_storage`.
///
/// libuv's `uv_ip4_addr`/`uv_ip6_addr`/`uv_ip_name` in one place. Not part of Node's
/// API; net and dgram use it.
#pragma once

#include <sys/socket.h>

#include <string>
#include <utility>

namespace kit::detail {

/// @brief A socket address and its length, ready for bind(2)/connect(2)/sendto(2).
struct SockAddr {
    sockaddr_storage storage{};  ///< The address.
    socklen_t length = 0;        ///< Its length (0 if invalid).
    /// @brief As the pointer type the socket calls take.
    const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
};

/// @brief Build a SockAddr from an IP literal and a port; length 0 if @p ip is not one.
SockAddr makeSockAddr(const std::string& ip, int port);

/// @brief Text address, family ("IPv4"/"IPv6") and port of @p sa.
struct Endpoint {
    std::string address;  ///< "127.0.0.1", "::1"...
    std::string family;   ///< "IPv4" or "IPv6".
    int port = 0;         ///< Port number.
};

/// @brief Decode @p sa.
Endpoint endpointOf(const sockaddr_storage& sa);

/// @brief The local end of socket @p fd (getsockname(2)).
Endpoint localEndpoint(int fd);

/// @brief The remote end of socket @p fd (getpeername(2)).
Endpoint remoteEndpoint(int fd);

} // namespace kit::detail
