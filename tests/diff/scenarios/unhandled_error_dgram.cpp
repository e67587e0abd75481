// Scenario unhandled_error_dgram, the C++ twin of unhandled_error_dgram.js (read that
// file's comment first).
#include "console.hpp"
#include "dgram.hpp"
#include "process.hpp"

#include <cstdlib>

using namespace kit;

int main(int argc, char** argv) {
    const int port = argc > 1 ? std::atoi(argv[1]) : 0;
    auto holder = dgram::createSocket("udp4");
    holder->bind(port, [port] {
        console::log("holder listening");
        auto second = dgram::createSocket("udp4");
        second->on("listening", [] { console::log("second listening (unexpected)"); });
        second->on("close", [] { console::log("second close (never printed)"); });
        second->bind(port);
        console::log("second bind() returned");
    });
    return process::run();
}
