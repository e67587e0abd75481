/// @file errors.hpp
/// @brief Node-style error values: `code`, `errno`, `syscall`, `address`, `port`, `path`.
///
/// Mirrors the `Error` objects that Node.js builds from a failed system call
/// (`lib/internal/errors.js`: `uvException`, `exceptionWithHostPort`,
/// `uvExceptionWithHostPort`, `errnoException`, `dnsException`). Each factory below
/// formats `message` exactly as the Node function of the same role does, so that
/// `console::log(err)` prints what a student sees from the Node twin, e.g.
/// `listen EADDRINUSE: address already in use :::8124`.
///
/// What it leaves out: there is no JavaScript stack, so the `    at ...` lines Node
/// prints are absent (see docs/differences.md). `errnum` holds Node's `err.errno`
/// (negative, as libuv reports it); it is not called `errno` because `errno` is a
/// macro in C and C++.
#pragma once

#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kit {

/// @brief An error value as Node.js delivers it on `error` events and to callbacks.
///
/// A plain value: copy it, store it, `throw` it (it is a `std::exception`, so a
/// lesson can mirror `if (err) throw err;`).
struct Error : std::exception {
    std::string name = "Error";        ///< `err.name`: "Error", "TypeError", "RangeError".
    std::string message;               ///< `err.message`, formatted as Node formats it.
    std::string code;                  ///< `err.code`, e.g. "ECONNREFUSED" (empty if none).
    int errnum = 0;                    ///< `err.errno`: negative errno as libuv reports it (0 if none).
    std::string syscall;               ///< `err.syscall`, e.g. "connect" (empty if none).
    std::optional<std::string> path;   ///< `err.path` for fs errors.
    std::optional<std::string> hostname; ///< `err.hostname` for DNS errors.
    std::optional<std::string> address; ///< `err.address` for socket errors.
    std::optional<int> port;           ///< `err.port` for socket errors.
    /// @brief Node sets `code` before `errno` on listen errors, so `console.log` lists
    /// it first there; elsewhere `errno` comes first. Only the printed order changes.
    bool codeFirst = false;
    /// @brief A Node-internal error (Node's `NodeError`, `NodeAggregateError`): its
    /// code shows in the first line, `AggregateError [ECONNREFUSED]: `.
    bool codeInHeader = false;
    /// @brief `err.errors` of an AggregateError: one error per failed attempt.
    std::vector<Error> errors;

    /// @brief The message, for `std::exception` users.
    const char* what() const noexcept override { return message.c_str(); }

    /// @brief Node's `uvException`: "ENOENT: no such file or directory, open './x'".
    /// @param sysErrno positive errno from the failed call
    /// @param syscall name of the call, e.g. "open"
    /// @param path the file involved, if any
    static Error uv(int sysErrno, std::string_view syscall,
                    std::optional<std::string> path = std::nullopt);

    /// @brief Node's `errnoException`: "read ECONNRESET".
    static Error errnoException(int sysErrno, std::string_view syscall);

    /// @brief Node's `exceptionWithHostPort`: "connect ECONNREFUSED 127.0.0.1:8124".
    static Error withHostPort(int sysErrno, std::string_view syscall,
                              std::string_view address, int port);

    /// @brief Node's `uvExceptionWithHostPort`:
    /// "listen EADDRINUSE: address already in use :::8124".
    static Error uvWithHostPort(int sysErrno, std::string_view syscall,
                                std::string_view address, int port);

    /// @brief Node's `dnsException`: "getaddrinfo ENOTFOUND nosuchhost".
    /// @param gaiCode a getaddrinfo(3) return value (EAI_NONAME, ...)
    /// @param syscall the name shown in the message, e.g. "getaddrinfo"
    /// @param hostname the name that was looked up
    static Error dns(int gaiCode, std::string_view syscall, std::string_view hostname);

    /// @brief Node's `NodeAggregateError`: every attempt to connect to a name with
    /// several addresses failed. Empty message, the first error's code, and
    /// @p errors (in attempt order) under `[errors]`.
    static Error aggregate(std::vector<Error> errors);

    /// @brief A plain `new Error(message)` (or TypeError/RangeError with @p name) with a code.
    static Error plain(std::string message, std::string code = {}, std::string name = "Error");
};

/// @brief libuv's name for an errno value: 104 -> "ECONNRESET".
std::string_view errorCode(int sysErrno);

/// @brief libuv's description of an errno value: 104 -> "connection reset by peer".
std::string_view errorDescription(int sysErrno);

/// @brief Format an error as `console.log(err)` prints it in Node (`util.inspect`).
///
/// The first line is `name: message`; own properties follow in braces in Node's order
/// (errno, code, syscall, path, hostname, address, port). Stack frames are omitted.
std::string inspect(const Error& err);

} // namespace kit
