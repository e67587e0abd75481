// Exercise 00_parallel_limit (lesson 00): copy many files, at most K at a time.
//
// A small program on the kit. Edit this file in place, then:
//   make check-exercise E=00_parallel_limit
//
// The task: `parallel_copy --jobs K DIRECTORY FILE...` copies every FILE into
// DIRECTORY (same name, same bytes), with at most K copies in flight at any moment,
// and K of them in flight whenever K or more are still to do. Limit it yourself: a
// small work queue written with callbacks, on the one loop thread; no thread, lock or
// sleep of your own. Print "<file>: <n> bytes copied" as each copy ends, and at the
// end "copied <N> files, <M> failed"; a file that cannot be read prints its Node-style
// error and the others go on (exit status 1 then, 0 when all were copied).
// Done means: the check's sources are FIFOs, and it counts how many of them the program
// has open at once: exactly K (it varies K), never more, never fewer while files wait.
// Why limit at all? The pool has 4 threads (UV_THREADPOOL_SIZE): one slow file per
// thread and every other fs call, DNS lookup or crypto job of the program waits.
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
[[maybe_unused]] std::string baseName(const std::string& path) {
    const auto slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Copy one file (given, you need not change it): read it whole (a read stream: open(2) and read(2) on the thread pool),
// then fs::writeFile it (open(2), write(2) on the pool). `done` runs once, at the end,
// whatever happened.
[[maybe_unused]] void copyFile(const std::string& from, const std::string& to, std::function<void(bool ok)> done) {
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

    // TODO (exercise 00_parallel_limit): copy every file into `dir`, at most `jobs` at
    // a time. copyFile() above copies one file and tells you when it is done.
    (void)dir;
    int failed = 0;

    const int code = process::run();
    return failed > 0 ? 1 : code;
}
