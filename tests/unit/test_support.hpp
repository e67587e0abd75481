// test_support.hpp: what the unit tests share.
//
//   Recorder        an ordered log of what ran ("timeout", "immediate", ...), compared
//                   with the sequence real Node v20 printed for the same program;
//   requireIdle()   the check every test ends with: the default loop has nothing left
//                   (no handle, no timer, no request), so the next test starts clean;
//   PipeReader      a Handle over the read end of a pipe(2): the smallest real I/O
//                   handle, built the way a kit Socket is (an IoWatcher plus close);
//   runInChild()    fork(2) a child that runs a body (used for the paths that end the
//                   process: an unhandled 'error', an uncaught exception), capture its
//                   stdout and stderr through pipes, and reap it with waitpid(2);
//   runSelfTest()   the same, but the child execs this test binary to run one hidden
//                   test case with extra environment (KIT_TRACE=1 is read only once
//                   per process, so a traced run needs a fresh process).
#pragma once

#include <catch2/catch.hpp>

#include "loop.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

extern char** environ;

namespace test {

/// An ordered record of events, to compare with what Node printed.
struct Recorder {
    std::vector<std::string> seen;
    void operator()(std::string what) { seen.push_back(std::move(what)); }
    /// A callback that records @p what when it runs.
    std::function<void()> note(std::string what) {
        return [this, what] { seen.push_back(what); };
    }
};

/// Every test ends here: the loop ran to completion and nothing is left in it. A test
/// that left a timer or a handle behind would leak its callbacks (and the stack
/// variables they capture) into the next test.
inline void requireIdle() {
    auto& loop = kit::Loop::getDefault();
    REQUIRE_FALSE(loop.alive());
    REQUIRE(loop.handleCount() == 0);
}

/// A pipe(2) with both ends closed on destruction (unless released).
struct Pipe {
    int r = -1, w = -1;
    Pipe() {
        int fds[2];
        REQUIRE(::pipe2(fds, O_CLOEXEC | O_NONBLOCK) == 0);
        r = fds[0];
        w = fds[1];
    }
    ~Pipe() {
        if (r >= 0) ::close(r);
        if (w >= 0) ::close(w);
    }
    Pipe(const Pipe&) = delete;
    Pipe& operator=(const Pipe&) = delete;
    /// Hand the read end to someone else (a PipeReader closes it).
    int releaseRead() { return std::exchange(r, -1); }
    // CHECK, not REQUIRE: this may run inside a loop callback, and an exception leaving a
    // callback is an uncaught exception (the kit ends the process, as Node does).
    void write(std::string_view s) const { CHECK(::write(w, s.data(), s.size()) == static_cast<ssize_t>(s.size())); }
    void closeWrite() {
        ::close(w);
        w = -1;
    }
};

/// The read end of a pipe as a loop handle, as libuv's uv_pipe_t is: an IoWatcher for
/// readiness, active while it watches, and close() that closes the descriptor at once
/// (as uv_close does) while the close callback waits for the loop's close phase.
class PipeReader final : public kit::Handle {
public:
    using OnReadable = std::function<void(PipeReader&, short revents)>;

    /// Adopt @p fd (the reader closes it) and call @p cb when it is readable.
    static std::shared_ptr<PipeReader> open(int fd, OnReadable cb) {
        auto& loop = kit::Loop::getDefault();
        std::shared_ptr<PipeReader> p(new PipeReader(loop, fd, std::move(cb)));
        loop.adopt(p);  // the loop owns it from now on, until its close callback ran
        return p;
    }

    /// Replace the readable callback (e.g. with one that captures this very handle).
    void setCallback(OnReadable cb) { cb_ = std::move(cb); }
    /// Watch for @p events; 0 registers the watcher but wants nothing (paused).
    void start(short events = POLLIN) {
        watcher_.start(fd_, events);
        setActive(events != 0);
    }
    /// Stop watching (the handle stays open).
    void stop() {
        watcher_.stop();
        setActive(false);
    }
    /// Put the file @p newFd refers to under this handle's descriptor number and watch it
    /// again with the same IoWatcher object: the old file is closed and its number reused
    /// at once, as when a socket is closed and the next accept(2) gets the same number.
    void replaceFile(int newFd) {
        watcher_.stop();     // drops any event poll(2) reported for the old file
        ::dup2(newFd, fd_);  // closes the old file; the same number now names newFd's
        ::close(newFd);
        start(POLLIN);
    }
    /// Close the descriptor now and queue the close callback for the close phase.
    void close(std::function<void()> onClosed = {}) {
        onClosed_ = std::move(onClosed);
        watcher_.stop();
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
        closeHandle();
    }
    /// Read what is there now.
    std::string readSome() {
        char buf[256];
        const ssize_t n = ::read(fd_, buf, sizeof buf);
        return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
    }
    int fd() const { return fd_; }

private:
    PipeReader(kit::Loop& loop, int fd, OnReadable cb)
        : Handle(loop, "pipe"), watcher_(loop, [this](short revents) { onReadable(revents); }),
          cb_(std::move(cb)), fd_(fd) {}

