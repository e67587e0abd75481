// Exercise 05_pcap_fragments (lesson 05): count a datagram's IP fragments.
//
//   make check-exercise E=05_pcap_fragments
//   build/exercises/05_pcap_fragments/starter FILE.pcap
//
// Lesson 05 sent one 65,507-byte datagram over a link whose MTU is 1500 and tcpdump saw
// 45 packets: IP fragments. Here you read a capture file yourself and find them. For
// each IPv4 packet that is a fragment (its "more fragments" flag is set, or its
// fragment offset is not 0), group it with the others of its datagram (same IP
// identification field) and, at the end, print one line per datagram, in the order
// their first fragment appeared:
//
//   id 29221: 45 fragments, 65515 bytes, offsets 0,1480,2960,...,65120
//
// bytes: the data carried after the IP headers, all fragments together (for a UDP
// datagram: its 8-byte header and its data). offsets: in bytes, in capture order.
// Where things are: an Ethernet frame starts with 14 bytes (6 destination, 6 source,
// then the EtherType: 0x0800 for IPv4; skip every other type). The IPv4 header follows:
// byte 0 holds the version and the header length in 32-bit words (IHL, low 4 bits),
// bytes 2-3 the total length (header included), bytes 4-5 the identification, bytes
// 6-7 three flag bits and the 13-bit fragment offset, counted in units of 8 bytes
// (0x2000 is "more fragments"). Whole datagrams (no flag, offset 0) are not fragments.
//
// The check writes captures with pcapgen.js (different sizes, MTUs, interleaved
// datagrams and unrelated packets each time) and compares your lines with the truth.

#include <fmt/format.h>

#include <cstdint>
#include <fstream>
#include <iterator>
#include <map>
#include <span>
#include <string>
#include <tuple>
#include <vector>

// ---------------------------------------------------------------- the pcap file (given)
// A classic libpcap file, as `tcpdump -w` writes it: a 24-byte header (magic number
// 0xa1b2c3d4, version 2.4, the link type: 1 = Ethernet), then for each packet a
// 16-byte record header (seconds, microseconds, captured length, original length) and
// the captured bytes: here, whole Ethernet frames. Multi-byte fields of the file's own
// headers are in the byte order of the machine that wrote it (little-endian here); the
// packets' fields are in network byte order (big-endian): use be16/be32 below.

using Bytes = std::span<const std::uint8_t>;

// Big-endian (network byte order) fields of a packet, as ntohs(3)/ntohl(3) would give.
[[maybe_unused]] static std::uint16_t be16(Bytes b, std::size_t at) { return static_cast<std::uint16_t>(b[at] << 8 | b[at + 1]); }
[[maybe_unused]] static std::uint32_t be32(Bytes b, std::size_t at) {
    return static_cast<std::uint32_t>(b[at]) << 24 | static_cast<std::uint32_t>(b[at + 1]) << 16 |
           static_cast<std::uint32_t>(b[at + 2]) << 8 | b[at + 3];
}
static std::uint32_t le32(Bytes b, std::size_t at) {
    return static_cast<std::uint32_t>(b[at + 3]) << 24 | static_cast<std::uint32_t>(b[at + 2]) << 16 |
           static_cast<std::uint32_t>(b[at + 1]) << 8 | b[at];
}
// "10.55.0.1" from the 4 bytes at `at`.
[[maybe_unused]] static std::string ipText(Bytes b, std::size_t at) {
    return fmt::format("{}.{}.{}.{}", b[at], b[at + 1], b[at + 2], b[at + 3]);
}

static void onPacket(Bytes frame);
static void onEnd();

int main(int argc, char** argv) {
    if (argc != 2) {
        fmt::print(stderr, "usage: {} FILE.pcap\n", argv[0]);
        return 2;
    }
    std::ifstream in(argv[1], std::ios::binary);
    std::vector<std::uint8_t> file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    Bytes all(file);
    if (!in.eof() && !in.good()) {
        fmt::print(stderr, "cannot read {}\n", argv[1]);
        return 2;
    }
    if (all.size() < 24 || le32(all, 0) != 0xa1b2c3d4 || le32(all, 20) != 1) {
        fmt::print(stderr, "{}: not a little-endian pcap file of Ethernet frames\n", argv[1]);
        return 2;
    }
    std::size_t at = 24;
    while (at + 16 <= all.size()) {
        std::uint32_t caplen = le32(all, at + 8);
        if (at + 16 + caplen > all.size()) break;  // a file cut short: stop there
        onPacket(all.subspan(at + 16, caplen));
        at += 16 + caplen;
    }
    onEnd();
    return 0;
}


// ---------------------------------------------------------------- a wrong solution
// Plausible mistake: the fragment offset field read as bytes (it counts 8-byte units).
struct Datagram {
    std::string src;                    // the IP identification is unique per sender
    std::uint16_t id = 0;
    std::vector<unsigned> offsets;      // in bytes, in capture order
    unsigned bytes = 0;                 // data after the IP headers, all fragments
};
static std::vector<Datagram> datagrams;  // in the order of their first fragment

static void onPacket(Bytes frame) {
    if (frame.size() < 14 + 20 || be16(frame, 12) != 0x0800) return;  // not IPv4
    Bytes ip = frame.subspan(14);
    const std::size_t ihl = (ip[0] & 0x0f) * 4u;
    const std::uint16_t total = be16(ip, 2), id = be16(ip, 4), flagsOffset = be16(ip, 6);
    const bool more = flagsOffset & 0x2000;
    const unsigned offset = flagsOffset & 0x1fff;  // WRONG: the field counts units of 8 bytes
    if (!more && offset == 0) return;                      // a whole datagram
    const std::string src = ipText(ip, 12);
    Datagram* d = nullptr;
    for (auto& x : datagrams)
        if (x.id == id && x.src == src) d = &x;
    if (!d) {
        d = &datagrams.emplace_back();
        d->src = src;
        d->id = id;
    }
    d->offsets.push_back(offset);
    d->bytes += total - static_cast<unsigned>(ihl);
}

static void onEnd() {
    for (const auto& d : datagrams) {
        std::string offs;
        for (unsigned o : d.offsets) offs += (offs.empty() ? "" : ",") + std::to_string(o);
        fmt::print("id {}: {} fragments, {} bytes, offsets {}\n", d.id, d.offsets.size(), d.bytes, offs);
    }
}
