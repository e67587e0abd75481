// runtime.hpp: what every generated C++ program of the randomized differential test
// shares (tests/diff/fuzz/gen.js emits the programs, run.js puts a batch of them in one
// translation unit after this header). It is the C++ twin of JS_RUNTIME in gen.js:
// read that first. Not a library header: it is included once, by one generated file.
#pragma once
#include "buffer.hpp"
#include "console.hpp"
#include "dgram.hpp"
#include "errors.hpp"
#include "net.hpp"
#include "process.hpp"
#include "timers.hpp"

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace fuzz {

using namespace kit;
using Done = std::function<void()>;

inline void L(const std::string& line) { console::log(line); }

// A field JavaScript would print as undefined.
inline std::string orUndefined(const std::string& s) { return s.empty() ? "undefined" : s; }

// The handles a timers episode may clear (weak: a handle that has run and been released
// is a no-op to clear, as clearTimeout on a fired timer is in Node).
struct Handles {
    std::map<std::string, std::weak_ptr<Timeout>> t;
    std::map<std::string, std::weak_ptr<Immediate>> i;
};

// Episode k+1 starts in a setTimeout(1) callback once episode k calls its done().
using Episode = void (*)(Done, int);
inline void runFrom(const std::vector<Episode>& episodes, std::size_t i, int deadPort) {
    if (i >= episodes.size()) return;
    setTimeout(
        [&episodes, i, deadPort] {
            auto called = std::make_shared<bool>(false);
            episodes[i](
                [&episodes, i, deadPort, called] {
                    if (*called) return;
                    *called = true;
                    runFrom(episodes, i + 1, deadPort);
                },
                deadPort);
        },
        1);
}

struct Turn {
    std::vector<int> writes;
    int pause = 0;
};

// A second listener on 'end', 'finish' or 'close' (gen.js's extras()).
struct Extra {
    std::string side;  // "c" or "s"
    std::string ev;
    bool once = false;
    bool removed = false;      // off() right after on()
    bool removesNext = false;  // removes the listener after it during the emit
};

using Reactions = std::map<std::string, std::string>;  // event -> tick, imm or both

struct NetSpec {
    int clients = 1;
    std::string first;  // "c" or "s": who acts turn 0
    std::vector<Turn> turns;
    std::string last;   // end, endData, destroy, reset, destroyOnConnect, connectTwice
    int lastN = 0;
    std::string serverClose;  // afterAccept, afterConns
    Reactions srv, c, s;
    std::vector<Extra> extras;
};

// A reaction to event ev of obj: a tick printing in obj, an immediate printing in obj~i.
inline void react(const Reactions& r, const std::string& obj, const std::string& ev) {
    const auto it = r.find(ev);
    if (it == r.end()) return;
    if (it->second == "tick" || it->second == "both") process::nextTick([obj, ev] { L(obj + " tick:" + ev); });
    if (it->second == "imm" || it->second == "both") setImmediate([obj, ev] { L(obj + "~i imm:" + ev); });
}

// sock.on(ev, f) / sock.once(ev, f) for the events an Extra may name.
inline ListenerId addListener(net::Socket& sock, const std::string& ev, bool once, std::function<void()> f) {
    if (ev == "end") return once ? sock.once("end", [f] { f(); }) : sock.on("end", [f] { f(); });
    if (ev == "finish") return once ? sock.once("finish", [f] { f(); }) : sock.on("finish", [f] { f(); });
    return once ? sock.once("close", [f] { f(); }) : sock.on("close", [f] { f(); });
}

// NetEpisode: the C++ twin of gen.js's JS NetEpisode (same names, same steps).
class NetEpisode : public std::enable_shared_from_this<NetEpisode> {
public:
    NetEpisode(std::string e, NetSpec spec, Done done)
        : e_(std::move(e)), spec_(std::move(spec)), done_(std::move(done)), open_(2 * spec_.clients) {}

    std::weak_ptr<net::Server> srv;  // weak: the server's listeners hold this episode

    void start() {
        auto self = shared_from_this();
        auto server = net::createServer();
        srv = server;
        const std::string e = e_;
        auto srvLine = [self, e](const std::string& ev) {
            L(e + ".srv " + ev);
            react(self->spec_.srv, e + ".srv", ev);
        };
        server->on("error", [e](const Error& err) { L(e + ".srv error " + err.code); });
        server->on("close", [self, srvLine] {
            srvLine("close");
            self->serverClosed();
        });
        server->on("connection", [self, srvLine](const net::SocketPtr& sock) {
            const std::string name = self->accepted();
            srvLine("connection");
            self->wire("s", sock, name);
            self->afterAccept(sock, name);
        });
        server->listen(0, "127.0.0.1", [self, srvLine, e] {
            srvLine("listening");
            for (int i = 1; i <= self->spec_.clients; i++) {
                const std::string name = e + ".c" + std::to_string(i);
                auto sock = net::createConnection(self->port(), "127.0.0.1");
                self->wire("c", sock, name);
                self->afterConnectCall(sock, name);
            }
        });
    }

    // the listeners of one socket: its events, the turns, reactions, extra listeners
    void wire(const std::string& side, const net::SocketPtr& sock, const std::string& name) {
        auto self = shared_from_this();
        std::weak_ptr<net::Socket> w = sock;
        const Reactions& R = side == "c" ? spec_.c : spec_.s;
        auto line = [self, name, &R](const std::string& ev, const std::string& text) {
            L(name + " " + text);
            react(R, name, ev);
        };
        if (side == "c") {
            sock->on("connect", [line] { line("connect", "connect"); });
            sock->on("ready", [line] { line("ready", "ready"); });
        }
        sock->on("end", [self, line, name] { line("end", "end +" + std::to_string(self->leftover(name))); });
        sock->on("finish", [line] { line("finish", "finish"); });
        sock->on("error", [line](const Error& err) { line("error", "error " + err.code + " " + orUndefined(err.syscall)); });
        sock->on("close", [self, line, side](bool hadError) {
            line("close", std::string("close ") + (hadError ? "true" : "false"));
            self->closed(side);
        });
        sock->on("data", [self, line, side, name, w](const Buffer& d) {
            const long t = self->received(side, name, d.size());
            if (t >= 0) {
                line("got", "got " + std::to_string(t));
                self->turnDone(side, w.lock(), name);
            }
        });
        for (std::size_t i = 0; i < spec_.extras.size(); i++) {
            const Extra& x = spec_.extras[i];
            if (x.side != side) continue;
            const std::string label = name + " x" + std::to_string(i) + ":" + x.ev;
            if (x.removesNext) {
                auto victim = std::make_shared<ListenerId>(0);
                addListener(*sock, x.ev, x.once, [label, w, victim] {
                    L(label + ":remover");
                    if (auto s = w.lock()) s->off(*victim);
                });
                *victim = addListener(*sock, x.ev, x.once, [label] { L(label + ":victim"); });
            } else {
                const ListenerId id = addListener(*sock, x.ev, x.once, [label] { L(label); });
                if (x.removed) sock->off(id);
            }
        }
    }

    int port() const {
        auto s = srv.lock();
        return s ? s->address().port : 0;
    }
    std::string accepted() { return e_ + ".s" + std::to_string(++nAccepted_); }
    std::string actorOf(std::size_t j) const {
        return j % 2 == 0 ? spec_.first : (spec_.first == "c" ? "s" : "c");
    }
    long expected(std::size_t j) const {
        long n = 0;
        for (int w : spec_.turns[j].writes) n += w;
        return n;
    }
    long leftover(const std::string& name) { return counts_[name]; }

    long received(const std::string& side, const std::string& name, std::size_t n) {
        const std::size_t j = static_cast<std::size_t>(turnOf_[name]);
        const long c = (counts_[name] += static_cast<long>(n));
        if (j < spec_.turns.size() && actorOf(j) != side && c == expected(j)) {
            counts_[name] = 0;
            return c;
        }
        return -1;
    }

    void turnDone(const std::string& side, const net::SocketPtr& sock, const std::string& name) {
        act(side, sock, name, static_cast<std::size_t>(turnOf_[name]) + 1);
    }

    void act(const std::string& side, const net::SocketPtr& sock, const std::string& name, std::size_t j) {
        (void)side;
        turnOf_[name] = static_cast<int>(j + 1);
        if (!sock) return;
        if (j < spec_.turns.size()) {
            const Turn& t = spec_.turns[j];
            for (int n : t.writes) sock->write(Buffer::from(std::string(static_cast<std::size_t>(n), 'x')));
            L(name + " wrote " + std::to_string(expected(j)));
            if (t.pause) {
                sock->pause();
                L(name + "~p pause");
                std::weak_ptr<net::Socket> w = sock;
                setTimeout(
                    [w, name] {
                        L(name + "~p resume");
                        if (auto s = w.lock()) s->resume();
                    },
                    t.pause);
            }
            return;
        }
        L(name + " last " + spec_.last);
        if (spec_.last == "end") sock->end();
        else if (spec_.last == "endData") sock->end(Buffer::from(std::string(static_cast<std::size_t>(spec_.lastN), 'x')));
        else if (spec_.last == "destroy" || spec_.last == "destroyOnConnect") sock->destroy();
        else if (spec_.last == "reset") sock->resetAndDestroy();
    }

    void afterConnectCall(const net::SocketPtr& sock, const std::string& name) {
        turnOf_[name] = 0;
        if (spec_.last == "connectTwice" && spec_.turns.empty()) {
            try {
                sock->connect(port(), "127.0.0.1");
                L(name + " connect twice no-throw");
            } catch (const Error& e) {
                L(name + " connect twice threw " + e.code);
            }
            return;
        }
        if (actorOf(0) == "c") {
            auto self = shared_from_this();
            std::weak_ptr<net::Socket> w = sock;
            sock->once("connect", [self, w, name] { self->act("c", w.lock(), name, 0); });
        }
    }

    void afterAccept(const net::SocketPtr& sock, const std::string& name) {
        turnOf_[name] = 0;
        if (spec_.serverClose == "afterAccept" && nAccepted_ == spec_.clients) {
            L(e_ + ".srv close()");
            if (auto s = srv.lock()) s->close();
        }
        if (actorOf(0) == "s") act("s", sock, name, 0);
    }

    void closed(const std::string& side) {
        --open_;
        if (side == "s") ++sClosed_;
        if (spec_.serverClose == "afterConns" && side == "s" && sClosed_ == nAccepted_ &&
            nAccepted_ == spec_.clients) {
            L(e_ + ".srv close()");
            if (auto s = srv.lock()) s->close();
        }
        maybeDone();
    }

    void serverClosed() {
        srvClosed_ = true;
        maybeDone();
    }

private:
    void maybeDone() {
        if (srvClosed_ && open_ <= 0 && !doneCalled_) {
            doneCalled_ = true;
            done_();
        }
    }

    std::string e_;
    NetSpec spec_;
    Done done_;
    bool doneCalled_ = false;
    int open_;
    int nAccepted_ = 0;
    int sClosed_ = 0;
    bool srvClosed_ = false;
    std::map<std::string, long> counts_;
    std::map<std::string, int> turnOf_;
};

}  // namespace fuzz
