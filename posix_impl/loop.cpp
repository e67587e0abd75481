// loop.cpp: the event loop, its handles, watchers and thread pool (see loop.hpp).
//
// Read Loop::run() first: it is the whole loop, one phase per line, in libuv's order.
#include "loop.hpp"

#include "console.hpp"
#include "errors.hpp"
#include "trace.hpp"

#include <fmt/format.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <ctime>
#include <exception>

namespace kit {

// ===========================================================================
// The loop's turn: libuv's uv_run, phase by phase.
// ===========================================================================

void Loop::run() {
    running_ = true;
    // The main program was the first "callback": its ticks run first, and an exception
    // one of them throws is an uncaught exception like any other (invoke catches it).
    invoke([] {});
    updateTime();
    while (alive()) {
        tracing::turn(turn_++);  // KIT_TRACE: each phase's enter and leave, in this turn
        tracing::phase("timers");
        runTimers();
        tracing::phaseLeave("timers");
        tracing::phase("pending");
        runPending();
        tracing::phaseLeave("pending");
        tracing::phase("poll");
        poll(pollTimeout());
        tracing::phaseLeave("poll");
        tracing::phase("check");
        runCheck();
        tracing::phaseLeave("check");
        tracing::phase("close");
        runClosing();
        tracing::phaseLeave("close");
        updateTime();
    }
    tracing::line("loop: nothing left to wait for, run() returns");
    running_ = false;
}

bool Loop::alive() const {
    return activeRefs_ > 0 || requests_ > 0 || refImmediates_ > 0 || !closing_.empty() ||
           !pending_.empty() || !ticks_.empty();
}

// How long poll(2) may sleep: not at all if work is already queued, until the next
// timer if there is one, forever (-1) otherwise (libuv's uv_backend_timeout).
int Loop::pollTimeout() const {
    if (!alive() || !pending_.empty() || !closing_.empty() || refImmediates_ > 0 ||
        !immediates_.empty())
        return 0;
    if (timerQueue_.empty()) return -1;
    const Millis due = std::get<0>(*timerQueue_.begin());
    return due <= now_ ? 0 : static_cast<int>(std::min<Millis>(due - now_, 0x7fffffff));
}

namespace {
Loop::Millis monotonicMs() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);  // never jumps when the wall clock is set
    return static_cast<Loop::Millis>(ts.tv_sec) * 1000 + static_cast<Loop::Millis>(ts.tv_nsec) / 1000000;
}

std::int64_t monotonicUs() {  // for KIT_TRACE=json's slept_us
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}
} // namespace

void Loop::updateTime() { now_ = monotonicMs(); }

// ===========================================================================
// Phase 1: timers, as Node's processTimers and listOnTimeout (lib/internal/timers.js)
// run them. Node keeps one list per duration, in insertion order, and a priority queue
// of the lists by expiry. A pass takes the list that expires first; runs its timers
// from the front while they are due; at the first one not due yet it moves the list's
// expiry to that timer's due time and takes the next list. So a 1 ms timer scheduled
// after a 2 ms one, but behind older 1 ms timers, runs before the 2 ms one when both
// are due in the same pass. A timer scheduled by one of these callbacks is due at
// now()+1 at the earliest, so it never runs in this same pass.
// ===========================================================================

std::uint64_t Loop::addTimer(Millis delay, std::function<void()> cb) {
    const std::uint64_t key = ++timerSeq_;
    // The delay counts from this call, not from the turn's cached time: Node reads the
    // clock again when it schedules a timer (getLibuvNow() calls uv_update_time), so a
    // slow callback or main program does not make a new timer fire early. now_ itself
    // stays the turn's time, which runTimers compares against, as Node's processTimers
    // uses one `now` for the whole pass.
    const Millis start = std::max(now_, monotonicMs());
    auto [it, created] = timerLists_.try_emplace(delay);
    TimerList& list = it->second;
    if (created) {  // Node's insert(): a new list expires one duration after this timer
        list.expiry = start + delay;
        list.id = ++timerListSeq_;
        list.serial = list.id;
        timerQueue_.emplace(list.expiry, list.id, delay);
    }
    list.timers.emplace(key, TimerList::Entry{start, std::move(cb)});  // keys grow: appended
    timerMsecs_.emplace(key, delay);
    return key;
}

