/// @file loop.hpp
/// @brief The event loop: one thread, one poll(2), libuv's phases in libuv's order.
///
/// Mirrors libuv's `uv_run` (`src/unix/core.c`) as Node uses it. One turn of the loop:
///
///   1. **timers**: run every `setTimeout`/`setInterval` that is due;
///   2. **pending**: run I/O callbacks deferred from the previous turn;
///   3. **poll**: wait in poll(2) for descriptors (sockets, files' wakeups) or the next
///      timer, then run the callbacks of the ready descriptors;
///   4. **check**: run the `setImmediate` callbacks queued before this phase began;
///   5. **close**: run the callbacks of handles closed during this turn (`close` events).
///
/// After every callback the nextTick queue is drained, as Node drains
/// `process.nextTick` after each callback it makes from C++. The loop keeps turning
/// while anything *referenced* is alive: an active handle (a listening server, a
/// reading socket, a pending timer), a pending request (thread-pool work) or a
/// callback already queued; then `run()` returns, the way a Node process exits when
/// nothing is left to wait for. `unref()` takes a handle out of that count.
///
/// **Lifetime rules.** Each has a test named for it, tagged `[ruleN]`: rule 2's in
/// tests/unit/loop_test.cpp, the others in tests/unit/lifetime_test.cpp.
///
///  1. *The loop owns an adopted handle until its close.* Every handle (Server, Socket,
///     Timeout, ReadStream...) is created by a factory as a `std::shared_ptr` and
///     *adopted* by the loop, which keeps a strong reference in its handle list. User
///     code may drop every reference to a live handle (as JavaScript code forgets a
///     socket it still listens to) without destroying it.
///  2. *Closing is deferred.* A callback may close its own handle or any other: closing
///     only marks the handle and queues it for the close phase, where its `close`
///     event is emitted and the loop drops its reference (in O(1): each handle knows
///     its slot in the list). I/O dispatch holds an extra reference to the handle for
///     the length of a callback.
///  3. *A closed handle drops its listeners*, right after its `close` event, which
///     breaks the reference cycles that lambdas capturing their own handle create (a
///     JavaScript closure would be collected). A Server, which is not closed through
///     the close phase (it can listen again), does the same when it emits `close` and
///     neither listens nor waits for a lookup to listen.
///  4. *A handle reopened from its own `close` listener lives on.* `socket.connect()`
///     on a destroyed socket, `server.listen()` on a closed server, start it again, as
///     in Node: the loop keeps it (adopting it again if it had let go), and its
///     listeners stay.
///  5. *What keeps the loop running is counted by state, not by owner.* A handle that
///     is active and referenced counts once; it stops counting when it stops being
///     active, is unref'd, is closed, or is destroyed while still active.
///  6. *A handle may outlive its loop.* A handle held in a global or static variable
///     (say an unref'd server) can be destroyed after the default loop, itself a
///     function-local static. The loop's destructor detaches every handle and watcher
///     still alive: afterwards they never touch the loop again; their destructors
///     only close their descriptors. A detached handle can do nothing else useful.
///  7. *A thread-pool job does not throw across threads.* An exception leaving a
///     `queueWork` job is carried to the loop thread and raised there, where it is an
///     uncaught exception like one from any callback (printed, exit status 1).
///
/// **Stale events.** A descriptor closed by a callback can have its events pending in
/// the same poll(2) result, and its number can be reused at once by a new `accept(2)`.
/// Stopping a watcher erases its pending entry, and a watcher started during dispatch
/// has none, so a new handle never receives the old descriptor's events (libuv's
/// "reopened fd" bug, joyent/libuv#826).
///
/// **Poller.** The poll phase asks a `Poller` (poller.hpp) which descriptors are ready:
/// poll(2) by default, epoll(7) with `KIT_POLLER=epoll` (lesson 08). A watcher tells it
/// when it starts, changes its events or stops; one watcher per descriptor (libuv's
/// `loop->watchers[fd]`). Watchers with no events wanted (a paused socket with a full
/// read buffer) report nothing, so an unmaskable POLLHUP cannot make the loop spin.
/// EINTR re-polls with the remaining timeout. Dispatch follows the poller's order:
/// registration order with poll(2), the kernel's ready list with epoll(7).
///
/// What it leaves out: idle and prepare phases, `uv_stop`, multiple loops per thread
/// (the kit uses one default loop), signal handles, and priority between descriptors
/// beyond poll(2)'s array order.
#pragma once

