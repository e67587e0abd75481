// buffer.cpp: Buffer::concat and the ReadArena (see buffer.hpp).
//
// A region's life, in system calls:
//   mmap(2) PROT_NONE       reserve 1 GiB of address space: no memory, nothing charged
//   mprotect(2) READ|WRITE  make the next stretch writable, doubling as reads need more
//   read(2) into it         the kernel gives a page of memory at its first write
//   madvise(2) DONTNEED     give back pages that no chunk uses any more
//   munmap(2)               when the socket and the last chunk are gone
#include "buffer.hpp"

#include "string_decoder.hpp"

#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <map>
#include <mutex>

namespace kit {

namespace {

constexpr std::size_t kHuge = 2 * 1024 * 1024;  // a transparent huge page (x86-64, arm64)

std::size_t pageSize() {
    static const std::size_t size = [] {
        const long s = ::sysconf(_SC_PAGESIZE);
        return s > 0 ? static_cast<std::size_t>(s) : std::size_t{4096};
    }();
    return size;
}

constexpr std::size_t roundDown(std::size_t n, std::size_t to) { return n / to * to; }
constexpr std::size_t roundUp(std::size_t n, std::size_t to) { return (n + to - 1) / to * to; }

// Ask for 2 MiB pages (madvise(2), MADV_HUGEPAGE) on memory about to be filled: one
// page fault per 2 MiB instead of one per 4 KiB. Only advice: where transparent huge
// pages are off, nothing changes.
void adviseHugePages(const void* start, std::size_t length) {
    const auto from = roundUp(reinterpret_cast<std::uintptr_t>(start), kHuge);
    const auto to = roundDown(reinterpret_cast<std::uintptr_t>(start) + length, kHuge);
    // NOLINTNEXTLINE(performance-no-int-to-ptr): an address rounded to a page boundary.
    if (to > from) ::madvise(reinterpret_cast<void*>(from), to - from, MADV_HUGEPAGE);
}

} // namespace

// ===========================================================================
// A region: one reservation of address space, filled from its start.
// ===========================================================================

/// @cond INTERNAL
// (Doxygen skips the implementation types; buffer.hpp documents what they do.)
struct ReadArena::Region {
    std::uint8_t* base = nullptr;
    std::size_t reserved = 0;  // bytes of address space
    std::size_t writable = 0;  // [0, writable) is READ|WRITE; the rest PROT_NONE

    std::mutex mu;             // chunks die on any thread; the rest is the loop's
    std::size_t used = 0;      // [0, used) handed out (and touched) since the last rewind
    std::size_t returned = 0;  // [0, returned) given back with MADV_DONTNEED
    std::map<std::size_t, int> live;  // start offset -> chunks starting there

    /// A fresh region of @p size bytes of address space, 2 MiB aligned; null on failure.
    static std::shared_ptr<Region> reserve(std::size_t size) {
        // Reserve 2 MiB more and cut the ends off, so that the region starts on a huge
        // page boundary and the kernel can fill it 2 MiB at a time.
        const std::size_t span = size + kHuge;
        void* p = ::mmap(nullptr, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p == MAP_FAILED) return nullptr;
        auto* raw = static_cast<std::uint8_t*>(p);
        const std::size_t head = roundUp(reinterpret_cast<std::uintptr_t>(raw), kHuge) - reinterpret_cast<std::uintptr_t>(raw);
        if (head > 0) ::munmap(raw, head);
        if (kHuge - head > 0) ::munmap(raw + head + size, kHuge - head);
        auto region = std::make_shared<Region>();
        region->base = raw + head;
        region->reserved = size;
        return region;
    }

    Region() = default;
    Region(const Region&) = delete;
    Region& operator=(const Region&) = delete;
    ~Region() {
        if (base != nullptr) ::munmap(base, reserved);
    }

