// poller_select.cpp -- exercise 08_select_backend, a wrong solution (sleeps in poll(2)): a third backend
// of the loop's poller, on select(2), behind the interface of posix_impl/poller.hpp.
//
// select(2) is poll(2)'s older sibling (4.2BSD, 1983): the interest is three bitmaps
// (fd_set: read, write, exception), rebuilt and copied into the kernel on every call,
// which overwrites them with the answer. O(highest descriptor) per turn, worse than
// poll(2)'s O(n): a server holding descriptors 3 and 900 makes the kernel look at 901
// bits. And an fd_set has FD_SETSIZE bits (1,024 with glibc): FD_SET on descriptor
// 1,024 or above writes past the end of the bitmap (glibc's _FORTIFY_SOURCE aborts the
// program; without it, memory next to the set is overwritten). So `add` refuses such
// a descriptor with a clear error, before FD_SET ever sees it.
//
// How it plugs in: this file also defines the two factory functions of poller.hpp
// (Poller::create and Poller::fromEnvironment, the part marked "given" at the end).
// Linked before build/libposix_impl.a, they take the place of poller.cpp's, so the
// linker never takes poller.o from the library: in the programs of this exercise the
// only backend is this one, KIT_POLLER=select (or unset).
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
        // An fd_set has FD_SETSIZE bits: a higher descriptor cannot be watched at all.
        // The interface has no error value for add (poller.hpp), so this is the same
        // policy as epoll's ENOSPC: say why, end the process with status 70.
        if (fd < 0 || fd >= FD_SETSIZE) {
            console::error(fmt::format("select(2) cannot watch descriptor {}: an fd_set holds descriptors 0 to {} "
                                       "(FD_SETSIZE); use KIT_POLLER=poll or KIT_POLLER=epoll",
                                       fd, FD_SETSIZE - 1));
            std::_Exit(70);
        }
        if (static_cast<std::size_t>(fd) >= events_.size()) events_.resize(static_cast<std::size_t>(fd) + 1, 0);
        events_[static_cast<std::size_t>(fd)] = events;
        order_.push_back(fd);  // registration order is dispatch order, as in poll's backend
    }

    void modify(int fd, short events) override { events_[static_cast<std::size_t>(fd)] = events; }

    void remove(int fd) override {
        events_[static_cast<std::size_t>(fd)] = 0;
        order_.erase(std::find(order_.begin(), order_.end(), fd));
    }

    int wait(int timeoutMs, std::vector<PollEvent>& ready) override {
        // WRONG: the trace says select, but the loop sleeps in poll(2).
        ready.clear();
        std::vector<pollfd> array;
        for (int fd : order_)
            if (events_[static_cast<std::size_t>(fd)] != 0) array.push_back(pollfd{fd, events_[static_cast<std::size_t>(fd)], 0});
        const int n = ::poll(array.data(), array.size(), timeoutMs);
        if (n <= 0) return n;
        for (const pollfd& p : array)
            if (p.revents != 0) ready.push_back(PollEvent{p.fd, p.revents});
        return static_cast<int>(ready.size());
    }

    std::string describe(int timeoutMs) const override {
        std::string fds;
        for (int fd : order_) {
            const short ev = events_[static_cast<std::size_t>(fd)];
            if (ev != 0) fds += fmt::format(" {}{}{}", fd, (ev & POLLIN) ? "r" : "", (ev & POLLOUT) ? "w" : "");
        }
        return fmt::format("select([{} ], timeout={}{})", fds, timeoutMs, timeoutMs < 0 ? " (forever)" : "ms");
    }

private:
    // select(2) failed with EBADF: one of the descriptors is not open. Report each such
    // one POLLNVAL, as poll(2) would, and nothing else this turn.
    int reportBad(std::vector<PollEvent>& ready) const {
        for (int fd : order_)
            if (events_[static_cast<std::size_t>(fd)] != 0 && ::fcntl(fd, F_GETFD) < 0 && errno == EBADF)
                ready.push_back(PollEvent{fd, POLLNVAL});
        return static_cast<int>(ready.size());
    }

    std::vector<short> events_;  // descriptor -> what it wants (0: nothing)
    std::vector<int> order_;     // the watched descriptors, in the order they were added
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
