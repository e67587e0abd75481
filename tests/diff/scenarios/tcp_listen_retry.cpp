// Scenario tcp_listen_retry, the C++ twin of tcp_listen_retry.js (read that file's comment first).
#include "console.hpp"
#include "net.hpp"
#include "process.hpp"
#include "timers.hpp"

#include <memory>
#include <string>

using namespace kit;

int main() {
    auto a = net::createServer();
    std::weak_ptr<net::Server> weakA = a;
    a->on("close", [] { console::log("a close"); });
    a->listen(0, "", [weakA] {
        const int port = weakA.lock()->address().port;
        console::log("a listening");
        auto b = net::createServer();
        std::weak_ptr<net::Server> weakB = b;
        auto attempts = std::make_shared<int>(1);
        b->on("error", [weakA, weakB, attempts, port](const Error& err) {
            console::log("b error", err.code, err.syscall, "attempt=" + std::to_string(*attempts));
            if (*attempts == 2) weakA.lock()->close();
            // The timer holds the server, as the JavaScript closure does.
            setTimeout(
                [b = weakB.lock(), attempts, port] {
                    b->close();
                    ++*attempts;
                    b->listen(port);
                    console::log("b listen() again, attempt=" + std::to_string(*attempts));
                },
                50);
        });
        b->on("close", [] { console::log("b close"); });
        b->on("listening", [weakB, attempts, port] {
            auto self = weakB.lock();
            console::log("b listening attempt=" + std::to_string(*attempts),
                         std::string("port=") + (self->address().port == port ? "PORT" : "?"));
            self->close();
        });
        b->listen(port);
    });
    return process::run();
}
