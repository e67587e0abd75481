// events.cpp: the fatal report for an 'error' event nobody listens to.
#include "events.hpp"

#include "console.hpp"
#include "trace.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>

namespace kit {

// Node ends its fatal reports with its version; the kit names itself instead.
extern const char* const kRuntimeLine;
const char* const kRuntimeLine = "posix_impl (C++ twin of Node.js v20)";

void unhandledErrorEvent(const Error& err, std::string_view owner) {
    // Node (lib/events.js) throws the error from emit(); nothing catches it, so the
    // process prints this report and exits with status 1. The kit prints the same
    // report without what it does not have: the JavaScript stack frames, and the
    // source position Node's first lines give (`node:events:502` and the line
    // `throw er;` of Node's own events.js). Its first line names the C++ function
    // that ends the process instead; tests/diff/harness.js maps both headers to one.
    std::string props = inspect(err);
    const auto brace = props.find(" {\n");
    std::string head = brace == std::string::npos ? props : props.substr(0, brace);
    std::string tail = brace == std::string::npos ? "" : props.substr(brace);
    // Node names the class, except for a plain EventEmitter.
    const std::string on = owner == "EventEmitter" ? "" : fmt::format(" on {} instance", owner);
    console::error(fmt::format("posix_impl/events.cpp, EventEmitter::emit: Unhandled 'error' event\n\n"
                               "{}\nEmitted 'error' event{} at:{}\n\n{}",
                               head, on, tail, kRuntimeLine));
    std::fflush(nullptr);
    tracing::exit(1);
    std::_Exit(1);
}

} // namespace kit
