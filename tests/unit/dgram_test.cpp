// dgram_test.cpp: kit::dgram (UDP sockets) on the real loop, over loopback, in process.
//
// Each expectation is what Node v20.20.2 did for the same program (the node one-liners
// are quoted). Every socket binds port 0 (the kernel picks a free one) on a loopback
// address, so the tests never collide with a server on 8124 or with each other.
// Assertions inside callbacks only record values (an exception leaving a callback
// would be an uncaught exception); the REQUIREs run after the loop has returned.
#include "test_support.hpp"

#include "dgram.hpp"
#include "timers.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <optional>
#include <string>
#include <vector>

using kit::Buffer;
using kit::Error;
using kit::dgram::RemoteInfo;

namespace {

/// What one send callback received.
struct SendResult {
    bool called = false;
    std::optional<Error> err;
    std::size_t bytes = 0;
};

/// A send callback that records into @p r.
kit::dgram::SendCallback recordSend(SendResult& r) {
    return [&r](const std::optional<Error>& err, std::size_t bytes) {
        r.called = true;
        r.err = err;
        r.bytes = bytes;
    };
}

/// A server bound to @p host on a free port: run the loop until it is listening.
std::shared_ptr<kit::dgram::Socket> boundServer(const char* type, const std::string& host) {
    auto server = kit::dgram::createSocket(type);
    server->bind(0, host);
    return server;
}

/// Is an IPv6 loopback usable here? (a container may have IPv6 disabled)
bool haveIpv6Loopback() {
    const int fd = ::socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_addr = in6addr_loopback;
    const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    return ok;
}

} // namespace

TEST_CASE("a datagram arrives whole, with rinfo naming its sender", "[dgram]") {
    // node: server.bind(0,'127.0.0.1'); client.send('hello',port,'127.0.0.1',cb)
    //   -> message <Buffer 68 65 6c 6c 6f> { address: '127.0.0.1', family: 'IPv4',
    //      port: <client's port>, size: 5 }; cb(null, 5)
    auto server = kit::dgram::createSocket("udp4");
    auto client = kit::dgram::createSocket("udp4");
    std::optional<Buffer> got;
    RemoteInfo rinfo;
    int clientPort = -1;
    SendResult sent;
    bool returnedFromSend = false;
    bool callbackBeforeReturn = false;

    server->on("message", [&](const Buffer& msg, const RemoteInfo& r) {
        got = msg;
        rinfo = r;
        clientPort = client->address().port;
        server->close();
        client->close();
    });
    server->on("listening", [&] {
        client->send(Buffer::from("hello"), 0, 5, server->address().port, "127.0.0.1",
                     [&](const std::optional<Error>& err, std::size_t bytes) {
                         callbackBeforeReturn = !returnedFromSend;
                         recordSend(sent)(err, bytes);
                     });
        returnedFromSend = true;
    });
    server->bind(0, "127.0.0.1");
    kit::Loop::getDefault().run();

    REQUIRE(got.has_value());
    CHECK(got->toString() == "hello");
    CHECK(rinfo.address == "127.0.0.1");
    CHECK(rinfo.family == "IPv4");
    CHECK(rinfo.port == clientPort);
    CHECK(rinfo.size == 5);
    CHECK(kit::dgram::toText(rinfo) ==
          "{ address: '127.0.0.1', family: 'IPv4', port: " + std::to_string(clientPort) + ", size: 5 }");
    REQUIRE(sent.called);
    CHECK_FALSE(sent.err.has_value());
    CHECK(sent.bytes == 5);
    CHECK_FALSE(callbackBeforeReturn);  // the callback never runs inside send()
    test::requireIdle();
}

