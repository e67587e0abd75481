/// @file process.hpp
/// @brief The parts of Node's `process` a program needs: `nextTick`, the exit code,
///        and running the loop to the end, as `node program.js` does after the script.
///
/// A Node process runs the main script, then the event loop until nothing is left,
/// then exits with `process.exitCode` (0 by default). A kit program does the same by
/// ending `main` with `return kit::process::run();`.
///
/// Signals: `onSignal(SIGTERM, fn)` is `process.on('SIGTERM', fn)`. As libuv does
/// (src/unix/signal.c), the signal handler only writes the signal's number into a pipe
/// (write(2) is async-signal-safe; almost nothing else is), and the loop, which polls
/// the pipe's other end, runs the listeners on its own thread like any other callback.
/// As in Node, a listener replaces the default action (SIGINT and SIGTERM no longer end
/// the process), and a signal listener does not keep the loop alive by itself.
///
/// What it leaves out: `` process.on('exit') ``, removing a signal listener, `argv` parsing (each
/// lesson parses its own flags), `env` (use `std::getenv`), the `'warning'` event and
/// `--no-warnings` (warnings always go to stderr).
#pragma once

#include <functional>
#include <string>

/// @brief Node's `process`: `nextTick`, the exit code, running the loop to the end.
namespace kit::process {

/// @brief Queue @p fn to run right after the current callback (`process.nextTick`).
void nextTick(std::function<void()> fn);

/// @brief Run the default loop until nothing is left; return the exit code to use.
int run();

/// @brief Set the code `run()` returns (`process.exitCode = n`).
void setExitCode(int code);

/// @brief The code `run()` will return.
int exitCode();

/// @brief `process.emitWarning(message, type)`: on the next tick, print
/// `(node:PID) Type: message` on stderr, as Node's default warning handler does, and
/// after the first warning of the process the hint Node prints once
/// (`(Use `node --trace-warnings ...` to show where the warning was created)`).
/// The kit's own warnings use it: `TimeoutOverflowWarning` from `setTimeout`.
void emitWarning(std::string message, std::string type = "Warning");

/// @brief `process.on(signal, listener)`: run @p listener on the loop thread each time
/// the signal @p signo (SIGINT, SIGTERM, SIGHUP...) arrives; the default action is
/// replaced by sigaction(2). Listeners of one signal run in the order they were added.
void onSignal(int signo, std::function<void()> listener);

} // namespace kit::process
