// trace.cpp: KIT_TRACE output (see trace.hpp).
#include "trace.hpp"

#include "events.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <unistd.h>
#include <cstdlib>
#include <cstring>

namespace kit {

namespace trace {

bool enabled() {
    static const bool on = [] {
        const char* v = std::getenv("KIT_TRACE");
        return v != nullptr && *v != '\0' && std::strcmp(v, "0") != 0;
    }();
    return on;
}

void line(std::string_view text) {
    if (!enabled()) return;
    std::fflush(stdout);  // keep program output and trace lines in order on a terminal
    // Dim on a terminal; plain text when stderr is a file or a pipe (grep-able).
    static const bool tty = ::isatty(STDERR_FILENO) == 1;
    if (tty) fmt::print(stderr, "\x1b[2m[trace] {}\x1b[0m\n", text);
    else fmt::print(stderr, "[trace] {}\n", text);
}

void phase(std::string_view name) {
    if (!enabled()) return;
    line(fmt::format("-- phase: {}", name));
}

} // namespace trace

bool traceEnabled() { return trace::enabled(); }

void traceEmit(std::string_view owner, std::uint64_t id, std::string_view event, std::size_t listeners) {
    trace::line(fmt::format("emit {}#{} '{}' ({} listener{})", owner, id, event, listeners,
                            listeners == 1 ? "" : "s"));
}

} // namespace kit
