// Scenario tcp_destroy_in_connect, the C++ twin of tcp_destroy_in_connect.js (read that
// file's comment first).
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
        conn->on("error", [](const Error& err) { console::log("server conn error", err.code); });
        conn->on("close", [weakServer](bool) {
            console::log("server conn close");
            weakServer.lock()->close();
        });
        conn->resume();
    });
    server->listen(0, "127.0.0.1", [weakServer] {
        auto client = net::createConnection(weakServer.lock()->address().port, "127.0.0.1");
        std::weak_ptr<net::Socket> weak = client;
        client->on("connect", [weak] {
            console::log("client connect");
            auto c = weak.lock();
            c->destroy();
            console::log("client destroyed=" + boolText(c->destroyed()));
        });
        client->on("ready", [weak] { console::log("client ready destroyed=" + boolText(weak.lock()->destroyed())); });
        client->on("data", [](const Buffer&) { console::log("client data (unexpected)"); });
        client->on("end", [] { console::log("client end (unexpected)"); });
        client->on("close", [](bool hadError) { console::log("client close", boolText(hadError)); });
    });
    return process::run();
}
