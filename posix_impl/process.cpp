// process.cpp: nextTick and the program's run-to-completion (see process.hpp).
#include "process.hpp"

#include "loop.hpp"

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
    return code().load();
}

void setExitCode(int c) { code().store(c); }

int exitCode() { return code().load(); }

} // namespace kit::process
