// Scenario tcp_enotfound, the C++ twin of tcp_enotfound.js (read that file's comment first).
#include "console.hpp"
#include "net.hpp"
#include "process.hpp"

#include <memory>
#include <string>

using namespace kit;

namespace {
std::string boolText(bool b) { return b ? "true" : "false"; }
} // namespace

int main() {
    auto client = net::createConnection(80, "nosuchhost.invalid");
    std::weak_ptr<net::Socket> weak = client;
    console::log("client connect() returned", "connecting=" + boolText(client->connecting()));
    client->on("connect", [] { console::log("client connect (unexpected)"); });
    client->on("ready", [] { console::log("client ready (unexpected)"); });
    client->on("data", [](const Buffer&) { console::log("client data (unexpected)"); });
    client->on("end", [] { console::log("client end (unexpected)"); });
    client->on("finish", [] { console::log("client finish (unexpected)"); });
    client->on("error", [](const Error& err) {
        console::log("client error", err.code, err.syscall, "errno=" + std::to_string(err.errnum));
        console::log("client error message", "\"" + err.message + "\"");
        console::log("client error", "hostname=" + err.hostname.value_or("undefined"),
                     "address=" + err.address.value_or("undefined"),
                     "port=" + (err.port ? std::to_string(*err.port) : std::string("undefined")));
    });
    client->on("close", [weak](bool hadError) {
        console::log("client close", boolText(hadError), "destroyed=" + boolText(weak.lock()->destroyed()));
    });
    return process::run();
}