void Loop::cancelTimer(std::uint64_t key) {
    auto it = timerMsecs_.find(key);
    if (it == timerMsecs_.end()) return;
    const Millis msecs = it->second;
    timerMsecs_.erase(it);
    auto list = timerLists_.find(msecs);
    list->second.timers.erase(key);
    if (list->second.timers.empty()) dropTimerList(msecs);  // Node's unenroll drops an empty list
}

void Loop::dropTimerList(Millis msecs) {
    auto it = timerLists_.find(msecs);
    timerQueue_.erase({it->second.expiry, it->second.id, msecs});
    timerLists_.erase(it);
}

void Loop::runTimers() {
    while (!timerQueue_.empty()) {
        const auto [expiry, id, msecs] = *timerQueue_.begin();
        if (expiry > now_) break;
        runTimerList(msecs);
    }
}

// Node's listOnTimeout(list, now).
void Loop::runTimerList(Millis msecs) {
    const std::uint64_t serial = timerLists_.at(msecs).serial;
    for (;;) {
        auto it = timerLists_.find(msecs);
        if (it == timerLists_.end() || it->second.serial != serial) return;  // a callback emptied it
        TimerList& list = it->second;
        if (list.timers.empty()) {
            dropTimerList(msecs);
            return;
        }
        auto first = list.timers.begin();
        const Millis due = first->second.start + msecs;
        if (due > now_) {
            // Too early for the rest of this list: look at it again when its first timer
            // is due, behind the lists already waiting for that time.
            timerQueue_.erase({list.expiry, list.id, msecs});
            list.expiry = std::max(due, now_ + 1);
            list.id = ++timerListSeq_;
            timerQueue_.emplace(list.expiry, list.id, msecs);
            return;
        }
        auto cb = std::move(first->second.cb);
        timerMsecs_.erase(first->first);
        list.timers.erase(first);
        invoke(cb);  // nextTick drains after each timer, as Node's runNextTicks() between them
    }
}

// ===========================================================================
// Phase 2: pending callbacks deferred from the previous turn.
// ===========================================================================

void Loop::defer(std::function<void()> fn) { pending_.push_back(std::move(fn)); }

void Loop::runPending() {
    auto batch = std::move(pending_);
    pending_.clear();
    for (auto& fn : batch) invoke(fn);
}

// ===========================================================================
// Phase 3: poll for I/O. Sleep in the poller (poll(2) or epoll_wait(2), see
// poller.hpp) until a descriptor is ready or the next timer is due, then call each
// ready watcher.
// ===========================================================================

