// The C++ twin of listen_then_close.js (read that file's comment first).
#include "console.hpp"
#include "net.hpp"
#include "process.hpp"

using namespace kit;

int main() {
    auto server = net::createServer();
    server->on("listening", [] { console::log("server listening"); });
    server->on("close", [] { console::log("server close"); });
    server->listen(0, "127.0.0.1");
    server->close();
    return process::run();
}
