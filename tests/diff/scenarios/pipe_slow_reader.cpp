// Scenario pipe_slow_reader, the C++ twin of pipe_slow_reader.js (read that file's
// comment first).
#include "console.hpp"
#include "fs.hpp"
#include "net.hpp"
#include "process.hpp"
#include "timers.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <vector>

using namespace kit;

namespace {

constexpr std::size_t kSize = 8 * 1024 * 1024;

std::string boolText(bool b) { return b ? "true" : "false"; }

// os.tmpdir(): $TMPDIR, else /tmp.
std::string tmpdir() {
    const char* dir = std::getenv("TMPDIR");
    return dir && *dir ? dir : "/tmp";
}

struct State {
    std::string file;
    bool streamEnded = false;
    std::weak_ptr<net::Server> server;
    std::function<void()> resumeReader;
};

} // namespace

int main() {
    auto st = std::make_shared<State>();
    st->file = tmpdir() + "/kit-diff-pipe-" + std::to_string(::getpid()) + ".bin";
    {
        const std::vector<char> bytes(kSize, 'a');
        std::ofstream(st->file, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    }

    auto server = net::createServer([st](const net::SocketPtr& conn) {
        auto received = std::make_shared<std::size_t>(0);
        conn->pause();
        console::log("conn paused");
        std::weak_ptr<net::Socket> weakConn = conn;
        st->resumeReader = [st, weakConn] {
            console::log("conn resume()", "streamEnded=" + boolText(st->streamEnded));
            weakConn.lock()->resume();
        };
        conn->on("data", [received](const Buffer& d) { *received += d.size(); });
        conn->on("end", [st, received] {
            console::log("conn end", "received=" + std::to_string(*received), "all=" + boolText(*received == kSize));
            st->server.lock()->close();
        });
        conn->on("close", [](bool hadError) { console::log("conn close", boolText(hadError)); });
    });
    st->server = server;

    server->listen(0, "127.0.0.1", [st] {
        auto client = net::createConnection(st->server.lock()->address().port, "127.0.0.1");
        std::weak_ptr<net::Socket> weakClient = client;
        client->on("connect", [st, weakClient] {
            auto c = weakClient.lock();
            console::log("client connect");
            auto stream = fs::createReadStream(st->file);
            std::weak_ptr<fs::ReadStream> weakStream = stream;
            auto chunks = std::make_shared<int>(0);
            auto drains = std::make_shared<int>(0);
            auto pausedAtEveryDrain = std::make_shared<bool>(true);
            stream->on("open", [](int) { console::log("stream open"); });
            stream->on("data", [chunks](const Buffer& d) {
                ++*chunks;
                if (d.size() != 65536) console::log("stream data", d.size());
            });
            stream->on("end", [st, chunks] {
                st->streamEnded = true;
                console::log("stream end", "chunks=" + std::to_string(*chunks));
            });
            stream->on("close", [st] {
                console::log("stream close");
                std::remove(st->file.c_str());
            });
            c->on("drain", [weakStream, drains, pausedAtEveryDrain] {
                ++*drains;
                auto s = weakStream.lock();
                if (!s || !s->isPaused()) *pausedAtEveryDrain = false;
            });
            c->on("finish", [drains, pausedAtEveryDrain] {
                console::log("client finish", "drained=" + boolText(*drains > 0),
                             "pausedAtEveryDrain=" + boolText(*pausedAtEveryDrain));
            });
            stream->pipe(c);
            auto watch = std::make_shared<std::shared_ptr<Timeout>>();
            *watch = setInterval(
                [st, weakStream, weakClient, watch] {
                    auto s = weakStream.lock();
                    if (!s || !s->isPaused() || !st->resumeReader) return;
                    clearInterval(*watch);
                    watch->reset();  // break the cycle the lambda and the timer form
                    console::log("stream paused by pipe()",
                                 "writableLength>0=" + boolText(weakClient.lock()->writableLength() > 0));
                    auto resume = std::move(st->resumeReader);
                    resume();
                },
                5);
        });
        client->on("end", [] { console::log("client end"); });
        client->on("close", [weakClient](bool hadError) {
            console::log("client close", boolText(hadError),
                         "bytesWritten=" + std::to_string(weakClient.lock()->bytesWritten()));
        });
    });
    return process::run();
}
