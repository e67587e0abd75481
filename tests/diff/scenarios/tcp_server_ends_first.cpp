// Scenario tcp_server_ends_first, the C++ twin of tcp_server_ends_first.js (read that
// file's comment first).
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
    std::shared_ptr<net::Server> server = net::createServer();
    std::weak_ptr<net::Server> weakServer = server;
    server->on("connection", [weakServer](const net::SocketPtr& conn) {
        console::log("server connection");
        std::weak_ptr<net::Socket> weak = conn;
        conn->on("data", [](const Buffer& d) { console::log("conn data", d.size()); });
        conn->on("end", [] { console::log("conn end"); });
        conn->on("finish", [] { console::log("conn finish"); });
        conn->on("error", [](const Error& err) { console::log("conn error", err.code, err.syscall); });
        conn->on("close", [weak, weakServer](bool hadError) {
            console::log("conn close", boolText(hadError), "bytesWritten=" + std::to_string(weak.lock()->bytesWritten()));
            weakServer.lock()->close();
        });
        const bool ok = conn->write(std::string_view("0123456789"));
        console::log("conn write() returned", boolText(ok));
        conn->end();
    });
    server->on("close", [] { console::log("server close"); });
    server->listen(0, "127.0.0.1", [weakServer] {
        console::log("server listening");
        auto client = net::createConnection(weakServer.lock()->address().port, "127.0.0.1");
        std::weak_ptr<net::Socket> weak = client;
        client->on("connect", [] { console::log("client connect"); });
        client->on("ready", [] { console::log("client ready"); });
        client->on("data", [](const Buffer& d) { console::log("client data", d.size()); });
        client->on("end", [] { console::log("client end"); });
        client->on("finish", [] { console::log("client finish"); });
        client->on("error", [](const Error& err) { console::log("client error", err.code, err.syscall); });
        client->on("close", [weak](bool hadError) {
            console::log("client close", boolText(hadError), "bytesRead=" + std::to_string(weak.lock()->bytesRead()));
        });
    });
    return process::run();
}
