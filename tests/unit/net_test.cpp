// net_test.cpp: net.Server and net.Socket over real loopback sockets, in one process.
//
// Each case runs the default loop to completion, as a Node program runs to its end.
// The expected orders are Node v20's (docs/node-oracle.md, section 3).
#include "test_support.hpp"

#include "fs.hpp"
#include "net.hpp"
#include "timers.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

using namespace kit;

namespace {

// A server on 127.0.0.1 and a port the kernel picks (port 0): never a fixed port.
std::shared_ptr<net::Server> listenAnywhere(std::function<void(const net::SocketPtr&)> onConnection) {
    auto server = net::createServer(std::move(onConnection));
    server->listen(0, "127.0.0.1");
    return server;
}

std::vector<std::string> only(const std::vector<std::string>& all, const std::string& prefix) {
    std::vector<std::string> out;
    for (const auto& s : all)
        if (s.rfind(prefix, 0) == 0) out.push_back(s.substr(prefix.size()));
    return out;
}

std::string tempPath(const std::string& name) {
    const char* dir = std::getenv("TMPDIR");
    return std::string(dir ? dir : "/tmp") + "/kit-net-test-" + std::to_string(::getpid()) + "-" + name;
}

} // namespace

TEST_CASE("a client that writes and ends: events on both sides come in Node's order", "[net]") {
    test::Recorder rec;
    std::size_t received = 0;
    std::shared_ptr<net::Server> server;
    server = listenAnywhere([&](const net::SocketPtr& conn) {
        rec("server: connection");
        conn->on("data", [&](const Buffer& d) {
            received += d.size();
            rec("server: data");
        });
        conn->on("end", [&] { rec("server: end"); });
        conn->on("finish", [&] { rec("server: finish"); });
        conn->on("close", [&](bool hadError) { rec(std::string("server: close ") + (hadError ? "true" : "false")); });
    });
    server->on("listening", [&] {
        auto client = net::createConnection(server->address().port, "127.0.0.1");
        client->on("connect", [&, client] {
            rec("client: connect");
            client->write(std::string_view("0123456789"));
            client->end();
        });
        client->on("ready", [&] { rec("client: ready"); });
        client->on("finish", [&] { rec("client: finish"); });
        client->on("end", [&] { rec("client: end"); });
        client->on("close", [&, client](bool hadError) {
            rec(std::string("client: close ") + (hadError ? "true" : "false"));
            server->close();
        });
    });
    Loop::getDefault().run();

    CHECK(received == 10);
    CHECK(only(rec.seen, "client: ") ==
          std::vector<std::string>{"connect", "ready", "finish", "end", "close false"});
    CHECK(only(rec.seen, "server: ") ==
          std::vector<std::string>{"connection", "data", "end", "finish", "close false"});
    test::requireIdle();
}

TEST_CASE("a server that ends first: the client sees data, end, finish, close(false)", "[net]") {
    test::Recorder rec;
    std::string text;
    std::shared_ptr<net::Server> server;
    server = listenAnywhere([&](const net::SocketPtr& conn) {
        conn->end(Buffer::from("ok"));  // reply and end at once
    });
    server->on("listening", [&] {
        auto client = net::createConnection(server->address().port, "127.0.0.1");
        client->setEncoding("utf8");
        client->on("data", [&](const std::string& d) {
            text += d;
            rec("data");
        });
        client->on("end", [&] { rec("end"); });
        client->on("finish", [&] { rec("finish"); });
        client->on("close", [&](bool hadError) {
            rec(hadError ? "close true" : "close false");
            server->close();
        });
    });
    Loop::getDefault().run();
    CHECK(text == "ok");
    CHECK(rec.seen == std::vector<std::string>{"data", "end", "finish", "close false"});
    test::requireIdle();
}

TEST_CASE("connect to a port nobody listens on: error ECONNREFUSED, then close(true)", "[net]") {
    // Find a free port by listening on 0, then close it before connecting.
    int port = 0;
    {
        auto probe = listenAnywhere({});
        probe->on("listening", [&] {
            port = probe->address().port;
            probe->close();
        });
        Loop::getDefault().run();
    }
    REQUIRE(port > 0);
    test::Recorder rec;
    std::optional<Error> seen;
    auto client = net::createConnection(port, "127.0.0.1");
    client->on("error", [&](const Error& e) {
        seen = e;
        rec("error");
    });
    client->on("close", [&](bool hadError) { rec(hadError ? "close true" : "close false"); });
    Loop::getDefault().run();
    REQUIRE(seen);
    CHECK(seen->code == "ECONNREFUSED");
    CHECK(seen->syscall == "connect");
    CHECK(seen->message == "connect ECONNREFUSED 127.0.0.1:" + std::to_string(port));
    CHECK(rec.seen == std::vector<std::string>{"error", "close true"});
    test::requireIdle();
}

