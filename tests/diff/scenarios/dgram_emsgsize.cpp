// Scenario dgram_emsgsize, the C++ twin of dgram_emsgsize.js (read that file's comment
// first).
#include "console.hpp"
#include "dgram.hpp"
#include "process.hpp"

#include <functional>
#include <memory>
#include <string>

using namespace kit;

namespace {

std::string withoutPort(std::string text, int port) {
    const std::string p = std::to_string(port);
    if (const auto at = text.rfind(p); at != std::string::npos) text.replace(at, p.size(), "PORT");
    return text;
}

void send(const std::shared_ptr<dgram::Socket>& client, std::size_t size, int port, std::function<void()> next) {
    const std::string s = std::to_string(size);
    client->send(Buffer::alloc(size), 0, size, port, "127.0.0.1",
                 [s, port, next](const std::optional<Error>& err, std::size_t bytes) {
                     if (err) {
                         // Node passes no byte count with an error: `bytes` is undefined.
                         console::log("client send " + s + " error", err->code, err->syscall,
                                      "errno=" + std::to_string(err->errnum), "bytes=undefined");
                         console::log("client send " + s + " error message", "\"" + withoutPort(err->message, port) + "\"");
                         console::log("client send " + s + " error", "address=" + err->address.value_or("undefined"),
                                      "port=" + (err->port == port ? std::string("PORT") : std::to_string(err->port.value_or(0))));
                     } else {
                         console::log("client send " + s + " ok", "bytes=" + std::to_string(bytes));
                     }
                     if (next) next();
                 });
}

} // namespace

int main() {
    auto server = dgram::createSocket("udp4");
    auto client = dgram::createSocket("udp4");
    std::weak_ptr<dgram::Socket> weakServer = server, weakClient = client;
    server->on("message", [weakServer, weakClient](const Buffer& msg, const dgram::RemoteInfo& rinfo) {
        console::log("server message", msg.size(), "rinfo.size=" + std::to_string(rinfo.size));
        weakClient.lock()->close();
        weakServer.lock()->close();
    });
    server->on("close", [] { console::log("server close"); });
    client->on("close", [] { console::log("client close"); });
    server->bind(0, "127.0.0.1", [weakServer, weakClient] {
        const int port = weakServer.lock()->address().port;
        console::log("server listening");
        send(weakClient.lock(), 65508, port, [weakClient, port] { send(weakClient.lock(), 65507, port, {}); });
    });
    return process::run();
}
