// Scenario tcp_tick_between_connections, the C++ twin of tcp_tick_between_connections.js
// (read that file's comment first).
#include "console.hpp"
#include "net.hpp"
#include "process.hpp"

#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

using namespace kit;

int main() {
    auto count = std::make_shared<int>(0);
    auto clients = std::make_shared<std::vector<net::SocketPtr>>();
    auto server = net::createServer();
    std::weak_ptr<net::Server> weakServer = server;
    server->on("connection", [weakServer, count](const net::SocketPtr& conn) {
        const int n = ++*count;
        console::log("server connection " + std::to_string(n));
        process::nextTick([n] { console::log("server tick " + std::to_string(n)); });
        conn->destroy();
        if (n == 3) weakServer.lock()->close([] { console::log("server close"); });
    });
    server->listen(0, "127.0.0.1", [weakServer, clients] {
        const int port = weakServer.lock()->address().port;
        for (int i = 0; i < 3; ++i) {
            auto c = net::createConnection(port, "127.0.0.1");
            c->on("error", [](const Error&) {});
            c->resume();
            clients->push_back(c);
        }
        // After the ticks that start the three connect(2) calls: hold the loop.
        process::nextTick([] { process::nextTick([] { ::usleep(100 * 1000); }); });
    });
    return process::run();
}
