// errors.cpp: Node-style error values (see errors.hpp).
#include "errors.hpp"

#include <fmt/format.h>
#include <netdb.h>

#include <cstring>
#include <utility>

namespace kit {

namespace {

// libuv's table of error names and messages (uv_err_name / uv_strerror), for the
// errno values a socket or file program meets. Node copies its messages from here.
struct ErrnoEntry {
    int value;
    const char* code;
    const char* description;
};

constexpr ErrnoEntry kErrnoTable[] = {
    {98, "EADDRINUSE", "address already in use"},
    {13, "EACCES", "permission denied"},
    {111, "ECONNREFUSED", "connection refused"},
    {104, "ECONNRESET", "connection reset by peer"},
    {32, "EPIPE", "broken pipe"},
    {2, "ENOENT", "no such file or directory"},
    {90, "EMSGSIZE", "message too long"},
    {24, "EMFILE", "too many open files"},
    {28, "ENOSPC", "no space left on device"},
    {27, "EFBIG", "file too large"},
    {110, "ETIMEDOUT", "connection timed out"},
    {11, "EAGAIN", "resource temporarily unavailable"},
    {4, "EINTR", "interrupted system call"},
    {9, "EBADF", "bad file descriptor"},
    {22, "EINVAL", "invalid argument"},
    {99, "EADDRNOTAVAIL", "address not available"},
    {20, "ENOTDIR", "not a directory"},
    {21, "EISDIR", "illegal operation on a directory"},
    {17, "EEXIST", "file already exists"},
    {101, "ENETUNREACH", "network is unreachable"},
    {113, "EHOSTUNREACH", "host is unreachable"},
    {103, "ECONNABORTED", "software caused connection abort"},
    {23, "ENFILE", "file table overflow"},
    {105, "ENOBUFS", "no buffer space available"},
    {107, "ENOTCONN", "socket is not connected"},
    {97, "EAFNOSUPPORT", "address family not supported"},
    {30, "EROFS", "read-only file system"},
    {1, "EPERM", "operation not permitted"},
    {36, "ENAMETOOLONG", "name too long"},
    {88, "ENOTSOCK", "socket operation on non-socket"},
    {125, "ECANCELED", "operation canceled"},
    {114, "EALREADY", "connection already in progress"},
    {5, "EIO", "i/o error"},
    {12, "ENOMEM", "not enough memory"},
    {40, "ELOOP", "too many symbolic links encountered"},
    {39, "ENOTEMPTY", "directory not empty"},
    {38, "ENOSYS", "function not implemented"},
    {71, "EPROTO", "protocol error"},
    {18, "EXDEV", "cross-device link not permitted"},
    {16, "EBUSY", "resource busy or locked"},
    {14, "EFAULT", "bad address in system call argument"},
    {106, "EISCONN", "socket is already connected"},
    {92, "ENOPROTOOPT", "protocol not available"},
    {95, "ENOTSUP", "operation not supported on socket"},
    {93, "EPROTONOSUPPORT", "protocol not supported"},
    {29, "ESPIPE", "invalid seek"},
};

const ErrnoEntry* findErrno(int value) {
    for (const auto& e : kErrnoTable)
        if (e.value == value) return &e;
    return nullptr;
}

// getaddrinfo(3) failures, named as c-ares/Node name them (ENOTFOUND for "no such host").
std::pair<std::string, int> dnsCode(int gai) {
    switch (gai) {
    case EAI_NONAME:
#ifdef EAI_NODATA
    case EAI_NODATA:
#endif
        return {"ENOTFOUND", -3008};
    case EAI_AGAIN: return {"EAI_AGAIN", -3001};
    case EAI_FAIL: return {"EAI_FAIL", -3007};
    case EAI_FAMILY: return {"EAI_FAMILY", -3003};
    case EAI_MEMORY: return {"EAI_MEMORY", -3005};
    default: return {"EAI_FAIL", -3007};
    }
}

} // namespace

std::string_view errorCode(int sysErrno) {
    if (const auto* e = findErrno(sysErrno)) return e->code;
    return "UNKNOWN";
}

std::string_view errorDescription(int sysErrno) {
    if (const auto* e = findErrno(sysErrno)) return e->description;
    return "unknown error";
}

Error Error::uv(int sysErrno, std::string_view syscall, std::optional<std::string> path) {
    Error e;
    e.code = errorCode(sysErrno);
    e.errnum = -sysErrno;
    e.syscall = syscall;
    e.message = fmt::format("{}: {}, {}", e.code, errorDescription(sysErrno), syscall);
    if (path) e.message += fmt::format(" '{}'", *path);
    e.path = std::move(path);
    return e;
}

Error Error::errnoException(int sysErrno, std::string_view syscall) {
    Error e;
    e.code = errorCode(sysErrno);
    e.errnum = -sysErrno;
    e.syscall = syscall;
    e.message = fmt::format("{} {}", syscall, e.code);
    return e;
}

Error Error::withHostPort(int sysErrno, std::string_view syscall, std::string_view address,
                          int port) {
    Error e = errnoException(sysErrno, syscall);
    e.address = std::string(address);
    e.message += fmt::format(" {}", address);
    if (port > 0) {
        e.port = port;
        e.message += fmt::format(":{}", port);
    }
    return e;
}

Error Error::uvWithHostPort(int sysErrno, std::string_view syscall, std::string_view address,
                            int port) {
    Error e;
    e.code = errorCode(sysErrno);
    e.errnum = -sysErrno;
    e.syscall = syscall;
    e.address = std::string(address);
    e.codeFirst = true;
    e.message = fmt::format("{} {}: {} {}", syscall, e.code, errorDescription(sysErrno), address);
    if (port > 0) {
        e.port = port;
        e.message += fmt::format(":{}", port);
    }
    return e;
}

Error Error::dns(int gaiCode, std::string_view syscall, std::string_view hostname) {
    Error e;
    auto [code, num] = dnsCode(gaiCode);
    e.code = code;
    e.errnum = num;
    e.syscall = syscall;
    e.hostname = std::string(hostname);
    e.message = fmt::format("{} {} {}", syscall, e.code, hostname);
    return e;
}

Error Error::plain(std::string message, std::string code, std::string name) {
    Error e;
    e.name = std::move(name);
    e.message = std::move(message);
    e.code = std::move(code);
    // Node's own errors (NodeError: every ERR_* code) show the code in their first
    // line: "Error [ERR_STREAM_WRITE_AFTER_END]: write after end".
    e.codeInHeader = e.code.rfind("ERR_", 0) == 0;
    return e;
}

Error Error::aggregate(std::vector<Error> errors) {
    Error e;
    e.name = "AggregateError";
    e.code = errors.empty() ? std::string() : errors.front().code;
    e.codeInHeader = true;
    e.errors = std::move(errors);
    return e;
}

namespace {
// util.inspect of an error, its properties indented by @p indent spaces (nested errors
// of an AggregateError sit 4 deeper, as Node prints them).
std::string inspectAt(const Error& err, std::size_t indent) {
    std::string out = err.codeInHeader && !err.code.empty()
                          ? fmt::format("{} [{}]: {}", err.name, err.code, err.message)
                          : fmt::format("{}: {}", err.name, err.message);
    const std::string pad(indent + 2, ' ');
    std::string props;
    auto add = [&props, &pad](const std::string& line) {
        props += props.empty() ? "" : ",\n";
        props += pad + line;
    };
    if (err.codeFirst && !err.code.empty()) add(fmt::format("code: '{}'", err.code));
    if (err.errnum != 0) add(fmt::format("errno: {}", err.errnum));
    if (!err.codeFirst && !err.code.empty()) add(fmt::format("code: '{}'", err.code));
    if (!err.syscall.empty()) add(fmt::format("syscall: '{}'", err.syscall));
    if (err.path) add(fmt::format("path: '{}'", *err.path));
    if (err.hostname) add(fmt::format("hostname: '{}'", *err.hostname));
    if (err.address) add(fmt::format("address: '{}'", *err.address));
    if (err.port) add(fmt::format("port: {}", *err.port));
    if (!err.errors.empty()) {
        std::string list;
        for (const auto& nested : err.errors) {
            list += list.empty() ? "" : ",\n";
            list += std::string(indent + 4, ' ') + inspectAt(nested, indent + 4);
        }
        add("[errors]: [\n" + list + "\n" + pad + "]");
    }
    if (!props.empty()) out += " {\n" + props + "\n" + std::string(indent, ' ') + "}";
    return out;
}
} // namespace

std::string inspect(const Error& err) { return inspectAt(err, 0); }

} // namespace kit
