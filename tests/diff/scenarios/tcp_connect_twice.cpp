// Scenario tcp_connect_twice, the C++ twin of tcp_connect_twice.js (read that file's
// comment first).
#include "console.hpp"
#include "net.hpp"
#include "process.hpp"

#include <memory>
#include <string>

using namespace kit;

namespace {
std::string boolText(bool b) { return b ? "true" : "false"; }
} // namespace

int main() {
    auto server = net::createServer();
    std::weak_ptr<net::Server> weakServer = server;
    server->on("connection", [weakServer](const net::SocketPtr& conn) {
        console::log("server connection");
        conn->on("error", [](const Error& err) { console::log("server conn error", err.code); });
        conn->on("close", [weakServer](bool) {
            console::log("server conn close");
            weakServer.lock()->close();
        });
        conn->resume();
    });
    server->listen(0, "127.0.0.1", [weakServer] {
        const int port = weakServer.lock()->address().port;
        auto client = net::createConnection(port, "127.0.0.1");
        std::weak_ptr<net::Socket> weak = client;
        client->on("connect", [] { console::log("client connect (unexpected)"); });
        client->on("error", [port](const Error& err) {
            const std::string portText = err.port && *err.port == port ? "PORT" : "?";
            console::log("client error", err.code, err.syscall, err.address.value_or("undefined"), "port=" + portText);
        });
        client->on("close", [weak](bool hadError) {
            console::log("client close", boolText(hadError), "destroyed=" + boolText(weak.lock()->destroyed()));
        });
        client->connect(port, "127.0.0.1");
        console::log("client connect() again", "connecting=" + boolText(client->connecting()));
    });
    return process::run();
}
