// Scenario tcp_listen_twice, the C++ twin of tcp_listen_twice.js (read that file's
// comment first).
#include "console.hpp"
#include "net.hpp"
#include "process.hpp"

#include <memory>
#include <string>

using namespace kit;

int main() {
    auto server = net::createServer();
    std::weak_ptr<net::Server> weak = server;
    server->on("error", [](const Error& err) { console::log("server error", err.code, "(unexpected)"); });
    server->listen(0, "", [weak] {
        auto s = weak.lock();
        console::log("server listening");
        try {
            s->listen(0);
            console::log("server listen() again returned");
        } catch (const Error& err) {
            console::log("server listen() again threw", err.name, err.code, "\"" + err.message + "\"");
        }
        console::log(std::string("server listening=") + (s->listening() ? "true" : "false"));
        s->close([] { console::log("server close"); });
    });
    try {
        server->listen(0);
        console::log("server listen() at once returned");
    } catch (const Error& err) {
        console::log("server listen() at once threw", err.name, err.code, "\"" + err.message + "\"");
    }
    return process::run();
}
