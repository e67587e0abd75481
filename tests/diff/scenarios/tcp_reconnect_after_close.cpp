// Scenario tcp_reconnect_after_close, the C++ twin of tcp_reconnect_after_close.js (read
// that file's comment first).
#include "console.hpp"
#include "net.hpp"
#include "process.hpp"

#include <cstdlib>
#include <memory>
#include <string>

using namespace kit;

namespace {
std::string boolText(bool b) { return b ? "true" : "false"; }
} // namespace

int main(int argc, char** argv) {
    const int refusedPort = argc > 1 ? std::atoi(argv[1]) : 0;
    auto server = net::createServer();
    std::weak_ptr<net::Server> weakServer = server;
    server->on("connection", [weakServer](const net::SocketPtr& conn) {
        console::log("server connection");
        conn->on("end", [] { console::log("server conn end"); });
        conn->on("close", [weakServer](bool) {
            console::log("server conn close");
            weakServer.lock()->close();
        });
    });
    server->listen(0, "127.0.0.1", [weakServer, refusedPort] {
        const int port = weakServer.lock()->address().port;
        auto client = net::createSocket();
        std::weak_ptr<net::Socket> weak = client;
        auto attempts = std::make_shared<int>(1);
        client->on("connect", [weak, attempts] {
            auto c = weak.lock();
            console::log("client connect attempt=" + std::to_string(*attempts), "destroyed=" + boolText(c->destroyed()));
            c->end();
        });
        client->on("ready", [] { console::log("client ready"); });
        client->on("end", [] { console::log("client end"); });
        client->on("error", [attempts](const Error& err) {
            console::log("client error", err.code, err.syscall, "attempt=" + std::to_string(*attempts));
        });
        client->on("close", [weak, attempts, port](bool hadError) {
            auto c = weak.lock();
            console::log("client close", boolText(hadError), "destroyed=" + boolText(c->destroyed()));
            if (*attempts == 1) {
                ++*attempts;
                c->connect(port, "127.0.0.1");
                console::log("client connect() again", "connecting=" + boolText(c->connecting()),
                             "destroyed=" + boolText(c->destroyed()));
            }
        });
        client->connect(refusedPort, "127.0.0.1");
    });
    return process::run();
}
