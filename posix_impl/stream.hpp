/// @file stream.hpp
/// @brief The one piece of Node's `stream` module the kit needs: a destination for
///        `pipe()` (a Writable) with backpressure.
///
/// Node's `readable.pipe(dest)` does three things (lib/internal/streams/readable.js):
/// on each `data` chunk it calls `dest.write(chunk)` and, if that returns false (the
/// destination's buffer is above its high-water mark), pauses the source; on the
/// destination's `drain` it resumes the source; on the source's `end` it calls
/// `dest.end()`. A class that implements `Writable` can be the target of
/// `ReadStream::pipe`. `net::Socket` does.
///
/// What it leaves out: Readable/Transform/Duplex as general classes, object mode,
/// `pipeline`, `unpipe`, highWaterMark options.
#pragma once

#include "buffer.hpp"

#include <functional>

namespace kit {

/// @brief Something `pipe()` can write into.
class Writable {
public:
    virtual ~Writable() = default;
    /// @brief Queue @p chunk; false means "stop until drain" (Node's `write`).
    virtual bool write(const Buffer& chunk) = 0;
    /// @brief No more data will be written (Node's `end`).
    virtual void end() = 0;
    /// @brief Call @p fn once at the next `drain` event.
    virtual void onceDrain(std::function<void()> fn) = 0;
};

} // namespace kit