void Loop::poll(int timeoutMs) {
    if (tracing::on && !tracing::json) tracing::line(poller_->describe(timeoutMs));
    const int timeoutAsked = timeoutMs;
    tracing::flush();  // KIT_TRACE=json: the turn so far is on disk before the loop sleeps
    const std::int64_t sleepStart = tracing::json ? monotonicUs() : 0;

    int ready = 0;
    for (;;) {
        const Millis before = now_;
        ready = poller_->wait(timeoutMs, ready_);
        if (ready >= 0) break;
        if (errno != EINTR) {
            // Only EINVAL/ENOMEM are possible here; nothing a program can recover from.
            console::error(fmt::format("{}(2) failed: {}", poller_->syscall(), errorDescription(errno)));
            tracing::exit(70);
            std::_Exit(70);
        }
        // poll(2) and epoll_wait(2) are never restarted after a signal (man 7 signal),
        // even with SA_RESTART: sleep again for what is left of the timeout.
        updateTime();
        if (timeoutMs > 0) {
            const auto spent = static_cast<int>(now_ - before);
            timeoutMs = spent >= timeoutMs ? 0 : timeoutMs - spent;
        }
    }
    updateTime();  // libuv updates the time after poll returns, before callbacks
    if (tracing::on) [[unlikely]] {
        if (tracing::json) tracePoll(timeoutAsked, monotonicUs() - sleepStart);
        else tracing::line("{} -> {} ready", poller_->syscall(), ready);
    }
    if (ready == 0) return;

    // Each report goes to the watcher registered for its descriptor now; one that
    // stops before its turn (an earlier callback closed it) loses its entry (unwatch).
    dispatch_.clear();
    for (const PollEvent& e : ready_) {
        const auto fd = static_cast<std::size_t>(e.fd);
        IoWatcher* w = fd < watchers_.size() ? watchers_[fd] : nullptr;
        if (w) w->pending_ = static_cast<std::ptrdiff_t>(dispatch_.size());
        dispatch_.push_back(w);
    }
    for (std::size_t i = 0; i < dispatch_.size(); ++i) {
        IoWatcher* w = dispatch_[i];
        if (w == nullptr) continue;  // stopped by an earlier callback of this pass
        w->pending_ = -1;
        const short revents = ready_[i].revents;
        if (revents == 0) continue;
        if (w->events_ == 0) continue;  // paused by an earlier callback of this pass
        invoke([w, revents] { w->cb_(revents); });
    }
    for (IoWatcher* w : dispatch_)
        if (w) w->pending_ = -1;
    dispatch_.clear();
}

// KIT_TRACE=json's poll record: what was watched (the registered watchers that want
// something, as the poller sees them), how long it slept, what came back.
void Loop::tracePoll(int timeoutMs, std::int64_t sleptUs) const {
    std::vector<PollEvent> interest;
    for (std::size_t fd = 0; fd < watchers_.size(); ++fd)
        if (const IoWatcher* w = watchers_[fd]; w != nullptr && w->events_ != 0)
            interest.push_back(PollEvent{static_cast<int>(fd), w->events_});
    tracing::poll(poller_->syscall(), timeoutMs, interest, sleptUs, ready_);
}

void Loop::watch(IoWatcher& w) {
    if (w.registered_ || w.fd_ < 0) return;
    const auto fd = static_cast<std::size_t>(w.fd_);
    if (fd >= watchers_.size()) watchers_.resize(fd + 1);
    if (watchers_[fd] != nullptr) {
        // Two watchers on one descriptor: a bug in the kit (libuv asserts the same).
        console::error(fmt::format("IoWatcher: descriptor {} is already watched", fd));
        std::_Exit(70);
    }
    watchers_[fd] = &w;
    w.registered_ = true;
    poller_->add(w.fd_, w.events_);
}

void Loop::unwatch(IoWatcher& w) {
    if (w.pending_ >= 0) {  // events from this pass's poll must not reach it
        dispatch_[static_cast<std::size_t>(w.pending_)] = nullptr;
        w.pending_ = -1;
    }
    if (!w.registered_) return;
    poller_->remove(w.fd_);  // before close(2): epoll(7) watches files, not numbers
    watchers_[static_cast<std::size_t>(w.fd_)] = nullptr;
    w.registered_ = false;
}

// ===========================================================================
// Phase 4: check. Run the immediates queued before this phase started; one queued
// now waits for the next turn (Node's setImmediate).
// ===========================================================================

std::shared_ptr<Immediate> Loop::addImmediate(std::function<void()> cb) {
    auto im = std::make_shared<Immediate>(*this, std::move(cb));
    immediates_.push_back(im);
    ++refImmediates_;
    tracing::queue("immediate", "queue");
    return im;
}

void Loop::runCheck() {
    auto batch = std::move(immediates_);
    immediates_.clear();
    for (auto& im : batch) {
        if (im->done_) continue;
        im->done_ = true;
        if (im->ref_) --refImmediates_;
        auto cb = std::move(im->callback_);
        tracing::queue("immediate", "run");
        invoke(cb);
    }
}

void Immediate::ref() {
    if (!ref_ && !done_) ++loop_.refImmediates_;
    ref_ = true;
}