TEST_CASE("bind emits listening on a later tick; address() then names the bound port", "[dgram]") {
    // node: s.bind(0,()=>console.log(s.address())); console.log('after bind')
    //   -> after bind, { address: '0.0.0.0', family: 'IPv4', port: N }
    test::Recorder rec;
    auto s = kit::dgram::createSocket("udp4");
    CHECK(s->fd() == -1);  // no descriptor before bind, as libuv's uv_udp_init
    kit::dgram::AddressInfo addr;
    s->bind(0, [&] {
        rec("listening");
        addr = s->address();
        s->close([&] { rec("close"); });
    });
    rec("after bind");
    kit::Loop::getDefault().run();
    REQUIRE(rec.seen == std::vector<std::string>{"after bind", "listening", "close"});
    CHECK(addr.address == "0.0.0.0");
    CHECK(addr.family == "IPv4");
    CHECK(addr.port > 0);
    CHECK(s->fd() == -1);  // close(2) happened in close()
    test::requireIdle();
}

TEST_CASE("a zero-length datagram is sent and received as an empty message", "[dgram]") {
    // node test/parallel/test-dgram-send-empty-buffer.js: 'message' with a 0-byte Buffer
    auto server = boundServer("udp4", "127.0.0.1");
    auto client = kit::dgram::createSocket("udp4");
    std::optional<Buffer> got;
    std::size_t size = 99;
    SendResult sent;
    server->on("message", [&](const Buffer& msg, const RemoteInfo& r) {
        got = msg;
        size = r.size;
        server->close();
        client->close();
    });
    server->on("listening", [&] {
        client->send(Buffer{}, 0, 0, server->address().port, "127.0.0.1", recordSend(sent));
    });
    kit::Loop::getDefault().run();
    REQUIRE(got.has_value());
    CHECK(got->empty());
    CHECK(size == 0);
    REQUIRE(sent.called);
    CHECK_FALSE(sent.err.has_value());
    CHECK(sent.bytes == 0);
    test::requireIdle();
}

TEST_CASE("65,507 bytes arrive whole over IPv4; 65,508 fail with EMSGSIZE as Node reports it",
          "[dgram]") {
    // node: c.send(Buffer.alloc(65508),0,65508,port,'127.0.0.1',cb) -> cb(err) with
    //   err.message 'send EMSGSIZE 127.0.0.1:<port>', errno -90, code 'EMSGSIZE',
    //   syscall 'send', address '127.0.0.1', port <port>; bytes undefined
    auto server = boundServer("udp4", "127.0.0.1");
    auto client = kit::dgram::createSocket("udp4");
    std::vector<std::size_t> sizes;
    SendResult big, max;
    int port = 0;
    server->on("message", [&](const Buffer& msg, const RemoteInfo&) {
        sizes.push_back(msg.size());
        server->close();
        client->close();
    });
    server->on("listening", [&] {
        port = server->address().port;
        Buffer tooBig = Buffer::alloc(65508);
        client->send(tooBig, 0, tooBig.size(), port, "127.0.0.1", recordSend(big));
        std::vector<std::uint8_t> pattern(65507);
        for (std::size_t i = 0; i < pattern.size(); ++i) pattern[i] = static_cast<std::uint8_t>(i * 7);
        client->send(Buffer(std::move(pattern)), port, "127.0.0.1", recordSend(max));
    });
    kit::Loop::getDefault().run();

    REQUIRE(big.called);
    REQUIRE(big.err.has_value());
    CHECK(big.err->message == "send EMSGSIZE 127.0.0.1:" + std::to_string(port));
    CHECK(big.err->code == "EMSGSIZE");
    CHECK(big.err->errnum == -90);
    CHECK(big.err->syscall == "send");
    CHECK(big.err->address == "127.0.0.1");
    CHECK(big.err->port == port);
    CHECK(big.bytes == 0);
    REQUIRE(max.called);
    CHECK_FALSE(max.err.has_value());
    CHECK(max.bytes == 65507);
    CHECK(sizes == std::vector<std::size_t>{65507});  // the big one never left
    test::requireIdle();
}

