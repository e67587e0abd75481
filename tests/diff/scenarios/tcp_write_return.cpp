// Scenario tcp_write_return, the C++ twin of tcp_write_return.js (read that file's
// comment first).
#include "console.hpp"
#include "net.hpp"
#include "process.hpp"

#include <memory>
#include <string>
#include <vector>

using namespace kit;

namespace {
std::string boolText(bool b) { return b ? "true" : "false"; }
} // namespace

int main() {
    auto server = net::createServer();
    std::weak_ptr<net::Server> weakServer = server;
    server->on("connection", [weakServer](const net::SocketPtr& conn) {
        auto received = std::make_shared<std::size_t>(0);
        conn->on("data", [received](const Buffer& d) { *received += d.size(); });
        conn->on("end", [received, weakServer] {
            console::log("conn end", "received=" + std::to_string(*received));
            weakServer.lock()->close();
        });
    });
    server->listen(0, "127.0.0.1", [weakServer] {
        auto client = net::createSocket();
        std::weak_ptr<net::Socket> weak = client;
        client->connect(weakServer.lock()->address().port, "127.0.0.1", [weak] {
            auto c = weak.lock();
            auto drains = std::make_shared<int>(0);
            c->on("drain", [weak, drains] {
                auto self = weak.lock();
                ++*drains;
                console::log("client drain #" + std::to_string(*drains),
                             "writableLength=" + std::to_string(self->writableLength()));
                if (*drains == 1) self->end();
            });
            for (const std::size_t size : {std::size_t{10}, std::size_t{65536}, std::size_t{8 * 1024 * 1024}}) {
                const bool ok = c->write(Buffer(std::vector<std::uint8_t>(size, 0x62)));
                console::log("client write " + std::to_string(size) + " returned " + boolText(ok),
                             "nothingWaiting=" + boolText(c->writableLength() == 0));
            }
        });
        client->on("close", [](bool hadError) { console::log("client close", boolText(hadError)); });
    });
    return process::run();
}
