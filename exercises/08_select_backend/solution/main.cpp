// Exercise 08_select_backend: the program the check runs on your backend (the same
// main.cpp in every variant; the file to write is poller_select.cpp).
//
// An echo server on the kit: every connection gets back what it sends, and the server
// prints one line per event. Nothing in it knows which backend the loop sleeps in:
// the factory at the end of poller_select.cpp gives the loop yours, and KIT_TRACE=1
// shows your `select([ ... ])` line on every turn. The check also builds a few of the
// differential scenarios (tests/diff/scenarios) with your poller_select.cpp and
// compares them with Node.
#include "args.hpp"
#include "buffer.hpp"
#include "console.hpp"
#include "net.hpp"
#include "process.hpp"

#include <string>

using namespace kit;

int main(int argc, char** argv) {
    const auto flags = args::parse(argc, argv, 8124);
    const int PORT = flags.port;

    auto server = net::createServer([](const net::SocketPtr& conn) {
        console::log("connection");
        conn->on("data", [c = conn.get()](const Buffer& data) { c->write(data); });  // echo: read(2), then write(2)
        conn->on("error", [](const Error& err) { console::log("error " + err.code); });
        conn->on("close", [] { console::log("close"); });
    });
    server->on("error", [](const Error& err) {
        console::error("server error " + err.code);  // EADDRINUSE, or your backend refused the socket
        process::setExitCode(1);
    });
    server->listen(PORT, "127.0.0.1");
    server->on("listening", [PORT] { console::log("listening on " + std::to_string(PORT)); });
    return process::run();
}
