// Scenario unhandled_error_socket, the C++ twin of unhandled_error_socket.js (read that
// file's comment first).
#include "console.hpp"
#include "net.hpp"
#include "process.hpp"

#include <cstdlib>

using namespace kit;

int main(int argc, char** argv) {
    const int port = argc > 1 ? std::atoi(argv[1]) : 0;
    auto client = net::createConnection(port, "127.0.0.1");
    client->on("close", [](bool hadError) {
        console::log("client close", hadError ? "true" : "false", "(never printed)");
    });
    console::log("client connect() returned");
    return process::run();
}
