// poller.cpp: the poll(2) and epoll(7) backends of the loop's poller (see poller.hpp).
//
// Read them side by side: each has the same four calls. PollPoller keeps the interest
// in user space and hands all of it to the kernel on every wait; EpollPoller hands the
// kernel each change once (epoll_ctl(2)) and asks only for what is ready.
#include "poller.hpp"

#include "console.hpp"
#include "errors.hpp"
#include "fd.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>

namespace kit {

namespace {

// "5r", "6w", "7rw": one watched descriptor in a trace line.
std::string traceFd(int fd, short events) {
    return fmt::format(" {}{}{}", fd, (events & POLLIN) ? "r" : "", (events & POLLOUT) ? "w" : "");
}

std::string traceTimeout(int timeoutMs) {
    return fmt::format("timeout={}{}", timeoutMs, timeoutMs < 0 ? " (forever)" : "ms");
}

// A failure no program can recover from (ENOMEM, or the kernel's limit on epoll
// watches): the same policy as poll(2)'s EINVAL/ENOMEM in the loop.
[[noreturn]] void fatal(std::string_view call, int err) {
    console::error(fmt::format("{}(2) failed: {}", call, errorDescription(err)));
    std::_Exit(70);
}

// ===========================================================================
// poll(2): the array is the interest. O(n) per wait, whatever is ready.
// ===========================================================================

class PollPoller final : public Poller {
public:
    std::string_view name() const override { return "poll"; }
    std::string_view syscall() const override { return "poll"; }

    void add(int fd, short events) override {
        if (static_cast<std::size_t>(fd) >= slotOf_.size()) slotOf_.resize(static_cast<std::size_t>(fd) + 1);
        slotOf_[static_cast<std::size_t>(fd)] = entries_.size();
        entries_.push_back(pollfd{fd, events, 0});  // registration order is dispatch order
    }

    void modify(int fd, short events) override { entries_[slotOf_[static_cast<std::size_t>(fd)]].events = events; }

    void remove(int fd) override {
        // O(1), so that closing N sockets costs O(N): leave a hole, which the next wait
        // closes up while it walks the list anyway. The order of the others is kept.
        entries_[slotOf_[static_cast<std::size_t>(fd)]].fd = -1;
        holes_ = true;
    }

    int wait(int timeoutMs, std::vector<PollEvent>& ready) override {
        ready.clear();
        if (holes_) closeHoles();
        // A descriptor that wants nothing (a paused socket with a full read buffer) is
        // left out, as a negative fd would be: poll(2) reports POLLHUP and POLLERR even
        // when events is 0, and a hung-up descriptor would wake us forever.
        array_.clear();
        for (const pollfd& e : entries_)
            if (e.events != 0) array_.push_back(pollfd{e.fd, e.events, 0});
        const int n = ::poll(array_.data(), array_.size(), timeoutMs);  // the whole array, both ways
        if (n <= 0) return n;  // -1: errno says why (EINTR: the caller waits again)
        for (const pollfd& p : array_)  // and scanned whole again to find the n ready
            if (p.revents != 0) ready.push_back(PollEvent{p.fd, p.revents});
        return static_cast<int>(ready.size());
    }

    std::string describe(int timeoutMs) const override {
        std::string fds;
        for (const pollfd& e : entries_)
            if (e.fd >= 0 && e.events != 0) fds += traceFd(e.fd, e.events);
        return fmt::format("poll([{} ], {})", fds, traceTimeout(timeoutMs));
    }

private:
    void closeHoles() {
        std::size_t kept = 0;
        for (const pollfd& e : entries_) {
            if (e.fd < 0) continue;
            slotOf_[static_cast<std::size_t>(e.fd)] = kept;
            entries_[kept++] = e;
        }
        entries_.resize(kept);
        holes_ = false;
    }

    std::vector<pollfd> entries_;      // every added descriptor, in order; fd -1: a hole
    std::vector<std::size_t> slotOf_;  // descriptor -> its index in entries_
    bool holes_ = false;
    std::vector<pollfd> array_;        // what poll(2) gets: the entries that want something
};

// ===========================================================================
// epoll(7): the interest lives in the kernel. O(ready) per wait.
// ===========================================================================

class EpollPoller final : public Poller {
public:
    EpollPoller(UniqueFd epfd, std::size_t batch) : epfd_(std::move(epfd)), buffer_(std::max<std::size_t>(batch, 1)) {}

