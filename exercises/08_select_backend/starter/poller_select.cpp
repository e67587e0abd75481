// poller_select.cpp -- exercise 08_select_backend (lesson 08), starter: write a third
// backend of the loop's poller, on select(2), behind the interface of
// posix_impl/poller.hpp (read it, and the poll backend in posix_impl/poller.cpp: yours
// is its closest relative). Check it with: make check-exercise E=08_select_backend
//
// select(2) takes three bitmaps (fd_set: read, write, exception) and overwrites them
// with the answer, so they are rebuilt before every call. An fd_set has FD_SETSIZE bits
// (1,024 with glibc): FD_SET on descriptor 1,024 or above writes past its end. Your
// `add` must refuse such a descriptor with a clear error on stderr that names
// FD_SETSIZE, and end the process with a non-zero status (the interface has no error
// value for add: epoll's backend does the same for ENOSPC, status 70).
//
// What each call must do (poller.hpp says it precisely):
//   add(fd, events)    remember that fd wants POLLIN, POLLOUT or both (0: nothing, and
//                      then nothing is reported for it, not even a hang-up);
//   modify(fd, events) change it;  remove(fd)  forget it;
//   wait(timeout, ready)  build the fd_sets, call select(2) (a timeval, or NULL for -1),
//                      then fill `ready` with each ready descriptor once, in the order
//                      they were added, POLLIN for readable, POLLOUT for writable. A
//                      hang-up or an error makes a socket readable: select(2) has no
//                      POLLHUP bit. -1 with errno EINTR: return -1, the loop waits again.
//                      EBADF: one descriptor is closed; poll(2) would report it POLLNVAL.
//   describe(timeout)  the KIT_TRACE line: select([ 3r 5rw ], timeout=-1 (forever)).
//
// How it plugs in: the part marked "given" at the end defines poller.hpp's factory
// (Poller::create, Poller::fromEnvironment). Linked before build/libposix_impl.a, it
// takes the place of poller.cpp's, so the linker never takes poller.o from the
// library: in this exercise's programs the only backend is yours (KIT_POLLER=select,
// or unset). main.cpp, the echo server the check runs, needs no change.
#include "poller.hpp"

#include "console.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/select.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>

namespace kit {

namespace {

class SelectPoller final : public Poller {
public:
    std::string_view name() const override { return "select"; }
    std::string_view syscall() const override { return "select"; }

    void add(int fd, short events) override {
        // TODO: refuse fd >= FD_SETSIZE (clear error, non-zero exit); remember the rest.
        (void)fd;
        (void)events;
    }

    void modify(int fd, short events) override {
        // TODO
        (void)fd;
        (void)events;
    }

    void remove(int fd) override {
        // TODO
        (void)fd;
    }

    int wait(int timeoutMs, std::vector<PollEvent>& ready) override {
        // TODO: FD_ZERO, FD_SET, select(2), FD_ISSET. Until then the loop stops at its
        // first wait with "select(2) failed: ..." (exit status 70).
        (void)timeoutMs;
        ready.clear();
        errno = ENOSYS;
        return -1;
    }

    std::string describe(int timeoutMs) const override {
        // TODO: the watched descriptors between the brackets.
        return fmt::format("select([ ], timeout={}{})", timeoutMs, timeoutMs < 0 ? " (forever)" : "ms");
    }
};

} // namespace

// ---- given: the factory of this exercise's programs (do not change) ----------------
// It takes the place of poller.cpp's (see the top of the file): only "select" exists.

std::unique_ptr<Poller> Poller::create(std::string_view name, std::size_t /*epollBatch*/) {
    if (name == "select") return std::make_unique<SelectPoller>();
    return nullptr;
}

std::unique_ptr<Poller> Poller::fromEnvironment() {
    const char* env = std::getenv("KIT_POLLER");
    const std::string_view name = (env == nullptr || *env == '\0') ? std::string_view("select") : std::string_view(env);
    auto poller = create(name);
    if (!poller) {
        console::error(fmt::format("KIT_POLLER={}: unknown poller; this exercise's programs have only KIT_POLLER=select",
                                   name));
        std::_Exit(9);
    }
    return poller;
}

} // namespace kit
