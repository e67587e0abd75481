/// @file poller.hpp
/// @brief The loop's poller: which descriptors are ready? Two backends, poll(2) and
///        epoll(7), behind one small interface, chosen at run time by `KIT_POLLER`.
///
/// Mirrors the backend layer under libuv's and Redis's loops. Redis's `ae.c` hides its
/// backend (`ae_epoll.c`, `ae_kqueue.c`, `ae_select.c`...) behind `aeApiAddEvent`,
/// `aeApiDelEvent` and `aeApiPoll`, and picks one with an `#include` at compile time;
/// libuv's `uv__io_poll` (`src/unix/linux.c`) applies the changes of interest with
/// epoll_ctl(2), then sleeps in epoll_wait(2). Here the loop (`Loop::poll`, loop.cpp)
/// calls `add`, `modify` and `remove` when a watcher starts, changes or stops, and
/// `wait` once per turn in its poll phase; the backend is picked when the loop is
/// created, from `KIT_POLLER=poll|epoll` (unset or empty: poll).
///
///  - **poll** (the default, what lessons 00-05 teach): the interest is an array of
///    `pollfd`, copied into the kernel and scanned whole on every call: O(n) per turn
///    for n watched descriptors, even when one is ready.
///  - **epoll**, level-triggered as libuv's watchers need (a descriptor still readable
///    is reported again on the next turn): the interest lives in the kernel, changed
///    one descriptor at a time with epoll_ctl(2); epoll_wait(2) returns only the ready
///    ones: O(ready) per turn.
///
/// The two report the same thing, in poll(2)'s terms (POLLIN, POLLOUT, POLLHUP,
/// POLLERR, POLLNVAL), so the loop cannot tell them apart. The epoll backend keeps
/// poll(2)'s meaning where epoll(7) differs:
///  - *interest 0 reports nothing*: an epoll descriptor registered with no events
///    still reports EPOLLHUP/EPOLLERR (a hung-up, paused socket would wake the loop
///    forever), so interest 0 takes it out of the set (EPOLL_CTL_DEL), as poll's
///    backend leaves it out of the array;
///  - *a regular file is always ready*: epoll_ctl(2) refuses it (EPERM), poll(2) says
///    it is readable and writable; the backend reports it so on every call;
///  - *a bad descriptor* is reported POLLNVAL, as poll(2) does, instead of failing;
///  - *a full events array* means more may be ready: it calls epoll_wait(2) again with
///    timeout 0 (libuv does the same), each descriptor reported once per wait.
///
/// The caller's part: `remove` a descriptor **before** close(2). epoll watches the open
/// file, not the number: a descriptor closed while a dup(2) of it (or a child's copy)
/// stays open keeps being reported under its old number. EINTR is the caller's too:
/// `wait` returns -1 with errno EINTR, and the loop waits again for what is left of
/// its timeout.
///
/// What it leaves out: edge-triggered mode, EPOLLONESHOT and EPOLLEXCLUSIVE (lesson 08
/// explains them), kqueue and the other backends, fork(2) (libuv's `uv_loop_fork`
/// makes a new epoll instance for the child; here parent and child would share one),
/// and more than one interest per descriptor (one watcher per descriptor, as libuv's
/// `loop->watchers[fd]`).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace kit {

/// @brief One ready descriptor and what happened to it, in poll(2)'s bits.
struct PollEvent {
    int fd;         ///< the descriptor, as given to `Poller::add`
    short revents;  ///< POLLIN, POLLOUT, POLLHUP, POLLERR, POLLNVAL
};

/// @brief The interface both backends implement (Redis's `aeApi*`, libuv's `uv__io_*`
/// platform calls). One interest per descriptor.
class Poller {
public:
    /// @brief How many events epoll_wait(2) may return per call (libuv's 1,024).
    static constexpr std::size_t kDefaultBatch = 1024;

    virtual ~Poller() = default;
    Poller(const Poller&) = delete;
    Poller& operator=(const Poller&) = delete;

    /// @brief The backend's name, as `KIT_POLLER` spells it: "poll" or "epoll".
    virtual std::string_view name() const = 0;
    /// @brief The system call `wait` sleeps in, for traces: "poll" or "epoll_wait".
    virtual std::string_view syscall() const = 0;

    /// @brief Start watching @p fd for @p events (POLLIN, POLLOUT, or both). 0 keeps
    /// @p fd known but reports nothing for it, not even a hang-up.
    virtual void add(int fd, short events) = 0;
    /// @brief Change the events wanted on @p fd, already added (0: nothing, as in `add`).
    virtual void modify(int fd, short events) = 0;
    /// @brief Stop watching @p fd. Call it before close(2) (see the file's comment).
    virtual void remove(int fd) = 0;

    /// @brief Sleep until a watched descriptor is ready or @p timeoutMs ms have passed
    /// (-1: no limit; 0: just look), then fill @p ready (cleared first) with the ready
    /// descriptors, each once.
    /// @return the number of ready descriptors; -1 with errno EINTR if a signal
    /// handler interrupted the sleep (nothing reported: wait again).
    virtual int wait(int timeoutMs, std::vector<PollEvent>& ready) = 0;

    /// @brief The call `wait(timeoutMs)` is about to make, as `KIT_TRACE` prints it:
    /// `poll([ 5r 6w ], timeout=-1 (forever))`. O(n): for traces only.
    virtual std::string describe(int timeoutMs) const = 0;

    /// @brief A backend by name: "poll" or "epoll" (@p epollBatch events per
    /// epoll_wait(2) call). Null for any other name. If epoll_create1(2) fails (no
    /// descriptor left), prints why on stderr and ends the process with status 70, as
    /// the loop does when poll(2) itself fails.
    static std::unique_ptr<Poller> create(std::string_view name, std::size_t epollBatch = kDefaultBatch);

    /// @brief The backend `KIT_POLLER` names (unset or empty: poll). Any other value
    /// prints a clear error on stderr and ends the process with status 9 (Node's exit
    /// code for an invalid argument). The loop calls it when it is created, on the
    /// program's first use of the default loop.
    static std::unique_ptr<Poller> fromEnvironment();

protected:
    Poller() = default;
};

} // namespace kit
