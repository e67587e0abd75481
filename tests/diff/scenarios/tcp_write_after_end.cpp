// Scenario tcp_write_after_end, the C++ twin of tcp_write_after_end.js (read that file's
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
        conn->on("error", [](const Error&) {});
        conn->on("close", [weakServer] { weakServer.lock()->close([] { console::log("server close"); }); });
    });
    server->listen(0, "127.0.0.1", [weakServer] {
        auto client = net::createSocket();
        std::weak_ptr<net::Socket> weak = client;
        client->connect(weakServer.lock()->address().port, "127.0.0.1", [weak] {
            auto c = weak.lock();
            console::log("client connect");
            c->end();
            const bool ok = c->write(std::string_view("x"));
            console::log("client write() after end() returned " + boolText(ok), "destroyed=" + boolText(c->destroyed()));
            const bool again = c->write(std::string_view("y"));
            console::log("client write() after destroy returned " + boolText(again));
        });
        client->on("finish", [] { console::log("client finish (unexpected)"); });
        client->on("error", [](const Error& err) { console::log("client error", err.code, "message \"" + err.message + "\""); });
        client->on("close", [](bool hadError) { console::log("client close", boolText(hadError)); });
    });
    return process::run();
}
