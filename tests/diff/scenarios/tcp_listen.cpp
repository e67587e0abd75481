// Scenario tcp_listen, the C++ twin of tcp_listen.js (read that file's comment first).
#include "console.hpp"
#include "net.hpp"
#include "process.hpp"

#include <string>

using namespace kit;

namespace {

void trace(const std::string& name, const std::string& host) {
    auto server = net::createServer();
    // The listeners capture a weak reference: the loop owns the server while it is open.
    std::weak_ptr<net::Server> weak = server;
    server->on("listening", [name, weak] {
        auto s = weak.lock();
        const auto a = s->address();
        console::log(name, "listening", a.address, a.family, std::string("port>0=") + (a.port > 0 ? "true" : "false"));
        s->close();
        console::log(name, "close() returned", std::string("listening=") + (s->listening() ? "true" : "false"));
    });
    server->on("close", [name] { console::log(name, "close"); });
    server->on("error", [name](const Error& err) { console::log(name, "error", err.code, err.syscall); });
    server->listen(0, host);
    console::log(name, "listen() returned", std::string("listening=") + (server->listening() ? "true" : "false"));
}

} // namespace

int main() {
    trace("a", "127.0.0.1");
    trace("b", "");
    trace("c", "localhost");
    return process::run();
}
