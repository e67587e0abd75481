/// @file trace.hpp
/// @brief KIT_TRACE: watch the loop turn. `KIT_TRACE=1` prints every phase, every
///        poll(2) with its descriptors and timeout, and every emitted event on stderr;
///        `KIT_TRACE=json:PATH` writes the same moments, and more, as JSON lines to PATH.
///
/// Node has no direct equivalent (the closest is `NODE_DEBUG=net,timers` and
/// `--trace-event-categories`). The variable is read once, before main(), into two
/// constant booleans. **Off** (unset, empty or "0"), each trace point costs one test of
/// `tracing::on`: every function below is an inline wrapper that tests it and calls the
/// out-of-line writer only when it is set, and the formatting happens inside the writer,
/// never in the caller's arguments (`tracing::line("fd {}", fd)`, not `fmt::format`). No
/// measurable cost in `make bench` (docs/performance.md, "The trace's cost").
///
/// **`KIT_TRACE=json:PATH`** (`%p` in PATH: the process id, for programs whose children
/// inherit the variable) truncates PATH at start-up and appends one JSON object per
/// line (the records of tests/trace/trace.schema.json): the start (argv, poller), each
/// phase's enter and leave, each poll(2) or epoll_wait(2) after it returns (descriptors
/// and interests, timeout, microseconds slept, what was ready), each emit (handle kind and
/// id, event, listener count, a short detail), handles opening, getting a descriptor and
/// closing, thread-pool jobs (submit, start and finish on the worker, callback), timers
/// armed, fired and cleared, nextTicks and immediates queued and run, the text lines of
/// `KIT_TRACE=1` as `note` records, and the exit code. Every record carries `t` (µs of
/// CLOCK_MONOTONIC, as Node's `process.hrtime`), `pid`, `src:"kit"` and `it` (the loop
/// turn, from 0; null before the first). Records are formatted into one 64 KiB buffer under
/// a mutex (the pool's workers write theirs from their own threads) and written with
/// write(2) when it fills, before each poll(2) sleep (so a server killed while it waits
/// loses nothing), and at exit: `process::run()` returning, an uncaught exception, an
/// unhandled 'error' event, `exit()`. Memory is bounded by the buffer; the time cost, about
/// 0.4 µs per record, is measured in docs/performance.md. A write error stops the
/// trace with one message on stderr; the program goes on.
///
/// The writer is process-wide state, like the default loop: one trace per process.
/// What it leaves out: a trace across fork(2), a signal ending the process (records since
/// the last poll(2) are lost), and idle/prepare phases (the loop has none).
#pragma once

#include "poller.hpp"

#include <fmt/format.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>

/// @brief `KIT_TRACE=1` (text on stderr) and `KIT_TRACE=json:PATH` (JSON lines).
namespace kit::tracing {

#ifdef KIT_TRACE_COMPILED_OUT
// A build with every trace point compiled away (the bench's "notrace" row, mk/bench.mk):
// the peer that shows what the test of `on` costs. KIT_TRACE is then ignored.
inline constexpr bool on = false;
inline constexpr bool json = false;
#else
/// @brief Whether KIT_TRACE was set at start-up (to anything but "" or "0"). Constant
/// after static initialization: the one test each trace point makes.
extern const bool on;
/// @brief Whether the trace is JSON lines (`KIT_TRACE=json:PATH`) rather than text.
extern const bool json;
#endif

/// @brief Whether tracing is on (same as `on`).
inline bool enabled() { return on; }

/// @brief The writers behind the inline trace points; call those instead.
namespace detail {
void text(std::string_view text);
void phase(std::string_view name, bool enter);
void turn(std::int64_t iteration);
void poll(std::string_view syscall, int timeoutMs, std::span<const PollEvent> interest, std::int64_t sleptUs,
          std::span<const PollEvent> ready);
void handle(std::string_view op, std::string_view kind, std::uint64_t id, int fd);
void emit(std::string_view owner, std::uint64_t id, std::string_view event, std::size_t listeners,
          std::string_view detail);
void pool(std::string_view op, std::uint64_t job, std::string_view what, int thread);
void timer(std::string_view op, std::uint64_t id, std::uint64_t ms);
void queue(std::string_view ev, std::string_view op);
void exit(int code);
void flush();
} // namespace detail

/// @brief One trace line ("[trace] ..." on stderr; a `note` record in JSON).
inline void line(std::string_view text) {
    if (on) [[unlikely]]
        detail::text(text);
}

/// @brief One trace line formatted only when tracing is on: `tracing::line("fd {}", fd)`.
template <class A0, class... A>
inline void line(fmt::format_string<A0, A...> format, A0&& a0, A&&... args) {
    if (on) [[unlikely]]
        detail::text(fmt::format(format, std::forward<A0>(a0), std::forward<A>(args)...));
}

/// @brief The loop enters phase @p name ("timers", "pending", "poll", "check", "close").
inline void phase(std::string_view name) {
    if (on) [[unlikely]]
        detail::phase(name, true);
}

/// @brief The loop leaves phase @p name (JSON only: the text trace shows entries).
inline void phaseLeave(std::string_view name) {
    if (on) [[unlikely]]
        detail::phase(name, false);
}

/// @brief The loop starts turn @p iteration (0, 1, ...): the `it` of later records.
inline void turn(std::int64_t iteration) {
    if (on) [[unlikely]]
        detail::turn(iteration);
}

/// @brief One poll(2) (@p syscall "poll" or "epoll_wait") has returned: @p interest the
/// descriptors it watched and their events, @p sleptUs how long it slept, @p ready what it
/// reported (PollEvent::revents). JSON only: the loop prints its text lines itself.
inline void poll(std::string_view syscall, int timeoutMs, std::span<const PollEvent> interest, std::int64_t sleptUs,
                 std::span<const PollEvent> ready) {
    if (json) [[unlikely]]
        detail::poll(syscall, timeoutMs, interest, sleptUs, ready);
}

/// @brief A handle is adopted by the loop (@p op "open"), gets its descriptor @p fd ("fd"),
/// or is released ("close"). Poll records name a descriptor by its handle: `socket#2`.
inline void handle(std::string_view op, std::string_view kind, std::uint64_t id, int fd = -1) {
    if (on) [[unlikely]]
        detail::handle(op, kind, id, fd);
}

/// @brief A thread-pool job: "submit" and "callback" on the loop thread, "start" and
/// "finish" on worker @p thread. @p what names the work ("read", "open", "lookup"...).
inline void pool(std::string_view op, std::uint64_t job, std::string_view what, int thread = -1) {
    if (on) [[unlikely]]
        detail::pool(op, job, what, thread);
}

/// @brief Timer @p id (its handle's id) is armed for @p ms, fires, or is cleared.
inline void timer(std::string_view op, std::uint64_t id, std::uint64_t ms) {
    if (on) [[unlikely]]
        detail::timer(op, id, ms);
}

/// @brief A nextTick (@p ev "tick") or an immediate ("immediate") is queued or run.
inline void queue(std::string_view ev, std::string_view op) {
    if (on) [[unlikely]]
        detail::queue(ev, op);
}

/// @brief The process ends with @p code: the `exit` record, then everything is written.
/// Call it right before `_Exit`; `process::run()` calls it when the loop is done.
inline void exit(int code) {
    if (on) [[unlikely]]
        detail::exit(code);
}

/// @brief Write what the buffer holds (the loop calls it before each poll(2) sleep).
inline void flush() {
    if (on) [[unlikely]]
        detail::flush();
}

} // namespace kit::tracing