TEST_CASE("a host that does not resolve: error getaddrinfo ENOTFOUND, then close(true)", "[net]") {
    std::optional<Error> seen;
    bool closedWithError = false;
    auto client = net::createConnection(8124, "nosuchhost.invalid");
    client->on("error", [&](const Error& e) { seen = e; });
    client->on("close", [&](bool hadError) { closedWithError = hadError; });
    Loop::getDefault().run();
    REQUIRE(seen);
    // Inside a network namespace without DNS the resolver says EAI_AGAIN instead.
    CHECK((seen->code == "ENOTFOUND" || seen->code == "EAI_AGAIN"));
    CHECK(seen->syscall == "getaddrinfo");
    CHECK(closedWithError);
    test::requireIdle();
}

TEST_CASE("listen on a busy port: EADDRINUSE arrives on 'error', never as an exception", "[net]") {
    std::optional<Error> seen;
    bool secondListening = false;
    auto first = listenAnywhere({});
    std::shared_ptr<net::Server> second;
    first->on("listening", [&] {
        const int port = first->address().port;
        second = net::createServer();
        REQUIRE_NOTHROW(second->listen(port, "127.0.0.1"));
        second->on("listening", [&] { secondListening = true; });
        second->on("error", [&](const Error& e) {
            seen = e;
            first->close();
            second->close();
        });
    });
    Loop::getDefault().run();
    REQUIRE(seen);
    CHECK_FALSE(secondListening);
    CHECK(seen->code == "EADDRINUSE");
    CHECK(seen->syscall == "listen");
    CHECK(seen->message.rfind("listen EADDRINUSE: address already in use 127.0.0.1:", 0) == 0);
    second.reset();
    test::requireIdle();
}

TEST_CASE("close() then listen() again on the same server works (the document's retry)", "[net]") {
    test::Recorder rec;
    auto server = net::createServer();
    int listenings = 0;
    server->on("listening", [&] {
        rec("listening");
        if (++listenings == 1) {
            server->close();
            server->listen(0, "127.0.0.1");
        } else {
            server->close();
        }
    });
    server->on("close", [&] { rec("close"); });
    server->listen(0, "127.0.0.1");
    Loop::getDefault().run();
    CHECK(rec.seen == std::vector<std::string>{"listening", "close", "listening", "close"});
    test::requireIdle();
}

TEST_CASE("a reset after data: every byte arrives first, then error ECONNRESET, then close(true)", "[net]") {
    constexpr std::size_t N = 200000;
    test::Recorder rec;
    std::size_t received = 0;
    std::optional<Error> seen;
    std::shared_ptr<net::Server> server;
    server = listenAnywhere([&](const net::SocketPtr& conn) {
        conn->on("data", [&](const Buffer& d) { received += d.size(); });
        conn->on("error", [&](const Error& e) {
            seen = e;
            rec("error");
        });
        conn->on("end", [&] { rec("end"); });
        conn->on("close", [&](bool hadError) {
            rec(hadError ? "close true" : "close false");
            server->close();
        });
    });
    server->on("listening", [&] {
        auto client = net::createConnection(server->address().port, "127.0.0.1");
        client->on("connect", [client] {
            client->write(Buffer(std::vector<std::uint8_t>(N, 'x')));
            // Give the bytes time to reach the server's receive queue, then RST.
            setTimeout([client] { client->resetAndDestroy(); }, 50);
        });
    });
    Loop::getDefault().run();
    CHECK(received == N);
    REQUIRE(seen);
    CHECK(seen->code == "ECONNRESET");
    CHECK(seen->syscall == "read");
    CHECK(rec.seen == std::vector<std::string>{"error", "close true"});
    test::requireIdle();
}

