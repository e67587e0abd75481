// process.cpp: nextTick and the program's run-to-completion (see process.hpp).
#include "process.hpp"

#include "console.hpp"
#include "loop.hpp"
#include "trace.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <atomic>

namespace kit::process {

namespace {
// The exit code lives with the process, like the default loop: one per program.
std::atomic<int>& code() {
    static std::atomic<int> c{0};
    return c;
}
} // namespace

void nextTick(std::function<void()> fn) { Loop::getDefault().nextTick(std::move(fn)); }

int run() {
    Loop::getDefault().run();
    tracing::exit(code().load());  // KIT_TRACE=json: the last record
    return code().load();
}

void setExitCode(int c) { code().store(c); }

int exitCode() { return code().load(); }

void emitWarning(std::string message, std::string type) {
    // Node's process.emitWarning: the warning is written on the next tick, and the hint
    // about --trace-warnings follows only the first one (lib/internal/process/warning.js).
    Loop::getDefault().nextTick([message = std::move(message), type = std::move(type)] {
        static bool hintShown = false;  // process-wide, like Node's flag
        std::string text = fmt::format("(node:{}) {}: {}", ::getpid(), type, message);
        if (!hintShown) {
            hintShown = true;
            text += "\n(Use `node --trace-warnings ...` to show where the warning was created)";
        }
        console::error(text);
    });
}

} // namespace kit::process