    void onReadable(short revents) {
        auto keep = shared_from_this();  // the callback may drop the last user reference
        if (cb_) cb_(*this, revents);
    }
    void onClose() override {
        if (onClosed_) onClosed_();
    }
    // Drop the callbacks: they may capture a shared_ptr to this very handle.
    void releaseListeners() override {
        cb_ = nullptr;
        onClosed_ = nullptr;
    }

    kit::IoWatcher watcher_;
    OnReadable cb_;
    std::function<void()> onClosed_;
    int fd_;
};

/// What a child process left: exit status (or signal), stdout and stderr.
struct ChildResult {
    bool exited = false;  ///< ended by exit(), not by a signal
    int exitCode = -1;
    int signal = 0;
    std::string out, err;
};

namespace detail {
inline void readBoth(int outFd, int errFd, std::string& out, std::string& err) {
    pollfd fds[2] = {{outFd, POLLIN, 0}, {errFd, POLLIN, 0}};
    std::string* dest[2] = {&out, &err};
    int open = 2;
    while (open > 0) {
        if (::poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            FAIL("poll: " << std::strerror(errno));
        }
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || fds[i].revents == 0) continue;
            char buf[4096];
            const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
            if (n > 0) {
                dest[i]->append(buf, static_cast<std::size_t>(n));
            } else if (n == 0 || errno != EINTR) {
                fds[i].fd = -1;  // EOF: the child closed it (or exited)
                --open;
            }
        }
    }
}
} // namespace detail

/// Run @p body in a fork(2)ed child whose stdout and stderr go to pipes; wait for it.
/// The child ends with _exit(0) if the body returns (no atexit handlers, no Catch2
/// report), so only the paths under test can give another status.
inline ChildResult runInChild(const std::function<void()>& body) {
    int out[2], err[2];
    REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
    REQUIRE(::pipe2(err, O_CLOEXEC) == 0);
    std::cout.flush();
    std::cerr.flush();
    std::fflush(nullptr);  // or the child would flush a copy of our buffered output
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::dup2(out[1], STDOUT_FILENO);
        ::dup2(err[1], STDERR_FILENO);
        body();
        std::fflush(nullptr);
        ::_exit(0);
    }
    ::close(out[1]);
    ::close(err[1]);
    ChildResult result;
    detail::readBoth(out[0], err[0], result.out, result.err);
    ::close(out[0]);
    ::close(err[0]);
    int status = 0;
    pid_t reaped;
    do {
        reaped = ::waitpid(pid, &status, 0);  // reap it: no zombie outlives the test
    } while (reaped < 0 && errno == EINTR);
    REQUIRE(reaped == pid);
    if (WIFEXITED(status)) {
        result.exited = true;
        result.exitCode = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        result.signal = WTERMSIG(status);
    }
    return result;
}

/// Run the hidden test case @p name of this same binary in a new process, with
/// @p extraEnv ("NAME=value") added to the environment.
inline ChildResult runSelfTest(const std::string& name, const std::vector<std::string>& extraEnv) {
    char exe[4096];
    const ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
    REQUIRE(n > 0);
    exe[n] = '\0';
    // Build argv and envp before fork(2): the child only calls execve(2).
    std::vector<std::string> envStore(extraEnv);
    for (char** e = environ; *e != nullptr; ++e) envStore.emplace_back(*e);
    std::vector<char*> envp;
    for (auto& s : envStore) envp.push_back(s.data());
    envp.push_back(nullptr);
    std::string testName = name;
    char* argv[] = {exe, testName.data(), nullptr};
    return runInChild([&] {
        ::execve(exe, argv, envp.data());
        ::_exit(127);
    });
}

/// How many times @p needle occurs in @p text.
inline std::size_t countOf(const std::string& text, std::string_view needle) {
    std::size_t count = 0;
    for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) ++count;
    return count;
}

} // namespace test
