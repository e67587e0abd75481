// buffer.cpp: Buffer::concat and the ReadArena (see buffer.hpp).
//
// A region's life, in system calls:
//   mmap(2) PROT_NONE       reserve 1 GiB of address space: no memory, nothing charged
//   mprotect(2) READ|WRITE  make the next stretch writable, doubling as reads need more
//   read(2) into it         the kernel gives a page of memory at its first write
//   madvise(2) DONTNEED     give back each 2 MiB block that no live chunk touches
//                           (not while the reads go round the first 4 MiB: room())
//   munmap(2)               when the socket and the last chunk are gone
//
// Which memory goes back. The region is cut into 2 MiB blocks, each with a count of
// the live chunks that touch it. A block goes back to the kernel as soon as it has
// been filled and its count is zero, wherever it lies. (The first version gave back
// only what lay below the lowest live chunk, so a 16-byte slice kept from the first
// chunk kept every later chunk resident: 768 MiB streamed, 771 MiB RSS, Node 80 MiB;
// project issue 20, item 5.) A kept slice now costs its block, 2 MiB at most.
//
// No huge pages (project issue 21). Until then the region past its first 2 MiB was
// advised MADV_HUGEPAGE (one page fault per 2 MiB instead of 512), and lesson 01's
// server was slow in a third of the rounds. Same-run A/B on the kit's reference VM
// (2026-12-07; 256 MiB upload, 10 rounds in rotating order, two builds differing only
// in that advice; other builds were loading the 2 cores, so wall times are noisy and
// the server's CPU time, utime + stime, is the cleaner figure):
//   without the advice  0.36-0.41 s of CPU in 10 of 10 rounds
//   with it             0.22-0.28 s in 7 rounds, 0.67-0.86 s in 3 (those 3 took
//                       1.18-1.33 s of wall time; the build without the advice
//                       took 0.73-0.97 s, once 1.36 s on the same CPU time: load)
// /proc/vmstat's compact_stall did not grow in any round, and thp_fault_alloc grew by
// 127 in every advised one: the stall here is not compaction but the 2 MiB pages
// themselves. They come from the free 2 MiB blocks, the very ones this VM reports to
// its host (page_reporting_order is 9, a huge page), so their first touch faults on
// the host too. Where THP `defrag` is `madvise` or `always` (as here) and no 2 MiB
// block is free, the same advice compacts memory synchronously inside the read(2).
// Huge pages helped in most rounds and stalled in others, so the advice is gone
// rather than made conditional. The region still starts on a 2 MiB boundary, so with
// THP `enabled=always` the kernel may still use huge pages, and the blocks given back
// below are whole huge pages.
#include "buffer.hpp"

#include "string_decoder.hpp"

#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <mutex>

namespace kit {

namespace {

// The unit of give-back, and the region's alignment: a transparent huge page on x86-64
// and arm64, so a block given back never splits one.
constexpr std::size_t kBlock = 2 * 1024 * 1024;
// The ring at the start of each region: two blocks, 4 MiB (see ReadArena::room).
constexpr std::size_t kRingBlocks = 2;
constexpr std::size_t kRing = kRingBlocks * kBlock;

std::size_t pageSize() {
    static const std::size_t size = [] {
        const long s = ::sysconf(_SC_PAGESIZE);
        return s > 0 ? static_cast<std::size_t>(s) : std::size_t{4096};
    }();
    return size;
}

constexpr std::size_t roundDown(std::size_t n, std::size_t to) { return n / to * to; }
constexpr std::size_t roundUp(std::size_t n, std::size_t to) { return (n + to - 1) / to * to; }

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
    std::size_t used = 0;        // [0, used) handed out (and touched) since the last rewind
    std::size_t liveChunks = 0;  // chunks alive, all blocks together
    // Its first kRingBlocks blocks are used as a ring while the chunks die soon enough
    // (see room()): nothing is given back meanwhile, so no page faults again.
    bool ring = true;
    std::size_t touched = 0;     // the highest `used` since the last rewind
    // Per 2 MiB block: live chunks touching it. A block is given back when its count
    // is zero and it lies wholly below `used` (filled, so no read(2) is writing it).
    std::vector<std::uint32_t> holds;