    std::string_view name() const override { return "epoll"; }
    std::string_view syscall() const override { return "epoll_wait"; }

    void add(int fd, short events) override {
        Interest& in = slot(fd);
        in = Interest{};
        in.events = events;
        apply(fd, in);
    }

    void modify(int fd, short events) override {
        Interest& in = slot(fd);
        if (in.events == events) return;  // no system call for no change
        in.events = events;
        apply(fd, in);
    }

    void remove(int fd) override {
        Interest& in = slot(fd);
        if (in.inKernel) ctl(EPOLL_CTL_DEL, fd, 0);
        if (in.refused != 0) refused_.erase(std::find(refused_.begin(), refused_.end(), fd));
        in = Interest{};
    }

    int wait(int timeoutMs, std::vector<PollEvent>& ready) override {
        ready.clear();
        ++pass_;
        // What epoll refused, reported as poll(2) would: without sleeping.
        for (int fd : refused_) {
            Interest& in = slot(fd);
            if (in.events == 0) continue;
            in.seen = pass_;
            ready.push_back(PollEvent{fd, in.refused == EPERM ? static_cast<short>(in.events & (POLLIN | POLLOUT))
                                                              : static_cast<short>(POLLNVAL)});
        }
        if (!ready.empty()) timeoutMs = 0;
        for (;;) {
            const int n = ::epoll_wait(epfd_.get(), buffer_.data(), static_cast<int>(buffer_.size()), timeoutMs);
            if (n < 0) {
                if (errno == EINTR && !ready.empty()) break;  // report what is already known
                return -1;                                    // errno says why
            }
            std::size_t fresh = 0;
            for (int i = 0; i < n; ++i) {
                const epoll_event& e = buffer_[static_cast<std::size_t>(i)];
                Interest& in = slot(e.data.fd);
                // Level-triggered: a descriptor reported and still ready goes back to
                // the end of the kernel's ready list, so a second call can report it
                // again. Once per wait, as poll(2) reports it.
                if (in.seen == pass_) continue;
                in.seen = pass_;
                ready.push_back(PollEvent{e.data.fd, toPoll(e.events)});
                ++fresh;
            }
            // A full array: more may be ready. Look again without sleeping, as libuv's
            // uv__io_poll does, until a call brings nothing new.
            if (static_cast<std::size_t>(n) < buffer_.size() || fresh == 0) break;
            timeoutMs = 0;
        }
        return static_cast<int>(ready.size());
    }

    std::string describe(int timeoutMs) const override {
        // epoll_wait(2) takes no list: the one shown is what the kernel already holds.
        std::string fds;
        for (std::size_t fd = 0; fd < interest_.size(); ++fd)
            if (interest_[fd].events != 0) fds += traceFd(static_cast<int>(fd), interest_[fd].events);
        return fmt::format("epoll_wait({}) on [{} ]", traceTimeout(timeoutMs), fds);
    }

private:
    struct Interest {
        short events = 0;        // wanted (POLLIN|POLLOUT); 0: nothing, not in the kernel
        bool inKernel = false;   // in the epoll set (EPOLL_CTL_ADD done)
        int refused = 0;         // errno of a refused EPOLL_CTL_ADD: EPERM or EBADF
        std::uint64_t seen = 0;  // the last wait that reported it
    };

    Interest& slot(int fd) {
        const auto i = static_cast<std::size_t>(fd);
        if (i >= interest_.size()) interest_.resize(i + 1);
        return interest_[i];
    }

