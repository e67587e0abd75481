// Scenario tcp_utf8_split, the C++ twin of tcp_utf8_split.js (read that file's comment
// first).
#include "console.hpp"
#include "net.hpp"
#include "process.hpp"
#include "timers.hpp"

#include <fmt/format.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

using namespace kit;

namespace {

using Parts = std::vector<std::vector<std::uint8_t>>;

const std::vector<std::pair<std::string, Parts>> kCases{
    {"a", {{0x61, 0xe2, 0x82}, {0xac, 0x62}}},
    {"b", {{0xe2}, {0x82}, {0xac}}},
    {"c", {{0x78, 0xe2, 0x82}}},
    {"d", {{0xf0, 0x9f, 0x98}, {0x80}}},
    {"e", {{0xe2, 0x82, 0xac, 0xe2, 0x82, 0xac}}},
};

// The code points of a UTF-8 string (well formed: the decoder produced it), as
// "U+0061 U+20AC", like the JavaScript twin's Array.from(s) over the string.
std::string codePoints(const std::string& s) {
    std::string out;
    for (std::size_t i = 0; i < s.size();) {
        const auto b = static_cast<unsigned char>(s[i]);
        const std::size_t len = b < 0x80 ? 1 : b < 0xe0 ? 2 : b < 0xf0 ? 3 : 4;
        std::uint32_t cp = len == 1 ? b : len == 2 ? (b & 0x1fu) : len == 3 ? (b & 0x0fu) : (b & 0x07u);
        for (std::size_t k = 1; k < len && i + k < s.size(); ++k)
            cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3fu);
        out += fmt::format("{}U+{:04X}", out.empty() ? "" : " ", cp);
        i += len;
    }
    return out;
}

struct State {
    std::size_t current = 0;
    std::weak_ptr<net::Server> server;
    std::weak_ptr<net::Socket> client;
};

void runCase(const std::shared_ptr<State>& st) {
    auto server = st->server.lock();
    if (st->current == kCases.size()) {
        server->close();
        return;
    }
    const std::string name = "client" + kCases[st->current].first;
    auto client = net::createConnection(server->address().port, "127.0.0.1");
    st->client = client;
    client->setEncoding("utf8");
    client->on("data", [name](const std::string& s) { console::log(name, "data string", "[" + codePoints(s) + "]"); });
    client->on("end", [name] { console::log(name, "end"); });
    client->on("close", [st] {
        ++st->current;
        runCase(st);
    });
}

using Queue = std::deque<std::vector<std::uint8_t>>;

// Write the next part once the client has read everything sent so far.
void writeNext(const std::shared_ptr<State>& st, const std::shared_ptr<net::Socket>& conn,
               const std::shared_ptr<Queue>& parts, std::size_t sent) {
    auto again = [st, conn, parts](std::size_t total) {
        setTimeout([st, conn, parts, total] { writeNext(st, conn, parts, total); }, 5);
    };
    if (st->client.lock()->bytesRead() < sent) return again(sent);  // not read yet: wait
    if (parts->empty()) {
        conn->end();
        return;
    }
    sent += parts->front().size();
    conn->write(Buffer(std::move(parts->front())));
    parts->pop_front();
    again(sent);
}

} // namespace

int main() {
    auto st = std::make_shared<State>();
    auto server = net::createServer([st](const net::SocketPtr& conn) {
        const Parts& p = kCases[st->current].second;
        writeNext(st, conn, std::make_shared<Queue>(p.begin(), p.end()), 0);
    });
    st->server = server;
    server->listen(0, "127.0.0.1", [st] { runCase(st); });
    return process::run();
}
