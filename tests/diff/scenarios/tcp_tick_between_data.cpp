// Scenario tcp_tick_between_data, the C++ twin of tcp_tick_between_data.js (read that
// file's comment first).
#include "console.hpp"
#include "net.hpp"
#include "process.hpp"

#include <unistd.h>

#include <memory>
#include <string>

using namespace kit;

namespace {
std::string boolText(bool b) { return b ? "true" : "false"; }

struct Count {
    std::size_t total = 0;
    bool tickPending = false;
    int overtaken = 0;
    int chunks = 0;
};
} // namespace

int main() {
    auto server = net::createServer();
    std::weak_ptr<net::Server> weakServer = server;
    server->on("connection", [weakServer](const net::SocketPtr& conn) {
        auto c = std::make_shared<Count>();
        conn->on("data", [c](const Buffer& chunk) {
            // Hold the loop while the rest of the client's bytes reach the kernel buffer.
            if (c->chunks == 0) ::usleep(100 * 1000);
            if (c->tickPending) ++c->overtaken;
            ++c->chunks;
            c->total += chunk.size();
            c->tickPending = true;
            process::nextTick([c] { c->tickPending = false; });
        });
        conn->on("end", [c, weakServer] {
            console::log("server end total=" + std::to_string(c->total), "severalChunks=" + boolText(c->chunks > 1),
                         "dataBeforeTick=" + std::to_string(c->overtaken));
            weakServer.lock()->close();
        });
    });
    server->listen(0, "127.0.0.1", [weakServer] {
        auto client = net::createSocket();
        std::weak_ptr<net::Socket> weak = client;
        client->connect(weakServer.lock()->address().port, "127.0.0.1",
                        [weak] { weak.lock()->end(Buffer::alloc(256 * 1024)); });
        client->on("close", [](bool) { console::log("client close"); });
    });
    return process::run();
}