    // Make [0, want) writable (mprotect(2)), growing by doubling. False if the kernel
    // refuses the memory (ENOMEM where overcommit is strict).
    bool makeWritable(std::size_t want) {
        if (want <= writable) return true;
        std::size_t next = std::max({want, writable * 2, std::size_t{256 * 1024}});
        next = std::min(roundUp(next, next >= kHuge ? kHuge : pageSize()), reserved);
        if (::mprotect(base + writable, next - writable, PROT_READ | PROT_WRITE) != 0) return false;
        // Past the first 2 MiB, ask for huge pages: this socket's consumer keeps what
        // it reads (lesson 01 keeps the whole upload). The first 2 MiB keep small
        // pages, so that a socket whose chunks are dropped costs kilobytes.
        if (writable <= kHuge && next > kHuge) adviseHugePages(base + kHuge, reserved - kHuge);
        writable = next;
        return true;
    }

    // Give back [returned, upTo) rounded down to whole pages, if at least @p step
    // bytes are waiting. Called with mu held; the pages lie below every live chunk
    // and below `used`, so no one reads or writes them.
    void giveBack(std::size_t upTo, std::size_t step) {
        const std::size_t to = roundDown(upTo, pageSize());
        if (to <= returned || to - returned < step) return;
        ::madvise(base + returned, to - returned, MADV_DONTNEED);
        returned = to;
    }

    // A chunk starting at @p offset died (any thread).
    void release(std::size_t offset) {
        std::lock_guard lock(mu);
        auto it = live.find(offset);
        if (it != live.end() && --it->second == 0) live.erase(it);
        // Everything below the first live chunk is free. Giving it back 2 MiB at a
        // time keeps a consumer that drops chunks in order (a pipe) in bounded memory.
        giveBack(live.empty() ? used : live.begin()->first, kHuge);
    }

