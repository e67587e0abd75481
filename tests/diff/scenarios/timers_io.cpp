// Scenario timers_io, the C++ twin of timers_io.js (read that file's comment first).
#include "console.hpp"
#include "fs.hpp"
#include "net.hpp"
#include "process.hpp"
#include "timers.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>

using namespace kit;

namespace {

void scheduleAll(const std::string& name, std::function<void()> next) {
    setTimeout(
        [name, next] {
            console::log(name + ": setTimeout 0");
            next();
        },
        0);
    setImmediate([name] { console::log(name + ": setImmediate"); });
    process::nextTick([name] { console::log(name + ": nextTick"); });
    console::log(name + ": callback");
}

// os.tmpdir(): $TMPDIR, else /tmp.
std::string tmpdir() {
    const char* dir = std::getenv("TMPDIR");
    return dir && *dir ? dir : "/tmp";
}

} // namespace

int main() {
    const std::string file = tmpdir() + "/kit-diff-timers-" + std::to_string(::getpid()) + ".txt";
    fs::writeFile(file, Buffer::from("x"), [file](const std::optional<Error>& err) {
        if (err) throw *err;
        scheduleAll("writeFile", [file] {
            std::remove(file.c_str());
            auto server = net::createServer();
            std::weak_ptr<net::Server> weakServer = server;
            auto client = std::make_shared<std::weak_ptr<net::Socket>>();
            server->on("connection", [weakServer, client](const net::SocketPtr& conn) {
                std::weak_ptr<net::Socket> weakConn = conn;
                scheduleAll("connection", [weakServer, weakConn, client] {
                    weakConn.lock()->on("data", [weakServer, weakConn](const Buffer&) {
                        scheduleAll("data", [weakServer, weakConn] {
                            if (auto c = weakConn.lock()) c->destroy();
                            weakServer.lock()->close();
                        });
                    });
                    client->lock()->end(Buffer::from("hello"));
                });
            });
            server->listen(0, "127.0.0.1", [weakServer, client] {
                *client = net::createConnection(weakServer.lock()->address().port, "127.0.0.1");
            });
        });
    });
    return process::run();
}
