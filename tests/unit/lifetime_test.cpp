// lifetime_test.cpp: the lifetime rules of loop.hpp, one case per rule (tag [ruleN]),
// over the real handles a student uses (servers, sockets, timers) and real loopback
// sockets. Rule 2 (closing is deferred to the close phase) is specified in
// loop_test.cpp, "an I/O handle closed in its own callback lives until its close
// callback ran, with no user reference".
#include "test_support.hpp"

#include "net.hpp"
#include "timers.hpp"

#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

using namespace kit;
using Catch::Matchers::Contains;

namespace {

// How many descriptors this process has open (entries of /proc/self/fd).
int openDescriptors() {
    DIR* dir = ::opendir("/proc/self/fd");
    REQUIRE(dir != nullptr);
    int count = 0;
    while (const dirent* entry = ::readdir(dir))
        if (entry->d_name[0] != '.') ++count;
    ::closedir(dir);
    return count - 1;  // the directory stream's own descriptor
}

// A loopback port nobody listens on: bound, never listened, then closed.
int refusedPort() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) == 0);
    socklen_t len = sizeof sa;
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) == 0);
    ::close(fd);
    return ntohs(sa.sin_port);
}

} // namespace

TEST_CASE("rule 1: a socket the program keeps no reference to still connects, talks and closes",
          "[lifetime][rule1]") {
    test::Recorder rec;
    auto server = net::createServer([&](const net::SocketPtr& conn) { conn->end(Buffer::from("hi")); });
    std::weak_ptr<net::Socket> weak;
    server->listen(0, "127.0.0.1", [&] {
        auto client = net::createConnection(server->address().port, "127.0.0.1");
        weak = client;
        client->on("connect", rec.note("connect"));
        client->on("data", [&](const Buffer& b) { rec("data " + b.toString()); });
        client->on("close", [&](bool) {
            rec("close");
            server->close();
        });
    });  // the only shared_ptr to the client dies here: the loop owns it
    Loop::getDefault().run();
    CHECK(rec.seen == std::vector<std::string>{"connect", "data hi", "close"});
    CHECK(weak.expired());  // and lets it go after its 'close'
    server.reset();
    test::requireIdle();
}

TEST_CASE("rule 3: servers whose listeners capture the server itself are freed, descriptors too, once closed",
          "[lifetime][rule3]") {
    // As JavaScript closures would: each listener holds its own server. Node's garbage
    // collector frees such a server after 'close'; the kit drops the listeners there.
    const int before = openDescriptors();
    std::vector<std::weak_ptr<net::Server>> servers;
    for (int i = 0; i < 50; ++i) {
        auto server = net::createServer();
        server->on("listening", [server] { server->close(); });
        server->on("close", [server] {});
        server->listen(0, "127.0.0.1");
        servers.push_back(server);
    }
    Loop::getDefault().run();
    for (const auto& weak : servers) CHECK(weak.expired());
    CHECK(openDescriptors() == before);
    test::requireIdle();
}

TEST_CASE("rule 4: a socket refused once connects again when its 'close' listener calls connect()",
          "[lifetime][rule4]") {
    test::Recorder rec;
    int connections = 0;
    const int refused = refusedPort();
    auto server = net::createServer([&](const net::SocketPtr& conn) {
        ++connections;
        conn->resume();
    });
    server->listen(0, "127.0.0.1", [&] {
        auto client = net::createSocket();
        std::weak_ptr<net::Socket> weak = client;
        client->on("error", [&](const Error& e) { rec("error " + e.code); });
        client->on("connect", [&, weak] {
            rec("connect");
            weak.lock()->end();
        });
        client->on("close", [&, weak](bool hadError) {
            rec(hadError ? "close true" : "close false");
            if (hadError) weak.lock()->connect(server->address().port, "127.0.0.1");
            else server->close();
        });
        client->connect(refused, "127.0.0.1");
    });
    Loop::getDefault().run();  // before the fix: never returned
    CHECK(rec.seen == std::vector<std::string>{"error ECONNREFUSED", "close true", "connect", "close false"});
    CHECK(connections == 1);
    server.reset();
    test::requireIdle();
}