void Immediate::unref() {
    if (ref_ && !done_) --loop_.refImmediates_;
    ref_ = false;
}

void Immediate::clear() {
    if (done_) return;
    done_ = true;
    if (ref_) --loop_.refImmediates_;
    callback_ = nullptr;
}

// ===========================================================================
// Phase 5: close callbacks. Handles closed during this turn emit `close` here, then
// the loop drops its reference: this is where a handle's life ends. Like libuv, the
// last handle closed goes first: uv__make_close_pending pushes each closing handle on
// the front of a list, and uv__run_closing_handles walks it from the front.
// ===========================================================================

void Loop::runClosing() {
    auto batch = std::move(closing_);
    closing_.clear();
    std::reverse(batch.begin(), batch.end());
    for (auto& h : batch) {
        invoke([&h] { h->onClose(); });
        if (!h->closing_) {
            // Reopened by its own 'close' listener (rule 4): it lives on, listeners too.
            tracing::line("{}#{} closed and reopened", h->kind(), h->handleId());
            continue;
        }
        h->releaseListeners();
        removeHandle(*h);  // O(1): the handle knows its slot in the list
        tracing::line("{}#{} closed and released", h->kind(), h->handleId());
    }
}

// ===========================================================================
// Callbacks, nextTick and uncaught exceptions.
// ===========================================================================

void Loop::nextTick(std::function<void()> fn) {
    ticks_.push_back(std::move(fn));
    tracing::queue("tick", "queue");
}

void Loop::drainTicks() {
    while (!ticks_.empty()) {
        auto fn = std::move(ticks_.front());
        ticks_.pop_front();
        tracing::queue("tick", "run");
        fn();
    }
}

extern const char* const kRuntimeLine;  // events.cpp

namespace {
[[noreturn]] void uncaught(std::exception_ptr ex) {
    // Node prints the thrown value after the source line that threw, then exits 1.
    std::string text;
    try {
        std::rethrow_exception(ex);
    } catch (const Error& err) {
        text = inspect(err);
    } catch (const std::exception& e) {
        text = fmt::format("Error: {}", e.what());
    } catch (...) {
        text = "Uncaught exception of unknown type";
    }
    // Node prints the file and line that threw, the source line and a caret; the kit
    // has no source positions at run time and invents none: it names the C++ function
    // that caught the exception instead (tests/diff/harness.js maps both headers to one).
    console::error(fmt::format("posix_impl/loop.cpp, Loop::invoke: Uncaught exception\n\n{}\n\n{}",
                               text, kRuntimeLine));
    std::fflush(nullptr);
    tracing::exit(1);
    std::_Exit(1);
}
} // namespace

void Loop::invoke(const std::function<void()>& fn) {
    try {
        fn();
        drainTicks();
    } catch (...) {
        uncaught(std::current_exception());  // never unwinds through the poller
    }
}

// ===========================================================================
// Handles.
// ===========================================================================

void Loop::adopt(std::shared_ptr<Handle> handle) {
    if (handle->adopted_) return;
    handle->adopted_ = true;
    tracing::handle("open", handle->kind_, handle->id_);
    handle->slot_ = handles_.size();
    handles_.push_back(std::move(handle));
}

void Loop::release(Handle& handle) { removeHandle(handle); }

// Take @p h out of the handle list by swapping the last one into its slot.
void Loop::removeHandle(Handle& h) {
    if (!h.adopted_) return;
    h.adopted_ = false;
    const std::size_t slot = h.slot_;
    auto keep = std::move(handles_[slot]);  // destroyed after the list is consistent again
    if (slot + 1 != handles_.size()) {
        handles_[slot] = std::move(handles_.back());
        handles_[slot]->slot_ = slot;
    }
    handles_.pop_back();
    tracing::handle("close", h.kind_, h.id_);
}

void Loop::countActive(const Handle& h, int delta) {
    if (h.active_ && h.ref_) activeRefs_ += delta;
}