TEST_CASE("bind on a busy port is an 'error' event: bind EADDRINUSE 0.0.0.0:PORT", "[dgram]") {
    // node: b.bind(port) while a holds it -> 'error' bind EADDRINUSE 0.0.0.0:<port>,
    //   { errno: -98, code: 'EADDRINUSE', syscall: 'bind', address: '0.0.0.0', port }
    auto first = kit::dgram::createSocket("udp4");
    auto second = kit::dgram::createSocket("udp4");
    std::optional<Error> err;
    bool secondListened = false;
    int port = 0;
    first->bind(0, [&] {
        port = first->address().port;
        second->on("listening", [&] { secondListened = true; });
        second->on("error", [&](const Error& e) {
            err = e;
            first->close();
            second->close();  // not bound, but open: close it so the loop lets it go
        });
        second->bind(port);
    });
    kit::Loop::getDefault().run();
    REQUIRE(err.has_value());
    CHECK(err->message == "bind EADDRINUSE 0.0.0.0:" + std::to_string(port));
    CHECK(err->code == "EADDRINUSE");
    CHECK(err->errnum == -98);
    CHECK(err->syscall == "bind");
    CHECK(err->address == "0.0.0.0");
    CHECK(err->port == port);
    CHECK_FALSE(secondListened);
    test::requireIdle();
}

TEST_CASE("the first send binds the socket implicitly, as Node does", "[dgram]") {
    // node: c.on('listening',..); c.send(buf,port,'127.0.0.1',cb) -> 'listening' first,
    //   c.address() = { address: '0.0.0.0', family: 'IPv4', port: <ephemeral> }
    auto server = boundServer("udp4", "127.0.0.1");
    auto client = kit::dgram::createSocket("udp4");
    test::Recorder rec;
    kit::dgram::AddressInfo clientAddr;
    SendResult sent;
    server->on("message", [&](const Buffer&, const RemoteInfo&) {
        rec("message");
        server->close();
        client->close();
    });
    client->on("listening", [&] {
        rec("client listening");
        clientAddr = client->address();
    });
    server->on("listening", [&] {
        client->send(Buffer::from("x"), server->address().port, "127.0.0.1",
                     [&](const std::optional<Error>& e, std::size_t n) {
                         rec("send callback");
                         recordSend(sent)(e, n);
                     });
    });
    kit::Loop::getDefault().run();
    REQUIRE(rec.seen.size() == 3);
    CHECK(rec.seen[0] == "client listening");
    CHECK(rec.seen[1] == "send callback");  // runs on a tick; the datagram is read later
    CHECK(rec.seen[2] == "message");
    CHECK(clientAddr.address == "0.0.0.0");
    CHECK(clientAddr.port > 0);
    CHECK(sent.bytes == 1);
    test::requireIdle();
}

TEST_CASE("'localhost' resolves per family; an address of the other family is EINVAL", "[dgram]") {
    // node: udp4 send to 'localhost' -> 127.0.0.1; udp4 send to '::1' -> 'send EINVAL ::1:<port>'
    auto server = boundServer("udp4", "127.0.0.1");
    auto client = kit::dgram::createSocket("udp4");
    SendResult viaName, wrongFamily;
    std::string from;
    int port = 0;
    server->on("message", [&](const Buffer&, const RemoteInfo& r) {
        from = r.address;
        server->close();
        client->close();
    });
    server->on("listening", [&] {
        port = server->address().port;
        client->send(Buffer::from("1"), port, "::1", recordSend(wrongFamily));
        client->send(Buffer::from("2"), port, "localhost", recordSend(viaName));  // getaddrinfo on the pool
    });
    kit::Loop::getDefault().run();
    REQUIRE(wrongFamily.called);
    REQUIRE(wrongFamily.err.has_value());
    CHECK(wrongFamily.err->message == "send EINVAL ::1:" + std::to_string(port));
    CHECK(wrongFamily.err->errnum == -22);
    REQUIRE(viaName.called);
    CHECK_FALSE(viaName.err.has_value());
    CHECK(from == "127.0.0.1");
    test::requireIdle();
}

