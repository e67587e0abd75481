// Exercise 00_parallel_limit (lesson 00), reference solution.
//
// A work queue written with callbacks: no thread of its own, no lock. startMore() starts
// copies while fewer than `jobs` are running and files are waiting; each copy, when it
// has finished (written, or failed), calls startMore() again from its callback. Every
// callback runs on the one loop thread, so `running` and `waiting` need no lock. Node
// programs do the same with fs callbacks (or with a library such as p-limit). Changes
// from the starter are marked "Exercise". Check it with:
//   make check-exercise E=00_parallel_limit SOLUTION=1
#include "console.hpp"
#include "fs.hpp"
#include "process.hpp"

#include <charconv>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

using namespace kit;

namespace {

// The part of a path after its last '/': the copy's name inside the directory.
std::string baseName(const std::string& path) {
    const auto slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Copy one file: read it whole (a read stream: open(2) and read(2) on the thread pool),
// then fs::writeFile it (open(2), write(2) on the pool). `done` runs once, at the end,
// whatever happened.
void copyFile(const std::string& from, const std::string& to, std::function<void(bool ok)> done) {
    auto stream = fs::createReadStream(from);
    auto chunks = std::make_shared<std::vector<Buffer>>();
    auto failed = std::make_shared<bool>(false);
    stream->on("data", [chunks](const Buffer& chunk) { chunks->push_back(chunk); });
    stream->on("error", [failed](const Error& err) {
        console::error(err);
        *failed = true;
    });
    stream->on("close", [stream, chunks, failed, from, to, done] {
        stream->removeAllListeners();  // breaks the cycle through `stream`
        if (*failed) return done(false);
        Buffer data = Buffer::concat(std::move(*chunks));
        const std::size_t size = data.size();
        fs::writeFile(to, std::move(data), [from, size, done](const std::optional<Error>& err) {
            if (err) {
                console::error(*err);
                return done(false);
            }
            console::log(from + ": " + std::to_string(size) + " bytes copied");
            done(true);
        });
    });
}

} // namespace

int main(int argc, char** argv) {
    const std::vector<std::string> args(argv + 1, argv + argc);
    int jobs = 0;
    if (args.size() >= 4 && args[0] == "--jobs") {
        const auto& k = args[1];
        const auto [end, ec] = std::from_chars(k.data(), k.data() + k.size(), jobs);
        if (ec != std::errc() || end != k.data() + k.size()) jobs = 0;
    }
    if (jobs < 1) {
        console::error("usage: parallel_copy --jobs K DIRECTORY FILE...   (K >= 1)");
        return 2;
    }
    const std::string dir = args[2];

    // Exercise 00_parallel_limit: the queue. `waiting` holds the files not started yet,
    // `running` counts the copies in flight; nothing else is shared.
    std::deque<std::string> waiting(args.begin() + 3, args.end());
    int running = 0, copied = 0, failed = 0;
    std::function<void()> startMore = [&] {
        while (running < jobs && !waiting.empty()) {
            const std::string from = waiting.front();
            waiting.pop_front();
            ++running;
            copyFile(from, dir + "/" + baseName(from), [&](bool ok) {
                --running;
                ++(ok ? copied : failed);
                startMore();  // a place is free: the next file, if any
                if (running == 0 && waiting.empty())
                    console::log("copied " + std::to_string(copied) + " files, " + std::to_string(failed) + " failed");
            });
        }
    };
    startMore();

    const int code = process::run();
    return failed > 0 ? 1 : code;
}
