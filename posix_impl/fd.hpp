/// @file fd.hpp
/// @brief Internal: `UniqueFd`, the one owner of a file descriptor in the kit.
///
/// libuv keeps a plain `int fd` in each handle and closes it in `uv__stream_close`,
/// `uv__udp_close` or `uv_fs_close`; forgetting one of those calls is a descriptor
/// leak, which a server that runs for weeks turns into EMFILE. Here the descriptor
/// lives in a `UniqueFd` (RAII): whoever holds it (a Socket, a Server, a dgram
/// Socket, a ReadStream, a writeFile call on the pool) closes it exactly once, when it
/// resets it or when it is destroyed, on every path, errors and exceptions included.
/// It is move-only, like `std::unique_ptr`: a descriptor has one owner at a time.
///
/// Not part of Node's API; what it leaves out: sharing a descriptor between owners
/// (dup(2) is the way, when a later lesson needs it).
#pragma once

#include <unistd.h>

namespace kit {

/// @brief Owns one descriptor and closes it with close(2) when destroyed or reset.
class UniqueFd {
public:
    /// @brief Hold nothing (-1).
    UniqueFd() = default;
    /// @brief Take ownership of @p fd (-1 for none), e.g. the result of socket(2).
    explicit UniqueFd(int fd) : fd_(fd) {}
    ~UniqueFd() { reset(); }
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    /// @brief Move: the source no longer owns the descriptor.
    UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
    /// @brief Move-assign: closes the descriptor held before.
    UniqueFd& operator=(UniqueFd&& other) noexcept {
        if (this != &other) reset(other.release());
        return *this;
    }
    /// @brief The descriptor, or -1; still owned by this object.
    int get() const { return fd_; }
    /// @brief Whether a descriptor is held.
    explicit operator bool() const { return fd_ >= 0; }
    /// @brief Give up ownership without closing; returns the descriptor.
    int release() {
        const int fd = fd_;
        fd_ = -1;
        return fd;
    }
    /// @brief Close the held descriptor (if any) and hold @p fd instead.
    void reset(int fd = -1) {
        if (fd_ >= 0) {
            // close(2) is not retried on EINTR: on Linux the descriptor is released
            // even then, and a retry could close one another thread has just opened.
            ::close(fd_);
        }
        fd_ = fd;
    }

private:
    int fd_ = -1;
};

} // namespace kit