Handle::Handle(Loop& loop, std::string_view kind)
    : loop_(loop), kind_(kind), id_(++loop.nextHandleId_), liveSlot_(loop.live_.size()) {
    loop.live_.push_back(this);
}

Handle::~Handle() {
    if (detached_) return;  // the loop is gone (rule 6)
    // Destroyed while active and referenced (a server whose last owner let go while it
    // listened): it no longer keeps the loop running (rule 5).
    loop_.countActive(*this, -1);
    Handle* last = loop_.live_.back();
    loop_.live_[liveSlot_] = last;
    last->liveSlot_ = liveSlot_;
    loop_.live_.pop_back();
}

void Handle::setActive(bool active) {
    if (detached_ || active == active_) return;
    loop_.countActive(*this, -1);
    active_ = active;
    loop_.countActive(*this, +1);
}

void Handle::ref() {
    if (ref_ || detached_) return;
    ref_ = true;
    loop_.countActive(*this, +1);
}

void Handle::unref() {
    if (!ref_ || detached_) return;
    loop_.countActive(*this, -1);
    ref_ = false;
}

void Handle::closeHandle() {
    if (closing_ || detached_) return;
    closing_ = true;
    setActive(false);
    loop_.closing_.push_back(shared_from_this());
    tracing::line("{}#{} closing", kind_, id_);
}

void Handle::reopen() {
    if (detached_) return;
    closing_ = false;
    loop_.adopt(shared_from_this());  // no-op while still in the list
}

// ===========================================================================
// Watchers.
// ===========================================================================

IoWatcher::IoWatcher(Loop& loop, Callback cb) : loop_(loop), cb_(std::move(cb)) {}

IoWatcher::~IoWatcher() { stop(); }

void IoWatcher::start(int fd, short events) {
    if (fd != fd_ && (registered_ || pending_ >= 0)) loop_.unwatch(*this);  // another file
    if (registered_) {
        setEvents(events);
        return;
    }
    fd_ = fd;
    events_ = events;
    loop_.watch(*this);
}

void IoWatcher::setEvents(short events) {
    if (events == events_) return;
    events_ = events;
    if (registered_) loop_.poller_->modify(fd_, events);  // epoll: one epoll_ctl(2)
}

void IoWatcher::stop() {
    // Only a registered watcher touches the loop: one detached by ~Loop (rule 6) is not.
    if (registered_ || pending_ >= 0) loop_.unwatch(*this);
    fd_ = -1;
    events_ = 0;
}

// ===========================================================================
// Thread pool and cross-thread wakeup.
// ===========================================================================

unsigned ThreadPool::defaultSize() {
    // libuv (src/threadpool.c): atoi(UV_THREADPOOL_SIZE); 0 becomes 1, anything above
    // 1024 (a negative number too, once unsigned) becomes 1024; unset means 4.
    const char* env = std::getenv("UV_THREADPOOL_SIZE");
    if (env == nullptr) return 4;
    const auto n = static_cast<unsigned>(std::atoi(env));
    if (n == 0) return 1;
    return n > 1024 ? 1024 : n;
}

namespace {
thread_local int workerIndex = -1;  // which worker this thread is (KIT_TRACE's `thread`)
} // namespace

ThreadPool::ThreadPool(unsigned threads) : size_(threads) {}

ThreadPool::~ThreadPool() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    ready_.notify_all();
    for (auto& t : threads_) t.join();
}

void ThreadPool::submit(std::function<void()> job) {
    {
        std::lock_guard lock(mutex_);
        if (threads_.empty())  // libuv starts its threads on the first request
            for (unsigned i = 0; i < size_; ++i)
                threads_.emplace_back([this, i] {
                    workerIndex = static_cast<int>(i);
                    worker();
                });
        jobs_.push_back(std::move(job));
    }
    ready_.notify_one();
}

void ThreadPool::worker() {
    for (;;) {
        std::function<void()> job;
        {
            std::unique_lock lock(mutex_);
            ready_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
            if (jobs_.empty()) return;  // stopping and nothing left
            job = std::move(jobs_.front());
            jobs_.pop_front();
        }
        job();
    }
}