#include "fd.hpp"
#include "poller.hpp"

#include <poll.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string_view>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <vector>

/// @brief Everything the kit provides: the event loop and the Node.js modules it stands
/// in for, one nested namespace per module (`kit::net` for `net`, `kit::fs` for `fs`...).
namespace kit {

class Loop;
class ThreadPool;

/// @brief Interest in one descriptor, owned by a handle (libuv's `uv__io_t`).
///
/// The callback receives poll(2)'s `revents` (the epoll backend translates its own).
/// Destroying the watcher stops it. Stop it before closing its descriptor.
class IoWatcher {
public:
    /// @brief Callback receiving the ready events (POLLIN, POLLOUT, POLLHUP, POLLERR...).
    using Callback = std::function<void(short revents)>;

    /// @brief A stopped watcher for @p loop that will call @p cb.
    IoWatcher(Loop& loop, Callback cb);
    ~IoWatcher();
    IoWatcher(const IoWatcher&) = delete;
    IoWatcher& operator=(const IoWatcher&) = delete;

    /// @brief Watch @p fd for @p events (POLLIN|POLLOUT). 0: registered, but nothing is
    /// reported for @p fd, not even POLLHUP (a paused socket).
    void start(int fd, short events);
    /// @brief Change the events wanted on the same descriptor.
    void setEvents(short events);
    /// @brief Stop watching; pending events for this watcher are dropped.
    void stop();
    /// @brief The descriptor watched, or -1.
    int fd() const { return fd_; }
    /// @brief The events wanted.
    short events() const { return events_; }

private:
    friend class Loop;
    Loop& loop_;
    Callback cb_;
    int fd_ = -1;
    short events_ = 0;
    bool registered_ = false;      // known to the loop and its poller
    std::ptrdiff_t pending_ = -1;  // index in the loop's dispatch list, or -1
};

/// @brief Base of every handle: lifetime, ref/unref, active state, close.
///
/// libuv's `uv_handle_t`. A handle is *active* while it waits for something (a server
/// listening, a socket reading or writing, a timer pending); an active, referenced
/// handle keeps the loop running.
class Handle : public std::enable_shared_from_this<Handle> {
public:
    virtual ~Handle();
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;