TEST_CASE("setEncoding('utf8'): a character split between two reads arrives whole", "[net]") {
    std::vector<std::string> pieces;
    std::shared_ptr<net::Server> server;
    server = listenAnywhere([&](const net::SocketPtr& conn) {
        conn->setEncoding("utf8");
        conn->on("data", [&](const std::string& d) { pieces.push_back(d); });
        conn->on("close", [&] { server->close(); });
    });
    server->on("listening", [&] {
        auto client = net::createConnection(server->address().port, "127.0.0.1");
        client->on("connect", [client] {
            // "a€" is 61 E2 82 AC: send 61 E2, then 82 AC 40 ms later.
            client->write(Buffer(std::vector<std::uint8_t>{0x61, 0xE2}));
            setTimeout(
                [client] {
                    client->write(Buffer(std::vector<std::uint8_t>{0x82, 0xAC}));
                    client->end();
                },
                40);
        });
    });
    Loop::getDefault().run();
    REQUIRE(pieces.size() == 2);
    CHECK(pieces[0] == "a");
    CHECK(pieces[1] == "\xE2\x82\xAC");
    test::requireIdle();
}

TEST_CASE("pipe() pauses the file stream while the peer does not read (bounded queue)", "[net][fs]") {
    const std::string path = tempPath("pipe.bin");
    constexpr std::size_t size = 16 * 1024 * 1024;
    {
        std::vector<char> bytes(size);
        std::mt19937 rng(42);
        for (auto& b : bytes) b = static_cast<char>(rng());
        std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    }
    std::size_t received = 0;
    std::size_t maxQueued = 0;
    bool sawPause = false;
    net::SocketPtr serverSide;
    std::shared_ptr<net::Server> server;
    server = listenAnywhere([&](const net::SocketPtr& conn) {
        serverSide = conn;
        conn->pause();  // a slow reader: reads nothing for 300 ms
        conn->on("data", [&](const Buffer& d) { received += d.size(); });
        conn->on("close", [&] {
            serverSide.reset();
            server->close();
        });
        setTimeout([conn] { conn->resume(); }, 300);
    });
    server->on("listening", [&] {
        auto client = net::createConnection(server->address().port, "127.0.0.1");
        client->on("connect", [&, client] {
            auto stream = fs::createReadStream(path);
            stream->on("open", [stream, client](int) { stream->pipe(client); });
            // While the peer is stalled, sample the client's queue and the stream state.
            auto sampler = setInterval(
                [&, client, stream] {
                    maxQueued = std::max(maxQueued, client->writableLength());
                    sawPause = sawPause || stream->isPaused();
                },
                10);
            setTimeout([sampler] { clearInterval(sampler); }, 250);
        });
    });
    Loop::getDefault().run();
    std::remove(path.c_str());
    CHECK(received == size);
    CHECK(sawPause);
    // At most one 64 KiB chunk waits in user space beyond the kernel's buffers.
    CHECK(maxQueued <= 2 * fs::ReadStream::kChunkSize);
    test::requireIdle();
}

TEST_CASE("createReadStream on a missing file: error ENOENT with Node's message, then close", "[fs]") {
    test::Recorder rec;
    std::optional<Error> seen;
    auto stream = fs::createReadStream("./no-such-dir/client.txt");
    stream->on("open", [&](int) { rec("open"); });
    stream->on("error", [&](const Error& e) {
        seen = e;
        rec("error");
    });
    stream->on("close", [&] { rec("close"); });
    stream.reset();  // the loop keeps it alive until 'close'
    Loop::getDefault().run();
    REQUIRE(seen);
    CHECK(seen->message == "ENOENT: no such file or directory, open './no-such-dir/client.txt'");
    CHECK(seen->errnum == -2);
    CHECK(rec.seen == std::vector<std::string>{"error", "close"});
    test::requireIdle();
}

