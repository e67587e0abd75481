// The C++ twin of end_in_connect_finish_early.js (read that file's comment first).
#include "console.hpp"
#include "net.hpp"
#include "process.hpp"

#include <memory>

using namespace kit;

int main() {
    auto server = net::createServer();
    std::weak_ptr<net::Server> weakServer = server;
    server->on("connection", [weakServer](const net::SocketPtr& conn) {
        conn->resume();
        conn->on("close", [weakServer] {
            if (auto s = weakServer.lock()) s->close();
        });
    });
    server->listen(0, "127.0.0.1", [weakServer] {
        auto client = net::createConnection(weakServer.lock()->address().port, "127.0.0.1");
        std::weak_ptr<net::Socket> weak = client;
        client->on("connect", [weak] {
            console::log("client connect");
            weak.lock()->end();
            process::nextTick([] { console::log("client tick after end()"); });
        });
        client->on("finish", [] { console::log("client finish"); });
        client->resume();
    });
    return process::run();
}
