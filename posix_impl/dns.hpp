/// @file dns.hpp
/// @brief `dns.lookup`: turn a host name into addresses with getaddrinfo(3), on the
///        thread pool, as Node does.
///
/// Mirrors Node's `dns.lookup()` (not `dns.resolve*`, which uses c-ares): getaddrinfo
/// blocks, so libuv's `uv_getaddrinfo` runs it in the thread pool and Node delivers the
/// result on the loop. Like Node 20, results keep the order getaddrinfo returned
/// (`verbatim`), and `AI_ADDRCONFIG` is set when no family is asked for. An IP literal
/// is answered without asking the resolver. A name that does not resolve gives
/// `getaddrinfo ENOTFOUND <host>`.
///
/// What it leaves out: `dns.resolve*`, `lookupService`, per-call `hints` and `order`
/// options, caching (Node has none either).
#pragma once

#include "errors.hpp"

#include <functional>
#include <optional>
#include <string>
#include <vector>

/// @brief Node's `dns.lookup`: names to addresses with getaddrinfo(3), on the thread pool.
namespace kit::dns {

/// @brief One resolved address.
struct Address {
    std::string address;  ///< Text form: "127.0.0.1", "::1".
    int family = 4;       ///< 4 or 6.
};

/// @brief Callback of `lookup`: an error, or at least one address.
using LookupCallback = std::function<void(const std::optional<Error>& err, const std::vector<Address>& addresses)>;

/// @brief `dns.lookup(host, {family, all: true}, cb)`; @p family 0 means any.
void lookup(std::string host, int family, LookupCallback cb);

/// @brief 4 or 6 if @p host is an IPv4 or IPv6 literal, else 0 (Node's `net.isIP`).
int isIP(const std::string& host);

} // namespace kit::dns
