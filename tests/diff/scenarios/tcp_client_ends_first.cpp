// Scenario tcp_client_ends_first, the C++ twin of tcp_client_ends_first.js (read that
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
            console::log("conn close", boolText(hadError), "bytesRead=" + std::to_string(weak.lock()->bytesRead()));
            weakServer.lock()->close();
        });
    });
    server->on("close", [] { console::log("server close"); });
    server->listen(0, "127.0.0.1", [weakServer] {
        console::log("server listening");
        auto client = net::createConnection(weakServer.lock()->address().port, "127.0.0.1");
        std::weak_ptr<net::Socket> weak = client;
        console::log("client connect() returned", "connecting=" + boolText(client->connecting()));
        client->on("connect", [weak] {
            auto c = weak.lock();
            console::log("client connect", "connecting=" + boolText(c->connecting()));
            const bool ok = c->write(std::string_view("0123456789"));
            console::log("client write() returned", boolText(ok));
            c->end();
        });
        client->on("ready", [] { console::log("client ready"); });
        client->on("data", [](const Buffer& d) { console::log("client data", d.size()); });
        client->on("end", [] { console::log("client end"); });
        client->on("finish", [] { console::log("client finish"); });
        client->on("error", [](const Error& err) { console::log("client error", err.code, err.syscall); });
        client->on("close", [weak](bool hadError) {
            console::log("client close", boolText(hadError), "destroyed=" + boolText(weak.lock()->destroyed()));
        });
    });
    return process::run();
}
