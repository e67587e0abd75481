// Scenario tcp_reset_while_paused, the C++ twin of tcp_reset_while_paused.js (read that
// file's comment first).
#include "console.hpp"
#include "net.hpp"
#include "process.hpp"
#include "timers.hpp"

#include <memory>
#include <string>

using namespace kit;

namespace {
std::string boolText(bool b) { return b ? "true" : "false"; }
} // namespace

int main() {
    auto server = net::createServer();
    std::weak_ptr<net::Server> weakServer = server;
    auto connRef = std::make_shared<net::SocketPtr>();  // the JavaScript twin's `conn`
    server->on("connection", [weakServer, connRef](const net::SocketPtr& conn) {
        *connRef = conn;
        console::log("server connection");
        conn->pause();
        console::log("conn paused", "isPaused=" + boolText(conn->isPaused()));
        conn->on("data", [](const Buffer& d) { console::log("conn data", d.size()); });
        conn->on("end", [] { console::log("conn end (unexpected)"); });
        conn->on("error", [](const Error& err) { console::log("conn error", err.code, err.syscall); });
        conn->on("close", [weakServer](bool hadError) {
            console::log("conn close", boolText(hadError));
            weakServer.lock()->close([] { console::log("server close"); });
        });
    });
    server->listen(0, "127.0.0.1", [weakServer, connRef] {
        auto client = net::createConnection(weakServer.lock()->address().port, "127.0.0.1");
        std::weak_ptr<net::Socket> weak = client;
        client->on("connect", [weak] {
            console::log("client connect");
            weak.lock()->write(std::string_view("0123456789"));
            setTimeout(
                [weak] {
                    console::log("client resetAndDestroy()");
                    weak.lock()->resetAndDestroy();
                },
                100);
        });
        client->on("error", [](const Error& err) { console::log("client error", err.code, "(unexpected)"); });
        client->on("close", [connRef](bool hadError) {
            console::log("client close", boolText(hadError));
            setTimeout(
                [connRef] {
                    auto conn = std::move(*connRef);
                    console::log("conn resume()", "destroyed=" + boolText(conn->destroyed()));
                    conn->resume();
                },
                200);
        });
    });
    return process::run();
}
