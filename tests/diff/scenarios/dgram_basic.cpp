// Scenario dgram_basic, the C++ twin of dgram_basic.js (read that file's comment first).
#include "console.hpp"
#include "dgram.hpp"
#include "process.hpp"

#include <memory>
#include <string>

using namespace kit;

namespace {
std::string boolText(bool b) { return b ? "true" : "false"; }
} // namespace

int main() {
    auto server = dgram::createSocket("udp4");
    auto client = dgram::createSocket("udp4");
    std::weak_ptr<dgram::Socket> weakServer = server, weakClient = client;

    server->on("listening", [weakServer, weakClient] {
        const auto a = weakServer.lock()->address();
        console::log("server listening", a.address, a.family, "port>0=" + boolText(a.port > 0));
        auto c = weakClient.lock();
        c->on("listening", [weakClient] {
            const auto ca = weakClient.lock()->address();
            console::log("client listening (implicit bind)", ca.address, ca.family, "port>0=" + boolText(ca.port > 0));
        });
        c->send(Buffer::from("hello"), a.port, "127.0.0.1", [](const std::optional<Error>& err, std::size_t bytes) {
            console::log("client send callback", "err=" + (err ? err->message : std::string("null")),
                         "bytes=" + std::to_string(bytes));
        });
        console::log("client send() returned");
    });
    server->on("message", [weakServer, weakClient](const Buffer& msg, const dgram::RemoteInfo& rinfo) {
        auto c = weakClient.lock();
        const bool fromClient = rinfo.port == c->address().port;
        console::log("server message", msg.size(), "\"" + msg.toString() + "\"");
        console::log("server rinfo", "address=" + rinfo.address, "family=" + rinfo.family,
                     "size=" + std::to_string(rinfo.size), "port=" + (fromClient ? std::string("CLIENT") : std::to_string(rinfo.port)));
        c->close([] { console::log("client close callback"); });
        weakServer.lock()->close();
        console::log("server and client close() returned");
    });
    server->on("close", [] { console::log("server close"); });
    client->on("close", [] { console::log("client close"); });
    server->on("error", [](const Error& err) { console::log("server error", err.code, "(unexpected)"); });
    server->bind(0, "127.0.0.1");
    console::log("server bind() returned");
    return process::run();
}