TEST_CASE("an unknown host goes to the send callback as getaddrinfo ENOTFOUND", "[dgram]") {
    // node: c.send(buf,9,'nosuchhost.invalid',cb) -> 'getaddrinfo ENOTFOUND nosuchhost.invalid'
    // (EAI_AGAIN where no resolver is reachable at all, e.g. in an empty network namespace)
    auto client = kit::dgram::createSocket("udp4");
    SendResult r;
    client->send(Buffer::from("x"), 9, "nosuchhost.invalid", [&](const std::optional<Error>& e, std::size_t n) {
        recordSend(r)(e, n);
        client->close();
    });
    kit::Loop::getDefault().run();
    REQUIRE(r.called);
    REQUIRE(r.err.has_value());
    CHECK((r.err->code == "ENOTFOUND" || r.err->code == "EAI_AGAIN"));
    CHECK(r.err->syscall == "getaddrinfo");
    CHECK(r.err->hostname == "nosuchhost.invalid");
    test::requireIdle();
}

TEST_CASE("udp6: ::1 loopback, 65,527 bytes whole, 65,528 EMSGSIZE, IPv4 literal EINVAL", "[dgram]") {
    if (!haveIpv6Loopback()) {
        WARN("no IPv6 loopback here: udp6 test skipped");
        return;
    }
    // node (udp6): 65528 -> 'send EMSGSIZE ::1:<port>'; 65527 arrives, rinfo family 'IPv6';
    //   send to '127.0.0.1' -> 'send EINVAL 127.0.0.1:<port>'
    auto server = boundServer("udp6", "::1");
    auto client = kit::dgram::createSocket("udp6");
    SendResult big, max, v4;
    std::vector<std::size_t> sizes;
    RemoteInfo rinfo;
    int port = 0;
    server->on("message", [&](const Buffer& msg, const RemoteInfo& r) {
        sizes.push_back(msg.size());
        rinfo = r;
        server->close();
        client->close();
    });
    server->on("listening", [&] {
        port = server->address().port;
        client->send(Buffer::alloc(65528), port, "::1", recordSend(big));
        client->send(Buffer::from("v4"), port, "127.0.0.1", recordSend(v4));
        client->send(Buffer::alloc(65527), port, "::1", recordSend(max));
    });
    kit::Loop::getDefault().run();
    REQUIRE(big.err.has_value());
    CHECK(big.err->message == "send EMSGSIZE ::1:" + std::to_string(port));
    REQUIRE(v4.err.has_value());
    CHECK(v4.err->message == "send EINVAL 127.0.0.1:" + std::to_string(port));
    CHECK_FALSE(max.err.has_value());
    CHECK(max.bytes == 65527);
    CHECK(sizes == std::vector<std::size_t>{65527});
    CHECK(rinfo.address == "::1");
    CHECK(rinfo.family == "IPv6");
    test::requireIdle();
}

TEST_CASE("a udp6 socket bound to :: also receives IPv4, as ::ffff:127.0.0.1", "[dgram]") {
    if (!haveIpv6Loopback()) {
        WARN("no IPv6 loopback here: udp6 test skipped");
        return;
    }
    auto server = boundServer("udp6", "");
    auto client = kit::dgram::createSocket("udp4");
    RemoteInfo rinfo;
    kit::dgram::AddressInfo local;
    server->on("message", [&](const Buffer&, const RemoteInfo& r) {
        rinfo = r;
        server->close();
        client->close();
    });
    server->on("listening", [&] {
        local = server->address();
        client->send(Buffer::from("from udp4"), local.port, "127.0.0.1");
    });
    kit::Loop::getDefault().run();
    CHECK(local.address == "::");
    CHECK(local.family == "IPv6");
    CHECK(rinfo.address == "::ffff:127.0.0.1");
    CHECK(rinfo.family == "IPv6");
    CHECK(rinfo.size == 9);
    test::requireIdle();
}