TEST_CASE("rule 4: a server closed and listening again in one callback, held only by that callback, keeps listening",
          "[lifetime][rule4]") {
    // The document's retry: close() then listen(port, host), the server held by nothing
    // but the timer's closure. The listen waits for a lookup while 'close' is emitted.
    test::Recorder rec;
    std::weak_ptr<net::Server> weak;
    {
        auto server = net::createServer([&](const net::SocketPtr& conn) {
            rec("connection");
            conn->destroy();
            weak.lock()->close();
        });
        weak = server;
        server->on("close", [&] { rec("close"); });
        server->on("listening", [&] {
            rec("listening");
            auto client = net::createConnection(weak.lock()->address().port, "127.0.0.1");
            client->on("error", [](const Error&) {});
            client->resume();
        });
        kit::setTimeout(
            [server] {
                server->close();
                server->listen(0, "127.0.0.1");
            },
            1);
    }
    Loop::getDefault().run();  // before the fix: the server was freed while listening, run() hung
    CHECK(rec.seen == std::vector<std::string>{"close", "listening", "connection", "close"});
    CHECK(weak.expired());
    test::requireIdle();
}

TEST_CASE("rule 5: a handle destroyed while active and referenced no longer keeps the loop running",
          "[lifetime][rule5]") {
    auto& loop = Loop::getDefault();
    test::Pipe pipe;
    auto reader = test::PipeReader::open(pipe.releaseRead(), nullptr);
    reader->start();  // active and referenced: it keeps the loop alive
    REQUIRE(loop.alive());
    loop.release(*reader);  // the loop lets go; now only this test holds it
    reader.reset();         // destroyed while active
    CHECK_FALSE(loop.alive());  // before the fix: alive forever, run() would never return
    test::requireIdle();
}

TEST_CASE("rule 6: a listening server destroyed after its loop neither touches the loop nor leaks its descriptor",
          "[lifetime][rule6]") {
    // The case: a global shared_ptr holds an unref'd listening server, and the
    // default loop (a function-local static created later) is destroyed first. Here a
    // loop of its own plays the default loop; the ASan build of this test saw the
    // server's destructor call Loop::unwatch on freed memory.
    const int before = openDescriptors();
    auto loop = std::make_unique<Loop>();
    auto server = std::make_shared<net::Server>(*loop);
    loop->adopt(server);
    server->listen(0);  // no host: bound and listening at once
    REQUIRE(server->listening());
    server->unref();
    loop.reset();  // the loop goes first
    CHECK(server->detached());
    CHECK(server->listening());
    server.reset();  // then the server: closes its descriptors, touches nothing else
    CHECK(openDescriptors() == before);
}

namespace {
// The program: a global shared_ptr, created (empty) before main and so
// destroyed after the default loop, a function-local static created later.
std::shared_ptr<net::Server> gServer;  // NOLINT: the global under test
} // namespace

TEST_CASE("child - a global listening server outlives the default loop", "[.][child]") {
    gServer = net::createServer();
    gServer->listen(0);
    gServer->unref();
    Loop::getDefault().run();
    std::puts("run returned");
    std::fflush(stdout);
}  // then exit: ~Loop, then ~Server (the ASan build reported a heap-use-after-free here)

TEST_CASE("rule 6: a global listening server destroyed after the default loop exits cleanly",
          "[lifetime][rule6]") {
    const auto child = test::runSelfTest("child - a global listening server outlives the default loop", {});
    CHECK(child.exited);
    CHECK(child.exitCode == 0);
    CHECK_THAT(child.out, Contains("run returned"));
    CHECK_THAT(child.err, !Contains("AddressSanitizer"));
}

TEST_CASE("child - a thread-pool job throws", "[.][child]") {
    // In a fresh process: a fork(2)ed copy of this one would have no pool threads.
    auto& loop = Loop::getDefault();
    loop.queueWork([] { throw std::runtime_error("job failed"); }, [] { std::puts("after ran"); });
    loop.run();
    std::puts("run returned");
    std::fflush(stdout);
}

TEST_CASE("rule 7: an exception thrown by a thread-pool job is an uncaught exception on the loop thread, status 1",
          "[lifetime][rule7]") {
    const auto child = test::runSelfTest("child - a thread-pool job throws", {});
    CHECK(child.exited);  // before the fix: std::terminate on the worker thread, SIGABRT
    CHECK(child.exitCode == 1);
    CHECK_THAT(child.err, Contains("Error: job failed"));
    CHECK_THAT(child.out, !Contains("after ran") && !Contains("run returned"));
}
