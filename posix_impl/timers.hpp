/// @file timers.hpp
/// @brief `setTimeout`, `setInterval`, `clearTimeout`, `setImmediate`, `clearImmediate`.
///
/// Mirrors Node's `timers` module over libuv's timer phase and check phase (see
/// loop.hpp). Node's rules kept: a delay below 1 ms, above 2^31-1 ms or not a number
/// becomes 1 ms; timers run in Node's order, one list per duration (in the order they
/// were scheduled) and the lists by expiry, so a 1 ms timer scheduled after a 2 ms one
/// can run first when both are due in the same pass (see Loop::runTimers); a timer or
/// immediate scheduled from a callback never runs in the same pass of its phase; a
/// cleared timer never runs; nextTick callbacks run between timer callbacks. A pending
/// timeout keeps the process alive unless it is `unref()`'d.
///
/// What it leaves out: extra arguments to the callback (capture them in the lambda),
/// and `timers/promises`. `refresh()` re-arms a pending timer only: Node also brings a
/// spent one-shot timeout back to life, here schedule a new one.
#pragma once

#include "loop.hpp"

#include <functional>
#include <memory>

namespace kit {

/// @brief A scheduled timer (Node's `Timeout` object).
class Timeout : public Handle {
public:
    /// @brief Use `setTimeout`/`setInterval`.
    Timeout(Loop& loop, std::function<void()> cb, Loop::Millis delay, bool repeat);
    /// @brief Cancel (`clearTimeout(t)`). No effect once a one-shot timer has run.
    void clear();
    /// @brief Start the countdown again from now, with the same delay, without a new
    /// Timeout (Node's `timeout.refresh()`): what a retransmission timer does after
    /// every packet. No effect on a cleared timeout (as in Node) or a spent one-shot
    /// timeout (Node would re-arm it).
    /// @return this timeout, as Node's `refresh()` returns `this`.
    Timeout& refresh();
    /// @brief Whether it will still run: armed, not cleared, not spent.
    bool pending() const { return key_ != 0; }
    /// @brief The delay in ms after Node's clamping.
    Loop::Millis delay() const { return delay_; }

private:
    friend std::shared_ptr<Timeout> scheduleTimer(std::function<void()>, double, bool);
    void arm();
    void fire();
    void onClose() override {}
    void releaseListeners() override { callback_ = nullptr; }
    std::function<void()> callback_;
    Loop::Millis delay_;
    bool repeat_;
    std::uint64_t key_ = 0;
};

/// @brief Run @p cb once after @p ms milliseconds (Node's `setTimeout`).
std::shared_ptr<Timeout> setTimeout(std::function<void()> cb, double ms = 1);
/// @brief Run @p cb every @p ms milliseconds until cleared (Node's `setInterval`).
std::shared_ptr<Timeout> setInterval(std::function<void()> cb, double ms = 1);
/// @brief Cancel a timeout or interval; a null pointer is ignored, as in Node.
void clearTimeout(const std::shared_ptr<Timeout>& t);
/// @brief Same as `clearTimeout` (Node's `clearInterval`).
void clearInterval(const std::shared_ptr<Timeout>& t);
/// @brief Run @p cb in the check phase of this turn or the next (Node's `setImmediate`).
std::shared_ptr<Immediate> setImmediate(std::function<void()> cb);
/// @brief Cancel an immediate that has not run yet (Node's `clearImmediate`).
void clearImmediate(const std::shared_ptr<Immediate>& im);

} // namespace kit