    /// @brief Let this handle keep the loop alive again (Node's `ref()`).
    void ref();
    /// @brief Stop this handle from keeping the loop alive (Node's `unref()`).
    void unref();
    /// @brief Whether the handle is referenced (Node's `hasRef()`).
    bool hasRef() const { return ref_; }
    /// @brief Whether `close` has been requested.
    bool isClosing() const { return closing_; }
    /// @brief Short lowercase kind shown in traces ("server", "socket", "timer").
    std::string_view kind() const { return kind_; }
    /// @brief Number shown in traces: `socket#3`.
    std::uint64_t handleId() const { return id_; }
    /// @brief The loop this handle belongs to.
    Loop& loop() const { return loop_; }
    /// @brief Whether the loop holds this handle in its handle list.
    bool isAdopted() const { return adopted_; }
    /// @brief Whether the loop this handle belongs to has been destroyed (rule 6).
    bool detached() const { return detached_; }

protected:
    /// @brief Called by subclasses; @p kind names the handle in traces.
    Handle(Loop& loop, std::string_view kind);
    /// @brief Mark the handle active (waiting for something) or not.
    void setActive(bool active);
    /// @brief Whether the handle is active.
    bool isActive() const { return active_; }
    /// @brief Queue the handle for the close phase (idempotent); `onClose` runs there.
    void closeHandle();
    /// @brief Runs in the close phase; emit `close` here.
    virtual void onClose() = 0;
    /// @brief Runs after `onClose`: drop listeners to break capture cycles.
    virtual void releaseListeners() {}
    /// @brief Start a closed (or closing) handle again, as a `connect()` on a destroyed
    /// socket does: it is no longer closing, and the loop owns it again (rule 4).
    void reopen();

private:
    friend class Loop;
    Loop& loop_;
    std::string_view kind_;
    std::uint64_t id_;
    bool ref_ = true;
    bool active_ = false;
    bool closing_ = false;
    bool adopted_ = false;
    bool detached_ = false;       // the loop is gone (rule 6)
    std::size_t slot_ = 0;        // index in the loop's handle list, while adopted
    std::size_t liveSlot_ = 0;    // index in the loop's list of every live handle
};

/// @brief A thread pool like libuv's: N worker threads (4 by default, or
/// `UV_THREADPOOL_SIZE`, clamped to 1..1024) run blocking jobs such as file writes; the loop runs each
/// job's completion callback on its own thread.
///
/// Each job costs two hand-offs: the loop wakes a sleeping worker (a futex, through the
/// condition variable), and the worker wakes the loop (the eventfd that poll(2)
/// watches). On a busy machine each wake-up is a context switch and a chance to wait
/// for a CPU, so a job should carry enough work: fs::ReadStream's does up to four
/// 64 KiB reads where libuv's does one (project issue 21: lesson 02 went from 33,000
/// context switches per GiB sent to 10,000; docs/performance.md).
class ThreadPool {
public:
    /// @brief A pool of @p threads workers, started on first use.
    explicit ThreadPool(unsigned threads);
    ~ThreadPool();
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;
    /// @brief Queue @p job; some worker runs it.
    void submit(std::function<void()> job);
    /// @brief Number of worker threads.
    unsigned size() const { return size_; }
    /// @brief The pool size libuv picks: `UV_THREADPOOL_SIZE` clamped to 1..1024, or 4.
    static unsigned defaultSize();

private:
    void worker();
    unsigned size_;
    std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<std::function<void()>> jobs_;
    std::vector<std::thread> threads_;
    bool stopping_ = false;
};

/// @brief A queued `setImmediate` callback (Node's `Immediate` object).
class Immediate {
public:
    /// @brief Created by `Loop::addImmediate`.
    Immediate(Loop& loop, std::function<void()> cb) : loop_(loop), callback_(std::move(cb)) {}
    /// @brief Keep the loop alive for this immediate again (the default).
    void ref();
    /// @brief Let the loop exit even though this immediate is queued.
    void unref();
    /// @brief Whether the immediate keeps the loop alive.
    bool hasRef() const { return ref_; }
    /// @brief Cancel it (`clearImmediate`); no effect once it has run.
    void clear();

private:
    friend class Loop;
    Loop& loop_;
    std::function<void()> callback_;
    bool ref_ = true;
    bool done_ = false;  // ran or cleared
};

/// @brief The event loop. Use `Loop::getDefault()`; the kit has one loop per process.
class Loop {
public:
    /// @brief Milliseconds on the monotonic clock, as libuv's `uv_now()`.
    using Millis = std::uint64_t;

    Loop();
    ~Loop();
    Loop(const Loop&) = delete;
    Loop& operator=(const Loop&) = delete;

    /// @brief The process's loop (libuv's `uv_default_loop()`).
    static Loop& getDefault();

    /// @brief Turn the loop until nothing referenced is left (`uv_run(UV_RUN_DEFAULT)`).
    void run();
    /// @brief Whether anything referenced keeps the loop running (`uv_loop_alive`).
    bool alive() const;
    /// @brief The loop's cached time in ms (updated once per turn, as `uv_now`).
    Millis now() const { return now_; }
    /// @brief Re-read the monotonic clock (`uv_update_time`).
    void updateTime();

    /// @brief Queue @p fn to run after the current callback (`process.nextTick`).
    void nextTick(std::function<void()> fn);
    /// @brief Queue @p fn for the pending phase of the next turn (libuv's pending queue).
    void defer(std::function<void()> fn);
    /// @brief Run @p fn in the thread pool, then @p after on the loop thread.
    /// The pending job keeps the loop alive (libuv's `uv_queue_work`). @p what names the
    /// job in `KIT_TRACE=json` records ("read", "open"...): a string literal.
    void queueWork(std::function<void()> fn, std::function<void()> after, std::string_view what = "work");
    /// @brief Thread-safe: run @p fn on the loop thread soon (libuv's `uv_async_send`).
    /// Does not by itself keep the loop alive.
    void post(std::function<void()> fn);
    /// @brief Count a request that keeps the loop alive until `endRequest` (a pending
    /// connect, lookup or write).
    void beginRequest() { ++requests_; }
    /// @brief End a request counted by `beginRequest`.
    void endRequest() { --requests_; }

    /// @brief Run a callback as Node runs one from C++: then drain nextTick; an
    /// exception leaving it is an uncaught exception (printed, exit status 1).
    void invoke(const std::function<void()>& fn);