unsigned Loop::threadPoolSize() const { return pool_ ? pool_->size() : ThreadPool::defaultSize(); }

void Loop::queueWork(std::function<void()> fn, std::function<void()> after, std::string_view what) {
    if (!pool_) pool_ = std::make_unique<ThreadPool>(ThreadPool::defaultSize());
    ++requests_;
    const std::uint64_t job = ++jobSeq_;
    tracing::pool("submit", job, what);
    pool_->submit([this, job, what, fn = std::move(fn), after = std::move(after)]() mutable {
        // On a worker thread: blocking calls are fine here, loop state is not. An
        // exception must not leave the thread (std::terminate): it is carried to the
        // loop thread and raised there, an uncaught exception like any other (rule 7).
        tracing::pool("start", job, what, workerIndex);
        std::exception_ptr failure;
        try {
            fn();
        } catch (...) {
            failure = std::current_exception();
        }
        tracing::pool("finish", job, what, workerIndex);
        post([this, job, what, after = std::move(after), failure] {
            --requests_;
            tracing::pool("callback", job, what);
            if (failure) std::rethrow_exception(failure);
            after();
        });
    });
}

void Loop::post(std::function<void()> fn) {
    {
        std::lock_guard lock(postedMutex_);
        posted_.push_back(std::move(fn));
    }
    const std::uint64_t one = 1;
    ssize_t n;
    do {
        n = ::write(wakeFd_.get(), &one, sizeof one);  // wakes poll(2) on the loop thread
    } while (n < 0 && errno == EINTR);
    // EAGAIN means the counter is already non-zero: the loop will wake anyway.
}

void Loop::drainPosted() {
    std::uint64_t count = 0;
    ssize_t n;
    do {
        n = ::read(wakeFd_.get(), &count, sizeof count);
    } while (n < 0 && errno == EINTR);
    std::vector<std::function<void()>> batch;
    {
        std::lock_guard lock(postedMutex_);
        batch.swap(posted_);
    }
    for (auto& fn : batch) invoke(fn);
}

Loop::Loop() {
    // Node ignores SIGPIPE (a write to a closed socket returns EPIPE instead of
    // killing the process) and SIGXFSZ (a too-large file gives EFBIG).
    std::signal(SIGPIPE, SIG_IGN);
    std::signal(SIGXFSZ, SIG_IGN);
    wakeFd_.reset(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    if (!wakeFd_) {
        console::error(fmt::format("eventfd(2) failed: {}", errorDescription(errno)));
        std::_Exit(70);
    }
    wakeWatcher_ = std::make_unique<IoWatcher>(*this, [this](short) { drainPosted(); });
    wakeWatcher_->start(wakeFd_.get(), POLLIN);  // not counted: it never keeps the loop alive
    tracing::handle("open", "async", 0);  // libuv's uv_async_t: "async#0" in KIT_TRACE=json
    tracing::handle("fd", "async", 0, wakeFd_.get());
    updateTime();
}

Loop::~Loop() {
    pool_.reset();  // join the workers before the loop they post to goes away
    // Handles still open at exit (an unref'd server, say) drop their listeners first:
    // lambdas that capture their own handle would otherwise keep it alive forever.
    for (auto& h : handles_) h->releaseListeners();
    closing_.clear();
    auto handles = std::move(handles_);  // destructors must not see a half-cleared list
    handles.clear();
    wakeWatcher_.reset();  // wakeFd_ closes itself after this
    // Handles still alive belong to someone else (a global shared_ptr): detach them and
    // their watchers, so that their destructors, run later, never touch this loop.
    for (Handle* h : live_) h->detached_ = true;
    for (IoWatcher* w : watchers_) {
        if (w == nullptr) continue;
        w->registered_ = false;
        w->pending_ = -1;
    }
}

Loop& Loop::getDefault() {
    static Loop loop;
    return loop;
}

} // namespace kit
