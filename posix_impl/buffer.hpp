/// @file buffer.hpp
/// @brief `Buffer`: bytes that a socket or file delivers, `Buffer::concat`, and the
/// `ReadArena` that a socket's reads land in.
///
/// Mirrors the part of Node's `Buffer` the lessons use: a byte array with a length,
/// `Buffer.concat(list)`, `Buffer.from(string)`, `buf.subarray()`, `toString()`
/// (UTF-8), and the `<Buffer 6f 6b>` form `console.log` prints. Like a JavaScript
/// Buffer, a copy shares the bytes (a reference-counted owner), and a Buffer may be a
/// view of part of a larger block of memory, as Node's small Buffers are views of its
/// 8 KiB pool. The bytes are never modified after creation.
///
/// **Where a socket's bytes go.** libuv asks its user for memory before each read(2)
/// (the `alloc_cb` of `uv_read_start`); Node answers with a fresh 64 KiB ArrayBuffer.
/// Here a socket answers with the next free stretch of its `ReadArena`: one large,
/// contiguous reservation of address space, filled in order. Each `data` chunk is a
/// view of the stretch one read filled, so no byte is copied after the kernel's copy
/// into it. Two consequences the lessons measure (docs/performance.md):
///  - `concat` of chunks that lie end to end in one arena is free: the result is one
///    view spanning them. Lesson 01's 256 MiB upload is joined without copying a byte
///    and without a second 256 MiB of memory (Node's `Buffer.concat` holds the list
///    and the result together: about twice the file).
///  - memory that no chunk uses any more goes back to the kernel (madvise(2),
///    `MADV_DONTNEED`) 2 MiB at a time, wherever it lies, and an arena whose chunks are
///    all gone starts again from its start: a program that handles each chunk and drops
///    it stays in constant memory, and one that keeps a small slice of a chunk keeps
///    that chunk's 2 MiB block, not the chunks after it;
///  - a program that drops each chunk a little later (a file stream writing behind the
///    socket, lesson 06) reads round the arena's first 4 MiB, a ring, into pages
///    already faulted in, instead of walking on through fresh ones.
///
/// Any other `concat` copies, and frees each chunk as soon as it is copied, so peak
/// memory stays near one copy of the data.
///
/// What it leaves out: encodings other than UTF-8 and latin1 bytes, writing into a
/// Buffer, the typed-array API, `readUInt32LE` and friends.
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kit {

class ReadArena;
namespace detail {
struct ArenaChunk;
}

/// @brief A byte array (Node's `Buffer`): copies share the same bytes, as JavaScript
/// references to one Buffer do, so passing a 64 KiB chunk around costs no copy.
class Buffer {
public:
    Buffer() = default;
    /// @brief Take ownership of @p bytes.
    explicit Buffer(std::vector<std::uint8_t> bytes);
    /// @brief Copy @p bytes.
    explicit Buffer(std::span<const std::uint8_t> bytes) : Buffer(std::vector<std::uint8_t>(bytes.begin(), bytes.end())) {}
    /// @brief Take ownership of the first @p size bytes of @p bytes (memory that a
    /// read(2) filled, never zeroed first: Node's `Buffer.allocUnsafe`).
    Buffer(std::unique_ptr<std::uint8_t[]> bytes, std::size_t size);
    /// @brief Share the first @p size of @p bytes with their owner, without a copy.
    ///
    /// For a sender that reuses one packet's memory: it fills the bytes, sends a Buffer
    /// of them, and writes into them again only once no Buffer of them is left
    /// (`bytes.use_count() == 1`: the send is done and its callback has run), as a Node
    /// program may refill a Buffer after the send that used it. While one is left, the
    /// bytes must not change (every Buffer's promise); use_count() is exact only if no
    /// other thread holds one of them. Lesson 07's `tftp::Transfer` sends every DATA
    /// block of a lock-step transfer from one such packet.
    Buffer(std::shared_ptr<const std::uint8_t[]> bytes, std::size_t size);
    /// @brief `Buffer.from(string)`: the string's bytes (UTF-8 as written in the source).
    static Buffer from(std::string_view text) {
        return Buffer(std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
    }
    /// @brief `Buffer.alloc(n)`: @p n zero bytes.
    static Buffer alloc(std::size_t n) { return Buffer(std::vector<std::uint8_t>(n)); }

    /// @brief `Buffer.concat(list)`: one Buffer holding every chunk in order.
    /// Chunks that lie end to end in one ReadArena are joined without a copy; otherwise
    /// the chunks are copied and released one by one (see the file comment).
    static Buffer concat(std::vector<Buffer>&& list);

    /// @brief `buf.subarray(start, end)`: a view of bytes [start, end) sharing this
    /// Buffer's memory. Out-of-range bounds are clamped, as in Node.
    Buffer subarray(std::size_t start, std::size_t end = SIZE_MAX) const {
        end = std::min(end, size_);
        start = std::min(start, end);
        Buffer view = *this;
        view.data_ = data_ + start;
        view.size_ = end - start;
        return view;
    }

    /// @brief `buf.length`.
    std::size_t size() const { return size_; }
    /// @brief `buf.length` under Node's name.
    std::size_t length() const { return size_; }
    /// @brief Whether it holds no bytes.
    bool empty() const { return size_ == 0; }
    /// @brief The bytes, read-only.
    std::span<const std::uint8_t> bytes() const { return {data_, size_}; }
    /// @brief Pointer to the first byte.
    const std::uint8_t* data() const { return data_; }
    /// @brief `buf.toString()`: the bytes decoded as UTF-8, as Node does: valid text
    /// comes out unchanged, and each malformed sequence (a character cut in two
    /// included) becomes U+FFFD (see string_decoder.hpp).
    std::string toString() const;
    /// @brief Byte @p i.
    std::uint8_t operator[](std::size_t i) const { return data_[i]; }
    /// @brief Byte-wise equality (`buf.equals(other)`).
    bool operator==(const Buffer& other) const {
        return size_ == other.size_ && std::equal(data_, data_ + size_, other.data_);
    }

private:
    friend class ReadArena;
    Buffer(std::shared_ptr<const void> owner, const std::uint8_t* data, std::size_t size, const void* arena)
        : owner_(std::move(owner)), data_(data), size_(size), arena_(arena) {}

    std::shared_ptr<const void> owner_;  // keeps the bytes alive; null for an empty Buffer
    const std::uint8_t* data_ = nullptr;
    std::size_t size_ = 0;
    // The arena region the bytes lie in, or null: then owner_ is a detail::ArenaChunk.
    const void* arena_ = nullptr;
};

/// @brief Where a socket's reads land (libuv's `alloc_cb`): a large reservation of
/// address space, filled in order, handed out as Buffers that are views of it.
///
/// Use: `auto room = arena.room(64 * 1024); n = read(fd, room.data(), room.size());
/// Buffer chunk = arena.commit(n);`. Only the thread that owns the arena (the loop's)
/// calls room() and commit(); the Buffers may die on any thread (the thread pool's).
class ReadArena {
public:
    /// @brief An empty arena: the first room() reserves its first region.
    ReadArena();
    /// @brief Drops the current region; it is unmapped when its last chunk is gone.
    ~ReadArena();
    ReadArena(const ReadArena&) = delete;
    ReadArena& operator=(const ReadArena&) = delete;
    /// @brief Moves the current region (the chunks already cut stay valid).
    ReadArena(ReadArena&&) noexcept;
    /// @brief Moves the current region; this arena's old one is dropped.
    ReadArena& operator=(ReadArena&&) noexcept;

    /// @brief Writable memory for the next read: at most @p max bytes, and at least
    /// one byte: the current region is used to its last byte before a new one starts
    /// (so the chunks of one stream lie end to end as long as they fit in a region).
    /// Empty only if no memory can be had (mmap(2) failed: errno says why).
    std::span<std::uint8_t> room(std::size_t max);
    /// @brief The first @p n bytes of the last room(), now filled, as a Buffer.
    Buffer commit(std::size_t n);

    /// @brief Address space reserved per region (memory is used only where written).
    static constexpr std::size_t kReserve = std::size_t{1} << 30;  // 1 GiB

    /// @brief Bytes of the current region the kernel has given memory for (a test probe).
    std::size_t residentBytes() const;

    /// @brief One reservation of address space (defined in buffer.cpp).
    struct Region;

private:
    std::shared_ptr<Region> region_;
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
