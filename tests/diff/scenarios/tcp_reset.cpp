// Scenario tcp_reset, the C++ twin of tcp_reset.js (read that file's comment first).
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
    auto client = std::make_shared<std::weak_ptr<net::Socket>>();
    auto server = net::createServer();
    std::weak_ptr<net::Server> weakServer = server;
    server->on("connection", [client, weakServer](const net::SocketPtr& conn) {
        console::log("server connection");
        conn->on("data", [client](const Buffer& d) {
            console::log("conn data", d.size());
            auto c = client->lock();
            c->resetAndDestroy();
            console::log("client resetAndDestroy() returned", "destroyed=" + boolText(c->destroyed()));
        });
        conn->on("end", [] { console::log("conn end (unexpected)"); });
        conn->on("error", [](const Error& err) {
            console::log("conn error", err.code, err.syscall, "errno=" + std::to_string(err.errnum));
            console::log("conn error message", "\"" + err.message + "\"");
        });
        conn->on("close", [weakServer](bool hadError) {
            console::log("conn close", boolText(hadError));
            weakServer.lock()->close([] { console::log("server close"); });
        });
    });
    server->listen(0, "127.0.0.1", [client, weakServer] {
        auto c = net::createConnection(weakServer.lock()->address().port, "127.0.0.1");
        *client = c;
        c->on("connect", [client] {
            console::log("client connect");
            client->lock()->write(std::string_view("0123456789"));
        });
        c->on("error", [](const Error& err) { console::log("client error", err.code, "(unexpected)"); });
        c->on("close", [](bool hadError) { console::log("client close", boolText(hadError)); });
    });
    return process::run();
}
