// Scenario tcp_connect_refused, the C++ twin of tcp_connect_refused.js (read that file's
// comment first).
#include "console.hpp"
#include "net.hpp"
#include "process.hpp"

#include <array>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>

using namespace kit;

namespace {

std::string boolText(bool b) { return b ? "true" : "false"; }

std::string withoutPort(std::string text, int port) {
    const std::string p = std::to_string(port);
    if (const auto at = text.rfind(p); at != std::string::npos) text.replace(at, p.size(), "PORT");
    return text;
}

const std::array<std::string, 3> kHosts{"127.0.0.1", "::1", "localhost"};

void next(std::size_t i, int port) {
    if (i == kHosts.size()) return;
    const std::string name = "client" + std::to_string(i + 1);
    auto client = net::createConnection(port, kHosts[i]);
    std::weak_ptr<net::Socket> weak = client;
    console::log(name, "connect() to", kHosts[i], "returned", "connecting=" + boolText(client->connecting()));
    client->on("connect", [name] { console::log(name, "connect (unexpected)"); });
    client->on("ready", [name] { console::log(name, "ready (unexpected)"); });
    client->on("data", [name](const Buffer&) { console::log(name, "data (unexpected)"); });
    client->on("end", [name] { console::log(name, "end (unexpected)"); });
    client->on("finish", [name] { console::log(name, "finish (unexpected)"); });
    client->on("error", [name, port](const Error& err) {
        // A field the error does not have prints as JavaScript prints it: undefined (the
        // AggregateError of 'localhost' where it is ::1 and 127.0.0.1 has only a code).
        const std::string syscall = err.syscall.empty() ? "undefined" : err.syscall;
        const std::string errnum = err.errnum == 0 ? "undefined" : std::to_string(err.errnum);
        const std::string portText = !err.port ? "undefined" : *err.port == port ? "PORT" : std::to_string(*err.port);
        console::log(name, "error", err.code, syscall, "errno=" + errnum);
        console::log(name, "error message", "\"" + withoutPort(err.message, port) + "\"");
        console::log(name, "error", "address=" + err.address.value_or("undefined"), "port=" + portText);
    });
    client->on("close", [name, weak, i, port](bool hadError) {
        auto c = weak.lock();
        console::log(name, "close", boolText(hadError), "connecting=" + boolText(c->connecting()),
                     "destroyed=" + boolText(c->destroyed()));
        next(i + 1, port);
    });
}

} // namespace

int main(int argc, char** argv) {
    const int port = argc > 1 ? std::atoi(argv[1]) : 0;
    next(0, port);
    return process::run();
}