    /// @brief Adopt a new handle: the loop owns it until it has closed.
    void adopt(std::shared_ptr<Handle> handle);
    /// @brief Drop the loop's reference to @p handle without a close phase (a Server
    /// that stopped listening and emitted `close`; `listen` adopts it again).
    void release(Handle& handle);

    /// @brief Timers: schedule @p cb at now()+@p delay (see timers.hpp for the Node API).
    /// @return a key for `cancelTimer`.
    std::uint64_t addTimer(Millis delay, std::function<void()> cb);
    /// @brief Remove a timer scheduled by `addTimer` (no effect if it already ran).
    void cancelTimer(std::uint64_t key);
    /// @brief Queue @p cb for the check phase (`setImmediate`).
    std::shared_ptr<Immediate> addImmediate(std::function<void()> cb);

    /// @brief Number of open handles (for tests and traces).
    std::size_t handleCount() const { return handles_.size(); }
    /// @brief Number of worker threads of this loop's pool.
    unsigned threadPoolSize() const;

private:
    friend class IoWatcher;
    friend class Handle;
    friend class Immediate;

    /// Node's TimersList: the timers of one duration, in insertion order (their keys
    /// grow), and the time the list is next looked at.
    struct TimerList {
        Millis expiry = 0;
        std::uint64_t id = 0;      // priority among lists of equal expiry (Node's list.id)
        std::uint64_t serial = 0;  // which list this is, across deletions and re-creations
        struct Entry {
            Millis start;
            std::function<void()> cb;
        };
        std::map<std::uint64_t, Entry> timers;  // key -> timer
    };
    void runTimers();
    void runTimerList(Millis msecs);
    void dropTimerList(Millis msecs);
    void removeHandle(Handle& h);
    void runPending();
    void poll(int timeoutMs);
    void runCheck();
    void runClosing();
    int pollTimeout() const;
    void drainTicks();
    void drainPosted();
    void tracePoll(int timeoutMs, std::int64_t sleptUs) const;
    void watch(IoWatcher& w);
    void unwatch(IoWatcher& w);
    void countActive(const Handle& h, int delta);

    Millis now_ = 0;
    std::uint64_t nextHandleId_ = 0;
    std::uint64_t timerSeq_ = 0;
    int activeRefs_ = 0;      // active and referenced handles
    int requests_ = 0;        // pending requests (thread-pool work, connects...)
    int refImmediates_ = 0;   // queued immediates (they keep the loop alive)
    bool running_ = false;
    std::int64_t turn_ = 0;        // turns of the loop so far (KIT_TRACE's `it`)
    std::uint64_t jobSeq_ = 0;     // thread-pool jobs submitted (KIT_TRACE's `job`)

    std::vector<std::shared_ptr<Handle>> handles_;        // the handle list (strong refs)
    std::vector<Handle*> live_;                           // every handle not yet destroyed
    std::vector<std::shared_ptr<Handle>> closing_;        // closed this turn
    // Node's timers (lib/internal/timers.js): one list per duration (timerListMap), the
    // lists ordered by (expiry, id) as in its priority queue (timerListQueue).
    std::map<Millis, TimerList> timerLists_;
    std::set<std::tuple<Millis, std::uint64_t, Millis>> timerQueue_;  // (expiry, id, msecs)
    std::unordered_map<std::uint64_t, Millis> timerMsecs_;            // key -> duration, for cancel
    std::uint64_t timerListSeq_ = 0;
    std::deque<std::shared_ptr<Immediate>> immediates_;
    std::deque<std::function<void()>> ticks_;
    std::deque<std::function<void()>> pending_;

    std::unique_ptr<Poller> poller_ = Poller::fromEnvironment();  // poll(2) or epoll(7): KIT_POLLER
    std::vector<IoWatcher*> watchers_;                    // descriptor -> its registered watcher, or null
    std::vector<PollEvent> ready_;                        // what the poller reported this turn
    std::vector<IoWatcher*> dispatch_;                    // parallel to ready_; null: stopped since

    // Cross-thread wakeup (libuv's async handle): an eventfd the pool writes to.
    UniqueFd wakeFd_;  // eventfd(2): worker threads wake poll(2) through it
    std::unique_ptr<IoWatcher> wakeWatcher_;
    std::mutex postedMutex_;
    std::vector<std::function<void()>> posted_;
    std::unique_ptr<ThreadPool> pool_;
};

} // namespace kit
