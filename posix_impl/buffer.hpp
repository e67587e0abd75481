/// @file buffer.hpp
/// @brief `Buffer`: bytes that a socket or file delivers, and `Buffer::concat`.
///
/// Mirrors the part of Node's `Buffer` the lessons use: a byte array with a length,
/// `Buffer.concat(list)`, `Buffer.from(string)`, `toString()` (UTF-8), and the
/// `<Buffer 6f 6b>` form `console.log` prints. Like a JavaScript Buffer, a copy shares
/// the bytes (a reference-counted pointer): they are never modified after creation.
///
/// `concat` takes the list by rvalue and frees each chunk as soon as it is copied, so
/// peak memory stays near one copy of the data (Node's `Buffer.concat` holds the list
/// and the result together: about twice the data).
///
/// What it leaves out: encodings other than UTF-8 and latin1 bytes, slices sharing
/// memory, writing into a Buffer, the typed-array API, `readUInt32LE` and friends.
#pragma once

#include <fmt/format.h>
#include <malloc.h>
#include <sys/mman.h>

#include <cstddef>
#include <algorithm>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kit {

/// @brief A byte array (Node's `Buffer`): copies share the same bytes, as JavaScript
/// references to one Buffer do, so passing a 64 KiB chunk around costs no copy.
class Buffer {
public:
    Buffer() = default;
    /// @brief Take ownership of @p bytes.
    explicit Buffer(std::vector<std::uint8_t> bytes)
        : bytes_(std::make_shared<std::vector<std::uint8_t>>(std::move(bytes))) {}
    /// @brief Copy @p bytes.
    explicit Buffer(std::span<const std::uint8_t> bytes)
        : bytes_(std::make_shared<std::vector<std::uint8_t>>(bytes.begin(), bytes.end())) {}
    /// @brief `Buffer.from(string)`: the string's bytes (UTF-8 as written in the source).
    static Buffer from(std::string_view text) {
        return Buffer(std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
    }
    /// @brief `Buffer.alloc(n)`: @p n zero bytes.
    static Buffer alloc(std::size_t n) { return Buffer(std::vector<std::uint8_t>(n)); }

    /// @brief `Buffer.concat(list)`: one Buffer holding every chunk in order.
    /// The chunks are released as they are copied (see the file comment).
    static Buffer concat(std::vector<Buffer>&& list) {
        std::size_t total = 0;
        for (const auto& b : list) total += b.size();
        std::vector<std::uint8_t> out;
        out.reserve(total);  // address space only: pages are touched as bytes arrive
        adviseHugePages(out.data(), total);
        std::size_t sinceTrim = 0;
        for (auto& b : list) {
            const auto bytes = b.bytes();
            out.insert(out.end(), bytes.begin(), bytes.end());
            sinceTrim += bytes.size();
            b.bytes_.reset();  // release this chunk now (freed if no one else shares it)
            // Freed 64 KiB chunks stay in malloc's heap, still counted in the
            // process's memory; malloc_trim(3) hands their pages back to the kernel.
            if (sinceTrim >= kTrimEvery) {
                malloc_trim(0);
                sinceTrim = 0;
            }
        }
        list.clear();
        return Buffer(std::move(out));
    }

    /// @brief `concat` returns freed memory to the kernel after this many bytes.
    static constexpr std::size_t kTrimEvery = 8 * 1024 * 1024;

    /// @brief `buf.length`.
    std::size_t size() const { return bytes_ ? bytes_->size() : 0; }
    /// @brief `buf.length` under Node's name.
    std::size_t length() const { return size(); }
    /// @brief Whether it holds no bytes.
    bool empty() const { return size() == 0; }
    /// @brief The bytes, read-only.
    std::span<const std::uint8_t> bytes() const {
        return bytes_ ? std::span<const std::uint8_t>(*bytes_) : std::span<const std::uint8_t>();
    }
    /// @brief Pointer to the first byte.
    const std::uint8_t* data() const { return bytes_ ? bytes_->data() : nullptr; }
    /// @brief `buf.toString()`: the bytes as text.
    std::string toString() const { return {bytes().begin(), bytes().end()}; }
    /// @brief Byte @p i.
    std::uint8_t operator[](std::size_t i) const { return (*bytes_)[i]; }
    /// @brief Byte-wise equality (`buf.equals(other)`).
    bool operator==(const Buffer& other) const {
        const auto a = bytes(), b = other.bytes();
        return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
    }

private:
    // Ask for 2 MiB pages (madvise(2), MADV_HUGEPAGE) on a large buffer about to be
    // filled: one page fault per 2 MiB instead of one per 4 KiB. Only advice: where
    // transparent huge pages are off, nothing changes.
    static void adviseHugePages(const void* start, std::size_t length) {
        constexpr std::uintptr_t kHuge = 2 * 1024 * 1024;
        if (length < 2 * kHuge) return;
        const auto begin = (reinterpret_cast<std::uintptr_t>(start) + kHuge - 1) & ~(kHuge - 1);
        const auto end = (reinterpret_cast<std::uintptr_t>(start) + length) & ~(kHuge - 1);
        // The address must be rounded to a page boundary, which needs integer arithmetic.
        // NOLINTNEXTLINE(performance-no-int-to-ptr): the cast back is the point here.
        if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
    }

    std::shared_ptr<std::vector<std::uint8_t>> bytes_;  // null for an empty Buffer
};

/// @brief How console::log prints a Buffer: `<Buffer 6f 6b>` (at most 50 bytes shown).
inline std::string inspect(const Buffer& b) {
    std::string out = "<Buffer";
    const std::size_t shown = b.size() < 50 ? b.size() : 50;
    for (std::size_t i = 0; i < shown; ++i) out += fmt::format(" {:02x}", b[i]);
    if (b.size() > shown) out += fmt::format(" ... {} more bytes", b.size() - shown);
    return out + ">";
}

/// @brief How console::log prints a Buffer (found by argument-dependent lookup).
inline std::string toText(const Buffer& b) { return inspect(b); }

} // namespace kit
