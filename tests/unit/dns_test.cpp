// dns_test.cpp: kit::dns::lookup, Node's dns.lookup. The expected answers are what
// Node v20 prints for the same calls:
//
//   dns.lookup('127.0.0.1', {family: 6, all: true}, cb)  -> [{address: '127.0.0.1', family: 4}]
//   dns.lookup('::1', {family: 4, all: true}, cb)        -> [{address: '::1', family: 6}]
//   dns.lookup('localhost', {family: 4, all: true}, cb)  -> [{address: '127.0.0.1', family: 4}]
//
// and in every case the callback runs after the calling code has finished.
#include "test_support.hpp"

#include "dns.hpp"

#include <optional>
#include <string>
#include <vector>

namespace {
struct Answer {
    bool called = false;
    bool calledDuringCall = false;
    std::optional<kit::Error> err;
    std::vector<kit::dns::Address> addresses;
};

Answer lookupAndRun(const std::string& host, int family) {
    Answer answer;
    bool inCall = true;
    kit::dns::lookup(host, family, [&](const std::optional<kit::Error>& err, const std::vector<kit::dns::Address>& found) {
        answer.called = true;
        answer.calledDuringCall = inCall;
        answer.err = err;
        answer.addresses = found;
    });
    inCall = false;
    kit::Loop::getDefault().run();
    return answer;
}

// A literal: one address, the literal itself with its own family, no error, later.
void requireLiteralAnswer(const Answer& a, const std::string& address, int family) {
    REQUIRE(a.called);
    REQUIRE_FALSE(a.calledDuringCall);
    REQUIRE_FALSE(a.err.has_value());
    REQUIRE(a.addresses.size() == 1);
    CHECK(a.addresses[0].address == address);
    CHECK(a.addresses[0].family == family);
    test::requireIdle();
}
} // namespace

TEST_CASE("an IPv4 literal is answered as it is, later, even when family 6 is asked", "[dns]") {
    requireLiteralAnswer(lookupAndRun("127.0.0.1", 6), "127.0.0.1", 4);
}

TEST_CASE("an IPv6 literal is answered as it is, later, even when family 4 is asked", "[dns]") {
    requireLiteralAnswer(lookupAndRun("::1", 4), "::1", 6);
}

TEST_CASE("a name asked for family 4 resolves through getaddrinfo to IPv4 addresses only", "[dns]") {
    const Answer a = lookupAndRun("localhost", 4);
    REQUIRE(a.called);
    REQUIRE_FALSE(a.calledDuringCall);
    REQUIRE_FALSE(a.err.has_value());
    REQUIRE_FALSE(a.addresses.empty());
    for (const auto& address : a.addresses) CHECK(address.family == 4);
    CHECK(a.addresses[0].address == "127.0.0.1");
    test::requireIdle();
}

TEST_CASE("a name that does not resolve gives ENOTFOUND with syscall getaddrinfo and the hostname",
          "[dns]") {
    // .invalid is reserved (RFC 2606): no resolver may answer for it. Without a
    // reachable DNS server getaddrinfo says EAI_AGAIN instead, which Node reports as
    // EAI_AGAIN: both are failures of the lookup, and the host must be named.
    const Answer a = lookupAndRun("no-such-host.invalid", 0);
    REQUIRE(a.called);
    REQUIRE_FALSE(a.calledDuringCall);
    REQUIRE(a.err.has_value());
    CHECK((a.err->code == "ENOTFOUND" || a.err->code == "EAI_AGAIN"));
    CHECK(a.err->syscall == "getaddrinfo");
    CHECK(a.err->hostname == "no-such-host.invalid");
    CHECK(a.addresses.empty());
    test::requireIdle();
}
