// Scenario tcp_write_to_gone_peer, the C++ twin of tcp_write_to_gone_peer.js (read that
// file's comment first).
#include "console.hpp"
#include "net.hpp"
#include "process.hpp"

#include <chrono>
#include <memory>
#include <string>

using namespace kit;

namespace {

std::string boolText(bool b) { return b ? "true" : "false"; }

// What the JavaScript twin keeps in module-level variables.
struct State {
    std::weak_ptr<net::Socket> conn, client;
    bool clientConnected = false;
};

void writeToGonePeer(const std::shared_ptr<State>& st) {
    auto conn = st->conn.lock();
    auto client = st->client.lock();
    if (!conn || !client || !st->clientConnected) return;
    conn->destroy();
    console::log("conn destroy() returned", "destroyed=" + boolText(conn->destroyed()));
    int writes = 0;
    bool ok = true;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (ok && std::chrono::steady_clock::now() < deadline) {
        ok = client->write(std::string_view("0123456789"));
        ++writes;
    }
    console::log("client write() returned " + boolText(ok) + ", first write succeeded: " + boolText(writes > 1));
}

} // namespace

int main() {
    auto st = std::make_shared<State>();
    auto server = net::createServer();
    std::weak_ptr<net::Server> weakServer = server;
    server->on("connection", [st, weakServer](const net::SocketPtr& c) {
        console::log("server connection");
        st->conn = c;
        c->on("error", [](const Error& err) { console::log("conn error", err.code, "(unexpected)"); });
        c->on("close", [](bool hadError) { console::log("conn close", boolText(hadError)); });
        weakServer.lock()->close([] { console::log("server close"); });
        writeToGonePeer(st);
    });
    server->listen(0, "127.0.0.1", [st, weakServer] {
        auto client = net::createConnection(weakServer.lock()->address().port, "127.0.0.1");
        st->client = client;
        client->on("connect", [st] {
            console::log("client connect");
            st->clientConnected = true;
            writeToGonePeer(st);
        });
        client->on("data", [](const Buffer& d) { console::log("client data", d.size(), "(unexpected)"); });
        client->on("end", [] { console::log("client end (unexpected)"); });
        client->on("error", [](const Error& err) {
            console::log("client error", err.code, err.syscall, "errno=" + std::to_string(err.errnum));
            console::log("client error message", "\"" + err.message + "\"");
        });
        client->on("close", [st](bool hadError) {
            console::log("client close", boolText(hadError), "destroyed=" + boolText(st->client.lock()->destroyed()));
        });
    });
    return process::run();
}
