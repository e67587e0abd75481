// Scenario dgram_udp6, the C++ twin of dgram_udp6.js (read that file's comment first).
#include "console.hpp"
#include "dgram.hpp"
#include "process.hpp"

#include <deque>
#include <functional>
#include <memory>
#include <string>

using namespace kit;

namespace {

struct State {
    std::weak_ptr<dgram::Socket> server, c4, c6;
    int port = 0;
    std::deque<std::function<void()>> steps;
    void next() {
        auto step = std::move(steps.front());
        steps.pop_front();
        step();
    }
    std::string fix(std::string text) const {
        const std::string p = std::to_string(port);
        if (const auto at = text.rfind(p); at != std::string::npos) text.replace(at, p.size(), "PORT");
        return text;
    }
};

dgram::SendCallback reportSend(const std::shared_ptr<State>& st, const std::string& name, std::size_t size,
                               bool thenNext) {
    return [st, name, size, thenNext](const std::optional<Error>& err, std::size_t bytes) {
        const std::string prefix = name + " send " + std::to_string(size);
        if (err) console::log(prefix + " error", err->code, err->syscall, "message \"" + st->fix(err->message) + "\"");
        else console::log(prefix + " ok", "bytes=" + std::to_string(bytes));
        if (thenNext) st->next();
    };
}

} // namespace

int main() {
    auto server = dgram::createSocket("udp6");
    auto c4 = dgram::createSocket("udp4");
    auto c6 = dgram::createSocket("udp6");
    auto st = std::make_shared<State>();
    st->server = server;
    st->c4 = c4;
    st->c6 = c6;
    st->steps = {
        [st] { st->c4.lock()->send(Buffer::from("from udp4"), st->port, "127.0.0.1", reportSend(st, "c4", 9, false)); },
        [st] { st->c6.lock()->send(Buffer::from("from udp6"), st->port, "::1", reportSend(st, "c6", 9, false)); },
        [st] { st->c6.lock()->send(Buffer::from("x"), st->port, "127.0.0.1", reportSend(st, "c6", 1, true)); },
        [st] { st->c6.lock()->send(Buffer::alloc(65527), st->port, "::1", reportSend(st, "c6", 65527, false)); },
        [st] { st->c6.lock()->send(Buffer::alloc(65528), st->port, "::1", reportSend(st, "c6", 65528, true)); },
        [st] {
            st->c4.lock()->close();
            st->c6.lock()->close();
            st->server.lock()->close();
        },
    };
    server->on("message", [st](const Buffer& msg, const dgram::RemoteInfo& rinfo) {
        console::log("server message", msg.size(), "rinfo", rinfo.address, rinfo.family, "size=" + std::to_string(rinfo.size));
        st->next();
    });
    server->on("close", [] { console::log("server close"); });
    c4->on("close", [] { console::log("c4 close"); });
    c6->on("close", [] { console::log("c6 close"); });
    server->bind(0, [st] {
        const auto a = st->server.lock()->address();
        st->port = a.port;
        console::log("server listening", a.address, a.family);
        st->next();
    });
    return process::run();
}
