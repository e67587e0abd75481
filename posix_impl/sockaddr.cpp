// sockaddr.cpp: address conversions shared by net and dgram (see sockaddr.hpp).
#include "sockaddr.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

namespace kit::detail {

SockAddr makeSockAddr(const std::string& ip, int port) {
    SockAddr out;
    auto* v4 = reinterpret_cast<sockaddr_in*>(&out.storage);
    if (inet_pton(AF_INET, ip.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(static_cast<std::uint16_t>(port));
        out.length = sizeof(sockaddr_in);
        return out;
    }
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&out.storage);
    std::memset(&out.storage, 0, sizeof out.storage);
    if (inet_pton(AF_INET6, ip.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(static_cast<std::uint16_t>(port));
        out.length = sizeof(sockaddr_in6);
    }
    return out;
}

Endpoint endpointOf(const sockaddr_storage& sa) {
    Endpoint e;
    char text[INET6_ADDRSTRLEN] = {};
    if (sa.ss_family == AF_INET) {
        const auto* v4 = reinterpret_cast<const sockaddr_in*>(&sa);
        inet_ntop(AF_INET, &v4->sin_addr, text, sizeof text);
        e.family = "IPv4";
        e.port = ntohs(v4->sin_port);
    } else if (sa.ss_family == AF_INET6) {
        const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&sa);
        inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof text);
        e.family = "IPv6";
        e.port = ntohs(v6->sin6_port);
    }
    e.address = text;
    return e;
}

Endpoint localEndpoint(int fd) {
    sockaddr_storage sa{};
    socklen_t len = sizeof sa;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0) return {};
    return endpointOf(sa);
}

Endpoint remoteEndpoint(int fd) {
    sockaddr_storage sa{};
    socklen_t len = sizeof sa;
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0) return {};
    return endpointOf(sa);
}

} // namespace kit::detail
