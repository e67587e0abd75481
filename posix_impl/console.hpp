/// @file console.hpp
/// @brief `console.log`, `console.warn`, `console.error`: print values the way Node does.
///
/// Mirrors Node's global `console`: `log` writes to stdout, `warn` and `error` to stderr,
/// each call one line, arguments separated by a space (`` console.log('a', 1) `` prints
/// `a 1`). Strings print as they are, numbers as numbers, an `Error` as `util.inspect`
/// shows it (errors.hpp), a Buffer as `<Buffer 6f 6b>` (buffer.hpp). Each line is
/// flushed at once, so the order of lines from a program and its peer is what a
/// student sees in the terminal.
///
/// What it leaves out: printf-style format strings (`%%s`, `%%d`), `console.table`,
/// `console.time`, object inspection beyond the types above, colours.
#pragma once

#include "errors.hpp"

#include <fmt/format.h>

#include <string>
#include <string_view>
#include <type_traits>

/// @brief Node's `console`: `log`, `warn`, `error`.
namespace kit::console {

/// @brief How one argument is printed; overloaded for the kit's types.
inline std::string toText(std::string_view s) { return std::string(s); }
/// @brief String literals print as they are.
inline std::string toText(const char* s) { return std::string(s); }
/// @brief std::string prints as it is.
inline std::string toText(const std::string& s) { return s; }
/// @brief Errors print as Node's `util.inspect` shows them.
inline std::string toText(const Error& e) { return inspect(e); }
/// @brief Booleans print as `true`/`false`.
inline std::string toText(bool b) { return b ? "true" : "false"; }
/// @brief Numbers print as JavaScript prints them.
template <class T>
    requires std::is_arithmetic_v<T>
std::string toText(T v) {
    return fmt::format("{}", v);
}

/// @brief Write one already formatted line to stdout (1) or stderr (2), and flush.
void writeLine(int stream, std::string_view line);

/// @brief Join the arguments with spaces, as console methods do.
template <class... A>
std::string join(const A&... args) {
    std::string out;
    bool first = true;
    ((out += first ? "" : " ", first = false, out += toText(args)), ...);
    return out;
}

/// @brief `console.log(...)`: one line on stdout.
template <class... A>
void log(const A&... args) {
    writeLine(1, join(args...));
}

/// @brief `console.warn(...)`: one line on stderr.
template <class... A>
void warn(const A&... args) {
    writeLine(2, join(args...));
}

/// @brief `console.error(...)`: one line on stderr.
template <class... A>
void error(const A&... args) {
    writeLine(2, join(args...));
}

} // namespace kit::console
