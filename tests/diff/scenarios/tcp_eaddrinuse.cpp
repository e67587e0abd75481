// Scenario tcp_eaddrinuse, the C++ twin of tcp_eaddrinuse.js (read that file's comment first).
#include "console.hpp"
#include "net.hpp"
#include "process.hpp"

#include <memory>
#include <string>
#include <utility>

using namespace kit;

namespace {

// err.message with the port number replaced by PORT.
std::string withoutPort(std::string text, int port) {
    const std::string p = std::to_string(port);
    if (const auto at = text.rfind(p); at != std::string::npos) text.replace(at, p.size(), "PORT");
    return text;
}

} // namespace

int main() {
    auto a = net::createServer();
    std::weak_ptr<net::Server> weakA = a;
    a->listen(0, "127.0.0.1", [weakA] {
        const int port = weakA.lock()->address().port;
        console::log("a listening");
        auto failures = std::make_shared<int>(0);
        for (const auto& entry : {std::pair<std::string, std::string>{"b", "127.0.0.1"}, {"c", ""}}) {
            // Named copies, not `const auto& [name, host]`: clang 14 cannot capture a
            // structured binding in a lambda (C++20 allows it; clang 16 implements it).
            const std::string name = entry.first, host = entry.second;
            auto s = net::createServer();
            std::weak_ptr<net::Server> weak = s;
            s->on("listening", [name] { console::log(name, "listening (unexpected)"); });
            s->on("error", [name, port, weak, weakA, failures](const Error& err) {
                console::log(name, "error", err.code, err.syscall, "errno=" + std::to_string(err.errnum));
                console::log(name, "error message", "\"" + withoutPort(err.message, port) + "\"");
                console::log(name, "error", "address=" + err.address.value_or("undefined"),
                             "port=" + (err.port == port ? std::string("PORT") : std::to_string(err.port.value_or(0))));
                console::log(name, std::string("listening=") + (weak.lock()->listening() ? "true" : "false"));
                if (++*failures == 2) weakA.lock()->close([] { console::log("a close"); });
            });
            s->listen(port, host);
        }
    });
    return process::run();
}