TEST_CASE("a datagram larger than the read buffer is reported, never delivered cut", "[dgram]") {
    auto server = boundServer("udp4", "127.0.0.1");
    auto client = kit::dgram::createSocket("udp4");
    server->setReadBufferSize(100);
    std::vector<std::size_t> sizes;
    std::optional<Error> err;
    int clientPort = 0;
    server->on("error", [&](const Error& e) { err = e; });
    server->on("message", [&](const Buffer& msg, const RemoteInfo&) {
        sizes.push_back(msg.size());
        server->close();
        client->close();
    });
    server->on("listening", [&] {
        const int port = server->address().port;
        client->send(Buffer::alloc(1000), port, "127.0.0.1", [&, port](const std::optional<Error>&, std::size_t) {
            clientPort = client->address().port;
            client->send(Buffer::alloc(50), port, "127.0.0.1");  // fits: delivered
        });
    });
    kit::Loop::getDefault().run();
    REQUIRE(err.has_value());
    CHECK(err->message == "recvmsg EMSGSIZE 127.0.0.1:" + std::to_string(clientPort));
    CHECK(err->syscall == "recvmsg");
    CHECK(sizes == std::vector<std::size_t>{50});  // never a 100-byte piece of the 1000
    CHECK(server->truncatedCount() == 1);
    test::requireIdle();
}

TEST_CASE("at most 32 datagrams are read per wakeup (libuv's fairness rule)", "[dgram]") {
    // 100 datagrams wait in the kernel before the loop starts. Each poll(2) wakeup
    // delivers a batch; the check phase (setImmediate) follows each poll phase, so it
    // marks the end of a batch.
    auto server = boundServer("udp4", "127.0.0.1");
    std::vector<int> batches;
    int current = 0;
    int total = 0;
    server->on("message", [&](const Buffer&, const RemoteInfo&) {
        if (current++ == 0) {
            kit::setImmediate([&] {
                batches.push_back(current);
                current = 0;
                if (total == 100) server->close();
            });
        }
        ++total;
    });
    server->on("listening", [&] {
        // A plain blocking socket(2) + sendto(2) here: the 100 datagrams are queued in
        // the server's receive buffer before the loop polls again.
        const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        CHECK(fd >= 0);
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_port = htons(static_cast<std::uint16_t>(server->address().port));
        to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        for (int i = 0; i < 100; ++i)
            CHECK(::sendto(fd, "0123456789", 10, 0, reinterpret_cast<sockaddr*>(&to), sizeof to) == 10);
        ::close(fd);
    });
    kit::Loop::getDefault().run();
    CHECK(total == 100);
    CHECK(batches == std::vector<int>{32, 32, 32, 4});
    test::requireIdle();
}

TEST_CASE("a bound socket keeps the loop alive until close or unref", "[dgram]") {
    // node -e "const s=require('dgram').createSocket('udp4'); s.bind(0); s.unref()" exits at once
    auto s = kit::dgram::createSocket("udp4");
    bool listened = false;
    s->bind(0, [&] {
        listened = true;
        s->unref();  // nothing else keeps the loop: run() returns
    });
    kit::Loop::getDefault().run();
    CHECK(listened);
    CHECK_FALSE(s->hasRef());
    CHECK(s->fd() >= 0);  // still open: only unreferenced
    s->ref();
    kit::setTimeout([&] { s->close(); }, 1);
    kit::Loop::getDefault().run();
    CHECK(s->fd() == -1);
    test::requireIdle();
}

