/// @file buffer.hpp
/// @brief `Buffer`: bytes that a socket or file delivers, and `Buffer::concat`.
///
/// Mirrors the part of Node's `Buffer` the lessons use: a byte array with a length,
/// `Buffer.concat(list)`, `Buffer.from(string)`, `toString()` (UTF-8), and the
/// `<Buffer 6f 6b>` form `console.log` prints. A C++ value type: copying copies the
/// bytes (Node's Buffer is a view that shares them; pass by reference or move).
///
/// `concat` takes the list by rvalue and frees each chunk as soon as it is copied, so
/// peak memory stays near one copy of the data (Node's `Buffer.concat` holds the list
/// and the result together: about twice the data).
///
/// What it leaves out: encodings other than UTF-8 and latin1 bytes, slices sharing
/// memory, the typed-array API, `readUInt32LE` and friends.
#pragma once

#include <fmt/format.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kit {

/// @brief A byte array (Node's `Buffer`).
class Buffer {
public:
    Buffer() = default;
    /// @brief Take ownership of @p bytes.
    explicit Buffer(std::vector<std::uint8_t> bytes) : bytes_(std::move(bytes)) {}
    /// @brief Copy @p bytes.
    explicit Buffer(std::span<const std::uint8_t> bytes) : bytes_(bytes.begin(), bytes.end()) {}
    /// @brief `Buffer.from(string)`: the string's bytes (UTF-8 as written in the source).
    static Buffer from(std::string_view text) {
        return Buffer(std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
    }
    /// @brief `Buffer.alloc(n)`: @p n zero bytes.
    static Buffer alloc(std::size_t n) { return Buffer(std::vector<std::uint8_t>(n)); }

    /// @brief `Buffer.concat(list)`: one Buffer holding every chunk in order.
    /// The chunks are freed as they are copied (see the file comment).
    static Buffer concat(std::vector<Buffer>&& list) {
        std::size_t total = 0;
        for (const auto& b : list) total += b.size();
        std::vector<std::uint8_t> out;
        out.reserve(total);
        for (auto& b : list) {
            out.insert(out.end(), b.bytes_.begin(), b.bytes_.end());
            std::vector<std::uint8_t>().swap(b.bytes_);  // release this chunk now
        }
        list.clear();
        return Buffer(std::move(out));
    }

    /// @brief `buf.length`.
    std::size_t size() const { return bytes_.size(); }
    /// @brief `buf.length` under Node's name.
    std::size_t length() const { return bytes_.size(); }
    /// @brief Whether it holds no bytes.
    bool empty() const { return bytes_.empty(); }
    /// @brief The bytes, read-only.
    std::span<const std::uint8_t> bytes() const { return bytes_; }
    /// @brief Pointer to the first byte.
    const std::uint8_t* data() const { return bytes_.data(); }
    /// @brief `buf.toString()`: the bytes as text.
    std::string toString() const { return {bytes_.begin(), bytes_.end()}; }
    /// @brief Byte @p i.
    std::uint8_t operator[](std::size_t i) const { return bytes_[i]; }
    /// @brief Byte-wise equality.
    bool operator==(const Buffer&) const = default;

private:
    std::vector<std::uint8_t> bytes_;
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
