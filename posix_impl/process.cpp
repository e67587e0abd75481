// process.cpp: nextTick and the program's run-to-completion (see process.hpp).
#include "process.hpp"

#include "console.hpp"
#include "errors.hpp"
#include "fd.hpp"
#include "loop.hpp"
#include "trace.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <map>
#include <vector>

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

namespace {

// The write end of the self-pipe, read by the signal handler (a plain int: the handler
// may only touch lock-free atomics). Signals belong to the process, so this is
// process-wide state, like the exit code.
std::atomic<int> signalPipeWrite{-1};

extern "C" void onSignalHandler(int signo) {
    const int saved = errno;  // the interrupted code may be about to read errno
    const auto byte = static_cast<unsigned char>(signo);
    // Non-blocking: if the pipe is full, signals are already waiting to be read.
    [[maybe_unused]] const ssize_t n = ::write(signalPipeWrite.load(), &byte, 1);
    errno = saved;
}

// libuv's uv_signal_t for every signal at once: the pipe's read end in the poll set,
// unref'd (a listener does not keep the process alive), active while the program runs.
class SignalHandle : public Handle {
public:
    explicit SignalHandle(Loop& loop) : Handle(loop, "signal"), watcher_(loop, [this](short) { drain(); }) {
        int fds[2];
        if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) throw Error::uv(errno, "pipe2");  // pipe2(2)
        read_.reset(fds[0]);
        write_.reset(fds[1]);
        signalPipeWrite.store(fds[1]);
        watcher_.start(read_.get(), POLLIN);
        setActive(true);
        unref();
    }
    ~SignalHandle() override {
        watcher_.stop();
        signalPipeWrite.store(-1);
    }
    std::map<int, std::vector<std::function<void()>>> listeners;

private:
    void drain() {
        unsigned char bytes[64];
        for (;;) {
            const ssize_t n = ::read(read_.get(), bytes, sizeof bytes);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return;  // EAGAIN: all read
            for (ssize_t i = 0; i < n; ++i) {
                const auto it = listeners.find(bytes[i]);
                if (it == listeners.end()) continue;
                const auto snapshot = it->second;  // a listener may add another
                for (const auto& fn : snapshot) fn();
            }
        }
    }
    void onClose() override {}
    IoWatcher watcher_;
    UniqueFd read_, write_;
};

SignalHandle& signalHandle() {
    static std::shared_ptr<SignalHandle> handle = [] {
        auto h = std::make_shared<SignalHandle>(Loop::getDefault());
        Loop::getDefault().adopt(h);
        return h;
    }();
    return *handle;
}

} // namespace

void onSignal(int signo, std::function<void()> listener) {
    auto& handle = signalHandle();
    auto& list = handle.listeners[signo];
    list.push_back(std::move(listener));
    if (list.size() > 1) return;
    struct sigaction sa {};
    sa.sa_handler = onSignalHandler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;  // system calls it interrupts resume (libuv does the same)
    if (::sigaction(signo, &sa, nullptr) != 0) throw Error::uv(errno, "sigaction");
}

} // namespace kit::process