TEST_CASE("a 'data' listener added to a ReadStream after 'open' starts the flow, as in Node", "[fs]") {
    // node: createReadStream(f); setTimeout(() => s.on('data', ...), 100) prints
    // open, ready, then every byte and 'end', then 'close'.
    const std::string path = tempPath("late-listener.bin");
    std::vector<std::uint8_t> bytes(200000);
    for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<std::uint8_t>(i % 251);
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                                static_cast<std::streamsize>(bytes.size()));
    test::Recorder rec;
    std::vector<std::uint8_t> received;
    auto stream = fs::createReadStream(path);
    stream->on("open", [&](int) { rec("open"); });
    stream->on("ready", [&] { rec("ready"); });
    stream->on("end", [&] { rec("end"); });
    stream->on("close", [&] { rec("close"); });
    std::weak_ptr<fs::ReadStream> weak = stream;
    setTimeout(
        [&, weak] {
            rec("attach");
            if (auto s = weak.lock())
                s->on("data", [&](const Buffer& d) { received.insert(received.end(), d.data(), d.data() + d.size()); });
        },
        100);
    stream.reset();
    Loop::getDefault().run();
    std::remove(path.c_str());
    CHECK(rec.seen == std::vector<std::string>{"open", "ready", "attach", "end", "close"});
    CHECK(received == bytes);
    test::requireIdle();
}

TEST_CASE("a ReadStream paused by its 'data' listener holds the chunks read ahead until resume(), in order", "[fs]") {
    // A pool job reads up to four chunks ahead (fs.hpp): pausing after the second
    // chunk of a job must still stop 'data' at once, as Node's pause() does, and
    // resume() must deliver the held chunks first, in order, 64 KiB each, then 'end'.
    const std::string path = tempPath("pause-held.bin");
    constexpr std::size_t kChunk = fs::ReadStream::kChunkSize;
    std::vector<std::uint8_t> bytes(10 * kChunk + 1000);
    for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<std::uint8_t>(i % 253);
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                                static_cast<std::streamsize>(bytes.size()));
    std::vector<std::size_t> sizes;
    std::vector<std::uint8_t> received;
    bool paused = false;
    bool dataWhilePaused = false;
    bool endAfterAll = false;
    auto stream = fs::createReadStream(path);
    std::weak_ptr<fs::ReadStream> weak = stream;
    stream->on("data", [&, weak](const Buffer& d) {
        if (paused) dataWhilePaused = true;
        sizes.push_back(d.size());
        received.insert(received.end(), d.data(), d.data() + d.size());
        if (sizes.size() == 2) {
            auto s = weak.lock();
            s->pause();
            paused = true;
            setTimeout(
                [&, weak] {
                    paused = false;
                    if (auto again = weak.lock()) again->resume();
                },
                50);
        }
    });
    stream->on("end", [&] { endAfterAll = received.size() == bytes.size(); });
    stream.reset();
    Loop::getDefault().run();
    std::remove(path.c_str());
    CHECK_FALSE(dataWhilePaused);
    std::vector<std::size_t> expected(10, kChunk);
    expected.push_back(1000);
    CHECK(sizes == expected);
    CHECK(received == bytes);
    CHECK(endAfterAll);
    test::requireIdle();
}

