// Scenario tcp_listen_then_close, the C++ twin of tcp_listen_then_close.js (read that
// file's comment first).
#include "console.hpp"
#include "net.hpp"
#include "process.hpp"

#include <memory>
#include <string>

using namespace kit;

namespace {
void listenThenClose(const std::string& name, const std::string& host) {
    auto server = net::createServer();
    std::weak_ptr<net::Server> weak = server;
    server->on("listening", [name] { console::log(name + " listening (unexpected)"); });
    server->on("close", [name, weak] {
        console::log(name + " close listening=" + (weak.lock()->listening() ? "true" : "false"));
    });
    server->listen(0, host, [name] { console::log(name + " listen callback (unexpected)"); });
    server->close();
    console::log(name + " close() called listening=" + (server->listening() ? "true" : "false"));
}
} // namespace

int main() {
    listenThenClose("server", "127.0.0.1");
    listenThenClose("server2", "localhost");
    return process::run();
}