TEST_CASE("misuse throws as Node throws", "[dgram]") {
    // node: createSocket('udp5') -> TypeError ERR_SOCKET_BAD_TYPE; address() before bind
    //   -> 'getsockname EBADF'; send port 0 -> RangeError ERR_SOCKET_BAD_PORT; offset past
    //   the end -> RangeError ERR_BUFFER_OUT_OF_BOUNDS; close twice / send after close
    //   -> ERR_SOCKET_DGRAM_NOT_RUNNING 'Not running'; bind twice -> ERR_SOCKET_ALREADY_BOUND
    auto codeOf = [](auto&& fn) -> std::string {
        try {
            fn();
        } catch (const Error& e) {
            return e.code + "|" + e.name + "|" + e.message;
        }
        return "no throw";
    };
    CHECK(codeOf([] { kit::dgram::createSocket("udp5"); }) ==
          "ERR_SOCKET_BAD_TYPE|TypeError|Bad socket type specified. Valid types are: udp4, udp6");
    auto s = kit::dgram::createSocket("udp4");
    CHECK(codeOf([&] { s->address(); }) == "EBADF|Error|getsockname EBADF");
    CHECK(codeOf([&] { s->send(Buffer::from("abc"), 0, 3, 0, "127.0.0.1"); }) ==
          "ERR_SOCKET_BAD_PORT|RangeError|Port should be > 0 and < 65536. Received type number (0).");
    CHECK(codeOf([&] { s->send(Buffer::from("abc"), 4, 0, 9, "127.0.0.1"); }) ==
          "ERR_BUFFER_OUT_OF_BOUNDS|RangeError|\"offset\" is outside of buffer bounds");
    CHECK(codeOf([&] { s->send(Buffer::from("abc"), 2, 3, 9, "127.0.0.1"); }) ==
          "ERR_BUFFER_OUT_OF_BOUNDS|RangeError|\"length\" is outside of buffer bounds");
    CHECK(codeOf([&] { s->getRecvBufferSize(); }).rfind("ERR_SOCKET_BUFFER_SIZE|SystemError|", 0) == 0);
    s->bind(0);
    CHECK(codeOf([&] { s->bind(0); }) == "ERR_SOCKET_ALREADY_BOUND|Error|Socket is already bound");
    s->close();
    CHECK(codeOf([&] { s->close(); }) == "ERR_SOCKET_DGRAM_NOT_RUNNING|Error|Not running");
    CHECK(codeOf([&] { s->send(Buffer::from("abc"), 9, "127.0.0.1"); }) ==
          "ERR_SOCKET_DGRAM_NOT_RUNNING|Error|Not running");
    kit::Loop::getDefault().run();
    test::requireIdle();
}

TEST_CASE("SO_RCVBUF can be read and raised once bound", "[dgram]") {
    auto s = kit::dgram::createSocket("udp4");
    int before = 0, after = 0;
    s->bind(0, "127.0.0.1", [&] {
        before = s->getRecvBufferSize();
        s->setRecvBufferSize(before * 2);
        after = s->getRecvBufferSize();
        s->close();
    });
    kit::Loop::getDefault().run();
    CHECK(before > 0);
    CHECK(after >= before);  // capped by net.core.rmem_max, never lowered
    test::requireIdle();
}

TEST_CASE("a send callback that throws is an uncaught exception: exit status 1", "[dgram]") {
    // node: the lesson-04 client with a 65,508-byte file -> stderr shows
    //   'Error: send EMSGSIZE 127.0.0.1:<port>' and the properties; exit status 1
    const auto result = test::runInChild([] {
        auto c = kit::dgram::createSocket("udp4");
        c->send(Buffer::alloc(65508), 9, "127.0.0.1", [](const std::optional<Error>& err, std::size_t) {
            if (err) throw *err;
        });
        kit::Loop::getDefault().run();
    });
    REQUIRE(result.exited);
    CHECK(result.exitCode == 1);
    CHECK(result.out.empty());
    CHECK(result.err.find("Error: send EMSGSIZE 127.0.0.1:9") != std::string::npos);
    CHECK(result.err.find("errno: -90") != std::string::npos);
    CHECK(result.err.find("syscall: 'send'") != std::string::npos);
}

TEST_CASE("close with a callback: 'close' once, in the close phase", "[dgram]") {
    test::Recorder rec;
    auto s = kit::dgram::createSocket("udp4");
    s->on("close", rec.note("close event"));
    s->bind(0, "127.0.0.1", [&] {
        s->close(rec.note("close callback"));
        rec("after close()");
    });
    kit::Loop::getDefault().run();
    CHECK(rec.seen == std::vector<std::string>{"after close()", "close event", "close callback"});
    test::requireIdle();
}
