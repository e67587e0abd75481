// Scenario tcp_close_order, the C++ twin of tcp_close_order.js (read that file's comment
// first).
#include "console.hpp"
#include "net.hpp"
#include "process.hpp"
#include "timers.hpp"

#include <memory>

using namespace kit;

int main() {
    auto client = std::make_shared<std::weak_ptr<net::Socket>>();
    auto server = net::createServer();
    std::weak_ptr<net::Server> weakServer = server;
    server->on("connection", [client, weakServer](const net::SocketPtr& conn) {
        conn->on("close", [](bool hadError) { console::log("conn close", hadError ? "true" : "false"); });
        std::weak_ptr<net::Socket> weakConn = conn;
        setTimeout(
            [client, weakServer, weakConn] {
                weakServer.lock()->close([] { console::log("server close"); });
                console::log("destroying conn, then client");
                weakConn.lock()->destroy();
                client->lock()->destroy();
                console::log("destroy() calls returned");
            },
            20);
    });
    server->listen(0, "127.0.0.1", [client, weakServer] {
        auto c = net::createConnection(weakServer.lock()->address().port, "127.0.0.1");
        *client = c;
        c->on("close", [](bool hadError) { console::log("client close", hadError ? "true" : "false"); });
    });
    return process::run();
}
