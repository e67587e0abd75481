// Scenario tcp_relisten_unreferenced, the C++ twin of tcp_relisten_unreferenced.js (read
// that file's comment first). No variable of the program holds `b` for long: its
// listeners hold it weakly, the retry timer's closure strongly, as in JavaScript.
#include "console.hpp"
#include "net.hpp"
#include "process.hpp"
#include "timers.hpp"

#include <memory>
#include <string>

using namespace kit;

namespace {
std::string boolText(bool b) { return b ? "true" : "false"; }

void retry() {
    auto a = net::createServer();
    std::weak_ptr<net::Server> weakA = a;
    a->on("close", [] { console::log("a close"); });
    a->listen(0, "127.0.0.1", [weakA] {
        const int port = weakA.lock()->address().port;
        console::log("a listening");
        auto b = net::createServer();
        std::weak_ptr<net::Server> weakB = b;
        b->on("connection", [weakB](const net::SocketPtr& conn) {
            console::log("b connection");
            conn->on("close", [weakB](bool) {
                console::log("b conn close");
                weakB.lock()->close();
            });
            conn->end();
        });
        b->on("error", [weakA, weakB, port](const Error& err) {
            console::log("b error", err.code, err.syscall);
            weakA.lock()->close();
            setTimeout(
                [b = weakB.lock(), port] {
                    b->close();
                    b->listen(port, "127.0.0.1");
                    console::log("b listen() again", "listening=" + boolText(b->listening()));
                },
                20);
        });
        b->on("close", [weakB] { console::log("b close", "listening=" + boolText(weakB.lock()->listening())); });
        b->on("listening", [weakB, port] {
            console::log(std::string("b listening port=") + (weakB.lock()->address().port == port ? "PORT" : "?"));
            auto client = net::createConnection(port, "127.0.0.1");
            client->resume();
            client->on("end", [] { console::log("client end"); });
            client->on("close", [](bool) { console::log("client close"); });
        });
        b->listen(port, "127.0.0.1");
    });
}
} // namespace

int main() {
    retry();
    return process::run();
}
