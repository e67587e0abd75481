/// @file trace.hpp
/// @brief KIT_TRACE=1: watch the loop turn. Every phase, every poll(2) with its
///        descriptors and timeout, and every emitted event, printed to stderr.
///
/// Node has no direct equivalent (the closest is `NODE_DEBUG=net,timers` and
/// `--trace-event-categories`). The flag is read once at start-up; when it is off, each
/// trace point costs one test of a constant boolean.
#pragma once

#include <string_view>

/// @brief `KIT_TRACE=1`: the loop's phases, each poll(2) and each event, on stderr.
namespace kit::trace {

/// @brief Whether KIT_TRACE=1 (or any value but "0") was set at start-up.
bool enabled();

/// @brief Print one trace line ("[trace] ...") to stderr if tracing is on.
void line(std::string_view text);

/// @brief Print the loop phase being entered, if tracing is on.
void phase(std::string_view name);

} // namespace kit::trace
