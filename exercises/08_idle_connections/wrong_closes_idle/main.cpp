// Exercise 08_idle_connections (lesson 08), a wrong solution (does not keep the idle connections): N idle connections and
// one busy one, to see what epoll_wait(2) and poll(2) are given on each turn.
//
//   KIT_POLLER=epoll KIT_TRACE=1 build/exercises/08_idle_connections/solution --port P --count N
//
// Opens N connections to the server on 127.0.0.1:P that send nothing (idle), plus one
// more, the active one. Once all N + 1 are connected it prints `connected N`, sends
// `ping` on the active one, prints the server's answer (`reply TEXT`), and ends every
// connection. In the trace, the turn that brings the answer shows N + 1 descriptors
// watched (poll: the whole array handed to the kernel; epoll: the set the kernel
// already holds) and one ready.
#include "buffer.hpp"
#include "console.hpp"
#include "net.hpp"
#include "process.hpp"

#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

using namespace kit;

int main(int argc, char** argv) {
    int port = 8124;
    int count = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (std::strcmp(argv[i], "--port") == 0) port = std::atoi(argv[i + 1]);
        if (std::strcmp(argv[i], "--count") == 0) count = std::atoi(argv[i + 1]);
    }

    std::vector<net::SocketPtr> idle;
    int connected = 0;
    net::SocketPtr active;

    // Every connection counts itself once connect(2) completes; the last one to do so
    // starts the ping, whichever it is.
    auto onConnect = [&] {
        if (++connected < count + 1) return;
        console::log("connected " + std::to_string(count));
        active->write("ping\n");
    };
    // WRONG: each idle connection is ended as soon as it connects: never N at once.
    for (int i = 0; i < count; ++i) {
        auto s = net::createConnection(port, "127.0.0.1");
        s->on("connect", [&, s] {
            s->end();
            onConnect();
        });
        idle.push_back(s);
    }
    active = net::createConnection(port, "127.0.0.1", onConnect);

    auto reply = std::make_shared<std::string>();
    active->on("data", [&, reply](const Buffer& data) {
        reply->append(reinterpret_cast<const char*>(data.bytes().data()), data.size());
        const auto nl = reply->find('\n');
        if (nl == std::string::npos) return;
        console::log("reply " + reply->substr(0, nl));
        for (auto& s : idle) s->end();  // the idle ones too, or the loop never ends
        active->end();
    });
    active->on("error", [](const Error& err) { console::error("error " + err.code); });
    return process::run();
}
