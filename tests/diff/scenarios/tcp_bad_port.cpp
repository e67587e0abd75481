// Scenario tcp_bad_port, the C++ twin of tcp_bad_port.js (read that file's comment first).
#include "console.hpp"
#include "net.hpp"
#include "process.hpp"

#include <string>

using namespace kit;

namespace {
std::string boolText(bool b) { return b ? "true" : "false"; }
} // namespace

int main() {
    for (const int port : {70000, 65536, -1, -61072}) {
        const std::string p = std::to_string(port);
        auto server = net::createServer();
        try {
            server->listen(port);
            console::log("server listen(" + p + ") returned listening=" + boolText(server->listening()));
        } catch (const Error& err) {
            console::log("server listen(" + p + ") threw", err.name, err.code, "\"" + err.message + "\"");
        }
        auto client = net::createSocket();
        try {
            client->connect(port, "127.0.0.1");
            console::log("client connect(" + p + ") returned connecting=" + boolText(client->connecting()));
        } catch (const Error& err) {
            console::log("client connect(" + p + ") threw", err.name, err.code, "\"" + err.message + "\"");
        }
    }
    return process::run();
}
