// Scenario tcp_data_before_listener, the C++ twin of tcp_data_before_listener.js (read
// that file's comment first).
#include "console.hpp"
#include "net.hpp"
#include "process.hpp"
#include "timers.hpp"

#include <memory>
#include <string>

using namespace kit;

int main() {
    auto server = net::createServer();
    std::weak_ptr<net::Server> weakServer = server;
    server->on("connection", [weakServer](const net::SocketPtr& conn) {
        console::log("server connection");
        std::weak_ptr<net::Socket> weak = conn;
        conn->on("end", [] { console::log("conn end"); });
        conn->on("close", [weak, weakServer] {
            console::log("conn close bytesRead=" + std::to_string(weak.lock()->bytesRead()));
            weakServer.lock()->close();
        });
        setTimeout(
            [weak] {
                console::log("conn on(data) added");
                if (auto c = weak.lock()) c->on("data", [](const Buffer& d) { console::log("conn data", d.size()); });
            },
            200);
    });
    server->listen(0, "127.0.0.1", [weakServer] {
        auto client = net::createSocket();
        std::weak_ptr<net::Socket> weak = client;
        client->connect(weakServer.lock()->address().port, "127.0.0.1",
                        [weak] { weak.lock()->end(Buffer::from("0123456789")); });
        client->on("close", [](bool hadError) { console::log("client close", hadError ? "true" : "false"); });
    });
    return process::run();
}
