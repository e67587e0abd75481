// timers.cpp: Node's timer functions over the loop's timer and check phases.
#include "timers.hpp"

#include "process.hpp"
#include "trace.hpp"

#include <fmt/format.h>

#include <cmath>
#include <string>

namespace kit {

namespace {
// Node's rule (lib/internal/timers.js): "if (!(after >= 1 && after <= TIMEOUT_MAX))
// after = 1", with TIMEOUT_MAX = 2^31-1; fractions are kept but libuv counts whole ms.
Loop::Millis clampDelay(double ms) {
    if (!(ms >= 1 && ms <= 2147483647.0)) {
        // Only a delay too large is worth a warning; 0, negatives and NaN are quietly 1.
        if (ms > 2147483647.0) {
            // As JavaScript prints the number: integers in full below 1e21, else shortest.
            const std::string shown = std::isinf(ms)                          ? std::string("Infinity")
                                      : (ms < 1e21 && std::trunc(ms) == ms) ? fmt::format("{:.0f}", ms)
                                                                            : fmt::format("{}", ms);
            process::emitWarning(shown + " does not fit into a 32-bit signed integer.\nTimeout duration was set to 1.",
                                 "TimeoutOverflowWarning");
        }
        return 1;
    }
    return static_cast<Loop::Millis>(std::trunc(ms));
}
} // namespace

Timeout::Timeout(Loop& loop, std::function<void()> cb, Loop::Millis delay, bool repeat)
    : Handle(loop, "timer"), callback_(std::move(cb)), delay_(delay), repeat_(repeat) {}

void Timeout::arm() {
    auto self = std::static_pointer_cast<Timeout>(shared_from_this());
    key_ = loop().addTimer(delay_, [self] { self->fire(); });
    tracing::timer("arm", handleId(), delay_);
    setActive(true);
}

void Timeout::fire() {
    tracing::timer("fire", handleId(), delay_);
    key_ = 0;
    if (repeat_) {
        // Node re-arms an interval from the time its callback starts.
        arm();
    } else {
        setActive(false);
        closeHandle();  // a spent timeout leaves the handle list
    }
    auto cb = callback_;  // the callback may clear this very timer
    if (cb) cb();
}

Timeout& Timeout::refresh() {
    // Node moves the timer to the end of its duration's list with a new start time
    // (lib/internal/timers.js, insertGuarded); cancelling and adding it again does the
    // same here, keeping this Timeout and its callback.
    if (key_ == 0 || isClosing()) return *this;
    loop().cancelTimer(key_);
    arm();
    return *this;
}

void Timeout::clear() {
    if (isClosing()) return;
    if (key_ != 0) tracing::timer("clear", handleId(), delay_);
    if (key_ != 0) loop().cancelTimer(key_);
    key_ = 0;
    setActive(false);
    closeHandle();
}

std::shared_ptr<Timeout> scheduleTimer(std::function<void()> cb, double ms, bool repeat) {
    Loop& loop = Loop::getDefault();
    auto t = std::make_shared<Timeout>(loop, std::move(cb), clampDelay(ms), repeat);
    loop.adopt(t);
    t->arm();
    return t;
}

std::shared_ptr<Timeout> setTimeout(std::function<void()> cb, double ms) {
    return scheduleTimer(std::move(cb), ms, false);
}

std::shared_ptr<Timeout> setInterval(std::function<void()> cb, double ms) {
    return scheduleTimer(std::move(cb), ms, true);
}

void clearTimeout(const std::shared_ptr<Timeout>& t) {
    if (t) t->clear();
}

void clearInterval(const std::shared_ptr<Timeout>& t) { clearTimeout(t); }

std::shared_ptr<Immediate> setImmediate(std::function<void()> cb) {
    return Loop::getDefault().addImmediate(std::move(cb));
}

void clearImmediate(const std::shared_ptr<Immediate>& im) {
    if (im) im->clear();
}

} // namespace kit