    // Bring the kernel's set in line with in.events.
    void apply(int fd, Interest& in) {
        if (in.refused != 0) return;  // not in the kernel: wait() reports it itself
        if (in.events == 0) {
            // Registered with no events, epoll(7) would still report EPOLLHUP and
            // EPOLLERR (a busy loop on a paused, hung-up socket): take it out instead.
            if (in.inKernel) ctl(EPOLL_CTL_DEL, fd, 0);
            in.inKernel = false;
            return;
        }
        int err = ctl(in.inKernel ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, in.events);
        if (err == ENOENT && in.inKernel) err = ctl(EPOLL_CTL_ADD, fd, in.events);  // closed and reopened behind our back
        if (err == 0) {
            in.inKernel = true;
        } else if (err == EPERM || err == EBADF) {
            // EPERM: a regular file or a directory, which epoll cannot watch and poll(2)
            // calls always readable and writable. EBADF: not a descriptor, which poll(2)
            // reports as POLLNVAL. Either way, wait() reports it on every call.
            in.inKernel = false;
            in.refused = err;
            refused_.push_back(fd);
        } else {
            fatal("epoll_ctl", err);  // ENOMEM, or ENOSPC: /proc/sys/fs/epoll/max_user_watches
        }
    }

    // epoll_ctl(2); the error number, or 0.
    int ctl(int op, int fd, short events) {
        epoll_event e{};
        e.events = (events & POLLIN ? EPOLLIN : 0u) | (events & POLLOUT ? EPOLLOUT : 0u);  // level-triggered: no EPOLLET
        e.data.fd = fd;  // what epoll_wait(2) gives back (libuv and Redis store the fd too)
        if (::epoll_ctl(epfd_.get(), op, fd, &e) == 0) return 0;
        const int err = errno;
        // DEL of a descriptor already gone (closed before remove) is not an error: the
        // kernel dropped it with its last descriptor.
        if (op == EPOLL_CTL_DEL && (err == EBADF || err == ENOENT)) return 0;
        return err;
    }

    static short toPoll(std::uint32_t events) {
        short r = 0;
        if (events & EPOLLIN) r |= POLLIN;
        if (events & EPOLLPRI) r |= POLLPRI;
        if (events & EPOLLOUT) r |= POLLOUT;
        if (events & EPOLLERR) r |= POLLERR;
        if (events & EPOLLHUP) r |= POLLHUP;
        return r;
    }

    UniqueFd epfd_;
    std::vector<epoll_event> buffer_;  // one epoll_wait(2)'s results
    std::vector<Interest> interest_;   // descriptor -> what is wanted (libuv's loop->watchers[fd])
    std::vector<int> refused_;         // descriptors epoll_ctl(2) refused (EPERM, EBADF)
    std::uint64_t pass_ = 0;           // which wait this is
};

// The epoll descriptor itself, moved out of the low numbers. The kit's traces print
// descriptor numbers (`connect(5, ...)`); an epoll descriptor taking the lowest free
// number would shift every number after it by one. Moved to 1023 or above (below the
// soft limit), every other descriptor has the same number under both backends.
UniqueFd createEpoll() {
    UniqueFd fd(::epoll_create1(EPOLL_CLOEXEC));  // CLOEXEC: a program we exec does not inherit it
    if (!fd) return fd;
    rlimit lim{};
    if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur > 1) {
        const auto high = static_cast<int>(std::min<rlim_t>(lim.rlim_cur - 1, 1023));
        if (high > fd.get()) {
            UniqueFd moved(::fcntl(fd.get(), F_DUPFD_CLOEXEC, high));
            if (moved) return moved;  // the low number closes with `fd`
        }
    }
    return fd;  // no room up there: keep the low number (traces shift by one)
}

} // namespace

std::unique_ptr<Poller> Poller::create(std::string_view name, std::size_t epollBatch) {
    if (name == "poll") return std::make_unique<PollPoller>();
    if (name == "epoll") {
        UniqueFd epfd = createEpoll();
        if (!epfd) fatal("epoll_create1", errno);  // EMFILE, ENOMEM
        return std::make_unique<EpollPoller>(std::move(epfd), epollBatch);
    }
    return nullptr;
}

std::unique_ptr<Poller> Poller::fromEnvironment() {
    const char* env = std::getenv("KIT_POLLER");
    const std::string_view name = (env == nullptr || *env == '\0') ? std::string_view("poll") : std::string_view(env);
    auto poller = create(name);
    if (!poller) {
        console::error(fmt::format("KIT_POLLER={}: unknown poller; use KIT_POLLER=poll (the default) or KIT_POLLER=epoll",
                                   name));
        std::_Exit(9);
    }
    return poller;
}

} // namespace kit
