// bench/retain_slice.cpp: a server that keeps a 16-byte slice of a connection's first
// 'data' chunk and drops every later chunk (make bench, project issue 20, item 5).
// Its Node twin is retain_slice.js, line for line; the bench streams hundreds of MiB
// through both and compares their peak RSS. Before the fix, the slice kept every
// later chunk of the socket's ReadArena resident (768 MiB streamed, 771 MiB RSS).
//
// Usage: build/bench-bin/retain_slice --port N [--host 127.0.0.1]
#include "args.hpp"
#include "buffer.hpp"
#include "console.hpp"
#include "net.hpp"
#include "process.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

using namespace kit;

namespace {
std::string hex(const Buffer& b) {
    std::string out;
    for (const std::uint8_t byte : b.bytes()) out += fmt::format("{:02x}", byte);
    return out;
}
} // namespace

int main(int argc, char** argv) {
    const auto flags = args::parse(argc, argv, 8124);
    const int PORT = flags.port;
    const std::string HOST = flags.host.value_or("127.0.0.1");

    auto server = net::createServer([](const net::SocketPtr& conn) {
        console::log("conectado!");
        struct State {
            std::optional<Buffer> header;
            std::uint64_t total = 0;
        };
        auto state = std::make_shared<State>();
        conn->on("data", [state](const Buffer& data) {
            if (!state->header) state->header = data.subarray(0, 16);  // a view: it keeps its chunk's memory
            state->total += data.size();
        });
        // A weak reference, so the listener does not keep its own socket alive.
        conn->on("end", [state, weak = std::weak_ptr<net::Socket>(conn)] {
            console::log(fmt::format("recebidos {} bytes, cabecalho {}", state->total,
                                     state->header ? hex(*state->header) : std::string("-")));
            if (auto c = weak.lock()) c->end();
        });
    });
    server->listen(PORT, HOST, [PORT] { console::log("escutando porta " + std::to_string(PORT)); });
    return process::run();
}
