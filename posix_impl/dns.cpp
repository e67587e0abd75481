// dns.cpp: getaddrinfo(3) on the thread pool (see dns.hpp).
#include "dns.hpp"

#include "loop.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <memory>

namespace kit::dns {

int isIP(const std::string& host) {
    unsigned char buf[sizeof(in6_addr)];
    if (inet_pton(AF_INET, host.c_str(), buf) == 1) return 4;
    if (inet_pton(AF_INET6, host.c_str(), buf) == 1) return 6;
    return 0;
}

void lookup(std::string host, int family, LookupCallback cb) {
    Loop& loop = Loop::getDefault();
    if (const int ip = isIP(host); ip != 0) {
        // A literal needs no resolver; Node still answers on a later tick, with the
        // literal's own family even when the caller asked for the other one (lib/dns.js
        // checks isIP() before it looks at `family`).
        loop.beginRequest();
        loop.nextTick([&loop, host, ip, cb = std::move(cb)] {
            loop.endRequest();
            cb(std::nullopt, {Address{host, ip}});
        });
        return;
    }
    struct Result {
        int gai = 0;
        std::vector<Address> addresses;
    };
    auto result = std::make_shared<Result>();
    loop.queueWork(
        [result, host, family] {
            addrinfo hints{};
            hints.ai_family = family == 4 ? AF_INET : family == 6 ? AF_INET6 : AF_UNSPEC;
            hints.ai_socktype = SOCK_STREAM;  // one entry per address, not per protocol
            if (family == 0) hints.ai_flags = AI_ADDRCONFIG;
            addrinfo* list = nullptr;
            result->gai = getaddrinfo(host.c_str(), nullptr, &hints, &list);  // blocks
            if (result->gai != 0) return;
            for (addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
                char text[INET6_ADDRSTRLEN] = {};
                const void* raw = ai->ai_family == AF_INET
                                      ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(ai->ai_addr)->sin_addr)
                                      : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(ai->ai_addr)->sin6_addr);
                if (inet_ntop(ai->ai_family, raw, text, sizeof text) == nullptr) continue;
                result->addresses.push_back({text, ai->ai_family == AF_INET ? 4 : 6});
            }
            freeaddrinfo(list);
            if (result->addresses.empty()) result->gai = EAI_NONAME;
        },
        [result, host, cb = std::move(cb)] {
            if (result->gai != 0) cb(Error::dns(result->gai, "getaddrinfo", host), {});
            else cb(std::nullopt, result->addresses);
        }, "lookup");
}

} // namespace kit::dns