TEST_CASE("a ReadStream on a FIFO emits each chunk as it comes, without waiting for the next write", "[fs]") {
    // Only a regular file is read ahead (fs.cpp): on a pipe, a second read(2) in the
    // same pool job would hold the first chunk back until the writer writes again. The
    // writer here writes its second piece only once the first has been seen as 'data'
    // (or after 5 s): a stream that reads ahead on a FIFO makes it wait the 5 s.
    const std::string path = tempPath("stream.fifo");
    std::remove(path.c_str());
    REQUIRE(::mkfifo(path.c_str(), 0600) == 0);
    std::atomic<bool> firstSeen{false};
    std::atomic<bool> writerWaitedInVain{false};
    std::thread writer([&] {
        const int fd = ::open(path.c_str(), O_WRONLY);  // blocks until the stream opens it
        if (fd < 0) return;
        const std::vector<char> first(fs::ReadStream::kChunkSize, 'a');
        for (std::size_t done = 0; done < first.size();) {
            const ssize_t n = ::write(fd, first.data() + done, first.size() - done);
            if (n <= 0) break;
            done += static_cast<std::size_t>(n);
        }
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (!firstSeen && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        writerWaitedInVain = !firstSeen;
        const char tail[] = "the end";
        (void)!::write(fd, tail, sizeof tail - 1);
        ::close(fd);
    });
    std::size_t total = 0;
    bool ended = false;
    auto stream = fs::createReadStream(path);
    stream->on("data", [&](const Buffer& d) {
        total += d.size();
        firstSeen = true;
    });
    stream->on("end", [&] { ended = true; });
    stream.reset();
    Loop::getDefault().run();
    writer.join();
    std::remove(path.c_str());
    CHECK_FALSE(writerWaitedInVain);
    CHECK(total == fs::ReadStream::kChunkSize + 7);
    CHECK(ended);
    test::requireIdle();
}

TEST_CASE("writeFile into a missing directory reports ENOENT with the path", "[fs]") {
    std::optional<Error> seen;
    bool called = false;
    fs::writeFile("./no-such-dir/out.txt", Buffer::from("x"), [&](const std::optional<Error>& err) {
        called = true;
        seen = err;
    });
    Loop::getDefault().run();
    CHECK(called);
    REQUIRE(seen);
    CHECK(seen->code == "ENOENT");
    CHECK(seen->message == "ENOENT: no such file or directory, open './no-such-dir/out.txt'");
    test::requireIdle();
}

TEST_CASE("writeFile then readFileSync round-trips the bytes", "[fs]") {
    const std::string path = tempPath("roundtrip.bin");
    const Buffer data = Buffer::from("ol\xC3\xA1, mundo\n");
    bool ok = false;
    fs::writeFile(path, data, [&](const std::optional<Error>& err) { ok = !err; });
    Loop::getDefault().run();
    CHECK(ok);
    CHECK(fs::readFileSync(path) == data);
    std::remove(path.c_str());
    CHECK_THROWS_AS(fs::readFileSync(path), Error);
    test::requireIdle();
}

// Node's Readable on the read side: a socket nobody consumes reads into its own buffer
// only up to its highWaterMark (16 KiB; one read of up to 64 KiB may pass it), then
// leaves the rest in the kernel; the first 'data' listener delivers all of it, in order.
TEST_CASE("a socket nobody consumes buffers at most 16 KiB plus one read, and loses nothing", "[net]") {
    constexpr std::size_t kSize = 1024 * 1024;
    std::vector<std::uint8_t> sent(kSize);
    for (std::size_t i = 0; i < kSize; ++i) sent[i] = static_cast<std::uint8_t>(i * 7 + 3);
    std::vector<std::uint8_t> received;
    std::size_t bufferedBeforeListener = 0;
    bool endBeforeListener = false;
    std::shared_ptr<net::Server> server;
    server = listenAnywhere([&](const net::SocketPtr& conn) {
        conn->on("end", [&] { endBeforeListener = endBeforeListener || received.empty(); });
        std::weak_ptr<net::Socket> weak = conn;
        auto timer = setTimeout(
            [&, weak] {
                auto c = weak.lock();
                REQUIRE(c);
                bufferedBeforeListener = c->readableLength();
                c->on("data", [&](const Buffer& d) { received.insert(received.end(), d.data(), d.data() + d.size()); });
            },
            200);
        conn->on("close", [&] { server->close(); });
    });
    server->on("listening", [&] {
        auto client = net::createConnection(server->address().port, "127.0.0.1");
        client->on("connect", [&, client] { client->end(Buffer(std::vector<std::uint8_t>(sent))); });
    });
    Loop::getDefault().run();

    CHECK(bufferedBeforeListener > 0);
    CHECK(bufferedBeforeListener < net::Socket::kReadableHighWaterMark + net::Socket::kReadSize);
    CHECK_FALSE(endBeforeListener);  // 'end' waited behind the buffered bytes
    CHECK(received == sent);
    test::requireIdle();
}

TEST_CASE("a paused socket with nothing buffered still sees the peer's FIN: 'end' comes while paused",
          "[net]") {
    test::Recorder rec;
    std::shared_ptr<net::Server> server;
    server = listenAnywhere([&](const net::SocketPtr& conn) {
        conn->pause();
        rec(std::string("isPaused ") + (conn->isPaused() ? "true" : "false"));
        conn->on("data", [&](const Buffer&) { rec("data"); });
        conn->on("end", [&] { rec("end"); });
        conn->on("close", [&](bool hadError) {
            rec(std::string("close ") + (hadError ? "true" : "false"));
            server->close();
        });
    });
    server->on("listening", [&] {
        auto client = net::createConnection(server->address().port, "127.0.0.1");
        client->on("connect", [client] { client->end(); });
    });
    Loop::getDefault().run();

    // Node v20 prints the same: pause() stops 'data' only, and adding a 'data' listener
    // to a paused socket does not resume it.
    CHECK(rec.seen == std::vector<std::string>{"isPaused true", "end", "close false"});
    test::requireIdle();
}