    void hold(std::size_t offset) {
        std::lock_guard lock(mu);
        ++live[offset];
    }
};

namespace detail {
/// @brief What keeps a Buffer cut from a ReadArena alive: the region, and its place
/// in the region's count of live chunks.
struct ArenaChunk {
    std::shared_ptr<ReadArena::Region> region;
    std::size_t offset = 0;
    ArenaChunk(std::shared_ptr<ReadArena::Region> r, std::size_t off) : region(std::move(r)), offset(off) {
        region->hold(offset);
    }
    ArenaChunk(const ArenaChunk&) = delete;
    ArenaChunk& operator=(const ArenaChunk&) = delete;
    ~ArenaChunk() { region->release(offset); }
};
} // namespace detail
/// @endcond

// ===========================================================================
// ReadArena: room() before each read, commit() after it.
// ===========================================================================

ReadArena::ReadArena() = default;
ReadArena::~ReadArena() = default;
ReadArena::ReadArena(ReadArena&&) noexcept = default;
ReadArena& ReadArena::operator=(ReadArena&&) noexcept = default;

std::span<std::uint8_t> ReadArena::room(std::size_t max) {
    if (region_) {
        std::lock_guard lock(region_->mu);
        Region& r = *region_;
        if (r.live.empty() && r.used > 0) {
            // No chunk is alive: start again from the start, where the pages are warm,
            // and give back what lies beyond the first 256 KiB.
            constexpr std::size_t kKeepWarm = 256 * 1024;
            if (r.used > kKeepWarm) ::madvise(r.base + kKeepWarm, roundUp(r.used, pageSize()) - kKeepWarm, MADV_DONTNEED);
            r.used = r.returned = 0;
        }
        if (r.reserved - r.used >= pageSize()) {
            const std::size_t n = std::min(max, r.reserved - r.used);
            if (r.makeWritable(r.used + n)) return {r.base + r.used, n};
            if (r.writable - r.used >= pageSize()) return {r.base + r.used, r.writable - r.used};
            errno = ENOMEM;
            return {};
        }
    }
    // First read, or this region is full: a new one. The old one lives on until its
    // last chunk is gone. If 1 GiB of address space is refused (ulimit -v), try less.
    for (std::size_t size = kReserve; size >= 4 * kHuge; size /= 4) {
        if (auto fresh = Region::reserve(size)) {
            region_ = std::move(fresh);
            if (!region_->makeWritable(std::min(max, size))) break;
            return {region_->base, std::min(max, size)};
        }
    }
    errno = ENOMEM;
    return {};
}

Buffer ReadArena::commit(std::size_t n) {
    if (n == 0) return {};
    std::size_t offset = 0;
    {
        std::lock_guard lock(region_->mu);
        offset = region_->used;
        region_->used += n;
    }
    auto owner = std::make_shared<const detail::ArenaChunk>(region_, offset);
    return Buffer(std::move(owner), region_->base + offset, n, region_.get());
}

std::size_t ReadArena::residentBytes() const {
    if (!region_ || region_->writable == 0) return 0;
    std::vector<unsigned char> pages(region_->writable / pageSize());
    if (::mincore(region_->base, region_->writable, pages.data()) != 0) return 0;
    std::size_t count = 0;
    for (unsigned char p : pages) count += p & 1;
    return count * pageSize();
}

// ===========================================================================
// Buffer.
// ===========================================================================

Buffer::Buffer(std::vector<std::uint8_t> bytes) {
    if (bytes.empty()) return;
    auto owner = std::make_shared<const std::vector<std::uint8_t>>(std::move(bytes));
    data_ = owner->data();
    size_ = owner->size();
    owner_ = std::move(owner);
}

Buffer::Buffer(std::unique_ptr<std::uint8_t[]> bytes, std::size_t size) {
    if (size == 0) return;
    std::shared_ptr<const std::uint8_t[]> owner(std::move(bytes));
    data_ = owner.get();
    size_ = size;
    owner_ = std::move(owner);
}

std::string Buffer::toString() const {
    return utf8Decode(std::string_view(reinterpret_cast<const char*>(data_), size_));
}

Buffer Buffer::concat(std::vector<Buffer>&& list) {
    std::vector<Buffer> chunks = std::move(list);  // released when this call returns
    list.clear();
    std::size_t total = 0;
    for (const auto& b : chunks) total += b.size();
    if (total == 0) return {};

    // Chunks end to end in one arena region: the result is one view spanning them.
    const Buffer* first = nullptr;
    const Buffer* last = nullptr;
    bool adjacent = true;
    for (const auto& b : chunks) {
        if (b.empty()) continue;
        if (b.arena_ == nullptr || (last != nullptr && (b.arena_ != last->arena_ || b.data_ != last->data_ + last->size_))) {
            adjacent = false;
            break;
        }
        if (first == nullptr) first = &b;
        last = &b;
    }
    if (adjacent) {
        const auto& chunk = *std::static_pointer_cast<const detail::ArenaChunk>(first->owner_);
        const auto offset = static_cast<std::size_t>(first->data_ - chunk.region->base);
        auto owner = std::make_shared<const detail::ArenaChunk>(chunk.region, offset);
        return Buffer(std::move(owner), first->data_, total, first->arena_);
    }

    // Otherwise copy, releasing each chunk as soon as it is copied.
    auto out = std::make_unique_for_overwrite<std::uint8_t[]>(total);  // not zeroed: filled below
    if (total >= 2 * kHuge) adviseHugePages(out.get(), total);
    std::size_t at = 0, sinceTrim = 0;
    for (auto& b : chunks) {
        std::copy_n(b.data_, b.size_, out.get() + at);
        at += b.size_;
        sinceTrim += b.size_;
        b = Buffer();  // freed now if no one else shares it
        // Freed chunks of malloc's heap stay counted in the process's memory until
        // malloc_trim(3) hands their pages back to the kernel.
        if (sinceTrim >= 8 * 1024 * 1024) {
            ::malloc_trim(0);
            sinceTrim = 0;
        }
    }
    return Buffer(std::move(out), total);
}

} // namespace kit