    /// A fresh region of @p size bytes of address space, 2 MiB aligned; null on failure.
    static std::shared_ptr<Region> reserve(std::size_t size) {
        // Reserve 2 MiB more and cut the ends off, so that the region starts on a huge
        // page boundary and the kernel can fill it 2 MiB at a time.
        const std::size_t span = size + kBlock;
        void* p = ::mmap(nullptr, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p == MAP_FAILED) return nullptr;
        auto* raw = static_cast<std::uint8_t*>(p);
        const std::size_t head = roundUp(reinterpret_cast<std::uintptr_t>(raw), kBlock) - reinterpret_cast<std::uintptr_t>(raw);
        if (head > 0) ::munmap(raw, head);
        if (kBlock - head > 0) ::munmap(raw + head + size, kBlock - head);
        auto region = std::make_shared<Region>();
        region->base = raw + head;
        region->reserved = size;
        region->holds.assign(roundUp(size, kBlock) / kBlock, 0);
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
        next = std::min(roundUp(next, next >= kBlock ? kBlock : pageSize()), reserved);
        if (::mprotect(base + writable, next - writable, PROT_READ | PROT_WRITE) != 0) return false;
        writable = next;
        return true;
    }

    // The blocks [first, last] that bytes [offset, offset + size) touch.
    static std::size_t firstBlock(std::size_t offset) { return offset / kBlock; }
    static std::size_t lastBlock(std::size_t offset, std::size_t size) { return (offset + size - 1) / kBlock; }

    // Give back, with one madvise(2) per run of adjacent blocks, every block in
    // [from, to] that no live chunk touches and that lies wholly below `used`.
    // Called with mu held.
    void giveBackFree(std::size_t from, std::size_t to) {
        if (ring) return;  // the ring's blocks are kept, to be read into again
        to = std::min(to, used / kBlock == 0 ? 0 : used / kBlock - 1);  // filled blocks only
        std::size_t runStart = SIZE_MAX;
        for (std::size_t b = from; b <= to + 1; ++b) {
            const bool free = b <= to && used >= (b + 1) * kBlock && holds[b] == 0;
            if (free && runStart == SIZE_MAX) runStart = b;
            if (!free && runStart != SIZE_MAX) {
                ::madvise(base + runStart * kBlock, (b - runStart) * kBlock, MADV_DONTNEED);
                runStart = SIZE_MAX;
            }
        }
    }

    // A chunk of bytes [offset, offset + size) is born: count it in its blocks.
    // Called with mu held.
    void holdLocked(std::size_t offset, std::size_t size) {
        for (std::size_t b = firstBlock(offset); b <= lastBlock(offset, size); ++b) ++holds[b];
        ++liveChunks;
    }

    void hold(std::size_t offset, std::size_t size) {
        std::lock_guard lock(mu);
        holdLocked(offset, size);
    }

    // A chunk died (on any thread): the blocks it was the last to touch go back.
    // A consumer that drops chunks in order (a pipe) so stays within a few blocks,
    // and one that keeps a few scattered chunks keeps only their blocks.
    void release(std::size_t offset, std::size_t size) {
        std::lock_guard lock(mu);
        const std::size_t first = firstBlock(offset);
        const std::size_t last = lastBlock(offset, size);
        for (std::size_t b = first; b <= last; ++b) --holds[b];
        --liveChunks;
        if (used / kBlock > first) giveBackFree(first, last);
    }

