// Exercise 07.1 (solution): a TFTP server with nothing to serve says why, per mode.
//
// It answers every read request (RRQ) with ERROR 1 "File not found: NAME". Your task
// (exercises/README.md, 07.1): look at the request's MODE too, as lesson 07's server
// does (lessons/07_tftp/server.cpp, onRequest):
//   - "netascii", in any case ("NetASCII" too: RFC 1350 says modes are
//     case-insensitive): ERROR 0, a message that names the mode as it was sent and
//     tells the user to ask for octet;
//   - "octet", in any case: ERROR 1 "File not found: NAME", as now;
//   - any other mode: ERROR 4 (illegal operation), a message naming that mode.
// Run: build/exercises/07_netascii/starter --port 16969
// Try: tftp 127.0.0.1 16969 -c get x   (tftp-hpa asks netascii unless -m binary)
#include "args.hpp"
#include "buffer.hpp"
#include "console.hpp"
#include "dgram.hpp"
#include "process.hpp"

#include <cstdint>
#include <string>
#include <vector>

using namespace kit;

// ERROR = opcode 5, a 2-byte code, the message, a NUL byte (RFC 1350 section 5).
static Buffer errorPacket(std::uint16_t code, const std::string& message) {
    std::vector<std::uint8_t> b{0, 5, static_cast<std::uint8_t>(code >> 8), static_cast<std::uint8_t>(code & 0xff)};
    b.insert(b.end(), message.begin(), message.end());
    b.push_back(0);
    return Buffer(std::move(b));
}

int main(int argc, char** argv) {
    const auto flags = args::parse(argc, argv, 6969);
    auto server = dgram::createSocket("udp4");
    server->on("message", [server](const Buffer& msg, const dgram::RemoteInfo& rinfo) {
        // RRQ = 0 1, filename, NUL, mode, NUL. Anything else: ERROR 4.
        const std::string text(reinterpret_cast<const char*>(msg.data()), msg.size());
        const auto nul1 = text.find('\0', 2);
        const auto nul2 = nul1 == std::string::npos ? nul1 : text.find('\0', nul1 + 1);
        if (msg.size() < 2 || msg.data()[0] != 0 || msg.data()[1] != 1 || nul2 == std::string::npos) {
            server->send(errorPacket(4, "Illegal TFTP operation"), rinfo.port, rinfo.address);
            return;
        }
        const std::string filename = text.substr(2, nul1 - 2);
        const std::string mode = text.substr(nul1 + 1, nul2 - nul1 - 1);
        // Wrong on purpose: compares the mode as sent, so "NETASCII" is an unknown mode.
        if (mode == "netascii")
            server->send(errorPacket(0, "mode " + mode + " is not supported: use octet (tftp -m binary)"), rinfo.port, rinfo.address);
        else if (mode == "octet")
            server->send(errorPacket(1, "File not found: " + filename), rinfo.port, rinfo.address);
        else
            server->send(errorPacket(4, "unknown mode " + mode + ": use octet"), rinfo.port, rinfo.address);
    });
    server->on("listening", [server] { console::log("listening on " + std::to_string(server->address().port)); });
    server->bind(flags.port, flags.host.value_or("127.0.0.1"));
    return process::run();
}
