// Scenario tcp_server_close_with_open_connection, the C++ twin of
// tcp_server_close_with_open_connection.js (read that file's comment first).
#include "console.hpp"
#include "net.hpp"
#include "process.hpp"

#include <memory>
#include <string>

using namespace kit;

namespace {

std::string boolText(bool b) { return b ? "true" : "false"; }

// What the JavaScript twin keeps in module-level variables.
struct State {
    bool connClosed = false;
    std::weak_ptr<net::Socket> conn, client1;
    int port = 0;
};

} // namespace

int main() {
    auto st = std::make_shared<State>();
    auto server = net::createServer();
    std::weak_ptr<net::Server> weakServer = server;
    server->on("connection", [st, weakServer](const net::SocketPtr& conn) {
        st->conn = conn;
        console::log("server connection");
        auto s = weakServer.lock();
        s->close([st] {
            console::log("server close", "conn.destroyed=" + boolText(st->conn.lock()->destroyed()),
                         "connClosed=" + boolText(st->connClosed));
        });
        console::log("server close() returned", "listening=" + boolText(s->listening()));
        conn->on("data", [](const Buffer& d) { console::log("conn data", d.size()); });
        conn->on("end", [] { console::log("conn end"); });
        conn->on("finish", [] { console::log("conn finish"); });
        conn->on("close", [st](bool hadError) {
            st->connClosed = true;
            console::log("conn close", boolText(hadError));
        });
        // A second client: the listening socket is gone, so it is refused.
        auto client2 = net::createConnection(st->port, "127.0.0.1");
        client2->on("error", [](const Error& err) { console::log("client2 error", err.code, err.syscall); });
        client2->on("close", [st](bool hadError) {
            console::log("client2 close", boolText(hadError));
            st->client1.lock()->end(Buffer::from("0123456789"));
        });
    });
    server->listen(0, "127.0.0.1", [st, weakServer] {
        st->port = weakServer.lock()->address().port;
        console::log("server listening");
        auto client1 = net::createConnection(st->port, "127.0.0.1", [] { console::log("client1 connect"); });
        st->client1 = client1;
        client1->on("end", [] { console::log("client1 end"); });
        client1->on("finish", [] { console::log("client1 finish"); });
        client1->on("close", [](bool hadError) { console::log("client1 close", boolText(hadError)); });
    });
    return process::run();
}
