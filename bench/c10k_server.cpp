// bench/c10k_server.cpp: the kit's side of `make bench`'s C10K part (project issue 18,
// item 3; bench/c10k.js runs it). An echo server: every 'data' chunk a connection
// receives is written back to it, as is. bench/c10k_client.c holds N connections open
// and idle on it while one more connection does request/response round trips; the
// loop's poller (KIT_POLLER=poll or epoll, posix_impl/poller.hpp) then watches N + 2
// descriptors to serve one. Its Node twin is bench/c10k_server.js, line for line.
//
// The soft RLIMIT_NOFILE is raised to the hard limit first, as Node does at start-up
// (node.cc, PlatformInit): without it, a server started with the usual soft limit of
// 1,024 stops accepting near 1,000 connections (EMFILE).
//
// Usage: KIT_POLLER=poll|epoll build/bench-bin/c10k_server --port N [--host 127.0.0.1]
#include "args.hpp"
#include "console.hpp"
#include "net.hpp"
#include "process.hpp"

#include <sys/resource.h>

#include <memory>
#include <string>

using namespace kit;

namespace {
// setrlimit(2): soft = hard for RLIMIT_NOFILE; a failure keeps the old limit.
void raiseNofile() {
    rlimit lim{};
    if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
        lim.rlim_cur = lim.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &lim);
    }
}
} // namespace

int main(int argc, char** argv) {
    raiseNofile();  // before the loop exists: the epoll descriptor's place depends on it
    const auto flags = args::parse(argc, argv, 8124);
    const int PORT = flags.port;
    const std::string HOST = flags.host.value_or("127.0.0.1");

    auto server = net::createServer([](const net::SocketPtr& conn) {
        // A weak reference, so the listener does not keep its own socket alive.
        conn->on("data", [weak = std::weak_ptr<net::Socket>(conn)](const Buffer& data) {
            if (auto c = weak.lock()) c->write(data);  // the echo
        });
        // The client resets its connections when it is done (no TIME_WAIT left behind):
        // ECONNRESET is expected, not worth a crash.
        conn->on("error", [](const Error&) {});
    });
    server->listen(PORT, HOST, [PORT] { console::log("escutando porta " + std::to_string(PORT)); });
    return process::run();
}
