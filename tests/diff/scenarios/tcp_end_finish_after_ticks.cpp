// Scenario tcp_end_finish_after_ticks, the C++ twin of tcp_end_finish_after_ticks.js
// (read that file's comment first).
#include "console.hpp"
#include "net.hpp"
#include "process.hpp"

#include <memory>
#include <string>

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
            process::nextTick([] {
                console::log("client tick after end()");
                process::nextTick([] { console::log("client tick queued by that tick"); });
            });
        });
        client->on("finish", [] { console::log("client finish"); });
        client->on("end", [] { console::log("client end"); });
        client->on("close", [](bool hadError) {
            console::log(std::string("client close hadError=") + (hadError ? "true" : "false"));
        });
        client->resume();
    });
    return process::run();
}