    // The next @p n bytes were read: hand them out as a chunk (counted now, before
    // any block it touches can be seen as free), and give back the blocks that this
    // read finished filling if no chunk touches them. Returns the chunk's offset.
    std::size_t advance(std::size_t n) {
        std::lock_guard lock(mu);
        const std::size_t offset = used;
        used += n;
        touched = std::max(touched, used);
        holdLocked(offset, n);
        if (used / kBlock > offset / kBlock) giveBackFree(offset / kBlock, used / kBlock - 1);
        return offset;
    }
};

namespace detail {
/// @brief What keeps a Buffer cut from a ReadArena alive: the region, and the
/// chunk's bytes in the count of live chunks per block.
struct ArenaChunk {
    /// Already counted (by Region::advance), so only adopted here.
    struct Adopt {};
    std::shared_ptr<ReadArena::Region> region;
    std::size_t offset = 0;
    std::size_t size = 0;
    ArenaChunk(std::shared_ptr<ReadArena::Region> r, std::size_t off, std::size_t n)
        : region(std::move(r)), offset(off), size(n) {
        region->hold(offset, size);
    }
    ArenaChunk(std::shared_ptr<ReadArena::Region> r, std::size_t off, std::size_t n, Adopt)
        : region(std::move(r)), offset(off), size(n) {}
    ArenaChunk(const ArenaChunk&) = delete;
    ArenaChunk& operator=(const ArenaChunk&) = delete;
    ~ArenaChunk() { region->release(offset, size); }
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
        // (Not a region that streams around its ring: it would give back and fault in
        // again its warm blocks each time its consumer catches up; see below.)
        if (r.liveChunks == 0 && r.used > 0 && !(r.ring && r.touched >= kBlock)) {
            // No chunk is alive: start again from the start, where the pages are warm,
            // and give back what lies beyond the first 256 KiB. (Out of the ring, whole
            // blocks below `used` went back already and this is the last, partly filled
            // one; in the ring, whatever it touched.)
            constexpr std::size_t kKeepWarm = 256 * 1024;
            const std::size_t from = r.ring ? kKeepWarm : std::max(kKeepWarm, roundDown(r.touched, kBlock));
            const std::size_t to = roundUp(r.touched, pageSize());
            if (to > from) ::madvise(r.base + from, to - from, MADV_DONTNEED);
            r.used = 0;
            r.touched = 0;
            r.ring = true;
        }
        // The ring. A stream whose chunks die a little after they are read (a file
        // stream writing them behind, lesson 06) keeps some alive at every read, so the
        // rewind above never comes, and the reads would walk on through the region,
        // each page faulted in (and zeroed) at its first write and given back behind:
        // a page fault per 4 KiB, 17% of lesson 06's raw server (docs/performance.md).
        // Instead, while the reads fit in the region's first kRing bytes, they go back
        // to its start if no chunk is alive there any more: the same warm pages, read
        // into again. When a read would reach a block that still holds a live chunk (a
        // consumer that keeps them, lesson 01), the region leaves the ring until its
        // next rewind, goes on after the last byte it handed out, and gives back, as
        // before, each block its chunks no longer touch.
        if (r.ring) {
            // (A first read larger than the ring, which no socket makes, already went
            // past it: that region is no ring.)
            bool leave = r.touched > kRing;
            std::size_t n = std::min(max, r.reserved - r.used);
            if (!leave && r.used + n > kRing) {
                if (r.holds[0] == 0 && max <= kBlock) {  // back to the start
                    r.used = 0;
                    n = max;  // what the read below gets, so what the check covers
                } else {
                    leave = true;
                }
            }
            // Each block the read enters must hold no live chunk: the one it crosses
            // into, and the one it starts in when it starts on that block's first byte
            // (a 64 KiB read does, at every 2 MiB). Inside a block entered free, the
            // bytes ahead of `used` are free too: nothing there was handed out since.
            if (!leave && n > 0) {
                // From the first block that starts at or after `used` to the read's last.
                for (std::size_t b = (r.used + kBlock - 1) / kBlock; b <= (r.used + n - 1) / kBlock && !leave; ++b) {
                    leave = r.holds[b] != 0;  // still in use
                }
            }
            if (leave) {
                r.ring = false;
                r.used = std::max(r.used, r.touched);
                r.giveBackFree(0, kRingBlocks - 1);
            }
        }
        // Filled to its last byte: a stream can read any size, and a region that
        // moved on with bytes to spare would cut the upload in two, so concat() would
        // copy it all. (It did, project issue 21: with a limit of one page here, a
        // 1 GiB upload, the size of a region, whose next-to-last read(2) ended in the
        // region's last 4 KiB had its last bytes in a new region, and lesson 01 copied
        // 1 GiB at 'close': 0.46 s more CPU and 262,144 more page faults, in 1 round
        // of 12.)
        if (r.used < r.reserved) {
            const std::size_t n = std::min(max, r.reserved - r.used);
            if (r.makeWritable(r.used + n)) return {r.base + r.used, n};
            if (r.writable > r.used) return {r.base + r.used, r.writable - r.used};
            errno = ENOMEM;
            return {};
        }
    }
    // First read, or this region is full: a new one. The old one lives on until its
    // last chunk is gone. If 1 GiB of address space is refused (ulimit -v), try less.
    for (std::size_t size = kReserve; size >= 4 * kBlock; size /= 4) {
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
    const std::size_t offset = region_->advance(n);
    auto owner = std::make_shared<const detail::ArenaChunk>(region_, offset, n, detail::ArenaChunk::Adopt{});
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

Buffer::Buffer(std::shared_ptr<const std::uint8_t[]> bytes, std::size_t size) {
    if (size == 0) return;
    data_ = bytes.get();
    size_ = size;
    owner_ = std::move(bytes);
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
        auto owner = std::make_shared<const detail::ArenaChunk>(chunk.region, offset, total);
        return Buffer(std::move(owner), first->data_, total, first->arena_);
    }

    // Otherwise copy, releasing each chunk as soon as it is copied.
    auto out = std::make_unique_for_overwrite<std::uint8_t[]>(total);  // not zeroed: filled below
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
