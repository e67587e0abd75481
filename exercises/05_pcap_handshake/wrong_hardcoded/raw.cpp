// Exercise 05_pcap_handshake (lesson 05): find the TCP handshakes and their MSS.
//
//   make check-exercise E=05_pcap_handshake
//   build/exercises/05_pcap_handshake/starter FILE.pcap
//
// Lesson 05's capture opens with three packets: the client's SYN, the server's
// SYN+ACK, the client's ACK. Each SYN carries the largest segment its sender accepts
// (the MSS option). Read a capture with several connections, their packets mixed,
// and print one line when a handshake completes (at the client's ACK), in that order:
//
//   handshake 10.2.6.171:60039 -> 10.1.0.245:80 mss 1360/1220
//
// client address:port -> server address:port, then the client's MSS / the server's
// MSS. A SYN answered by an RST (a closed port) is no handshake: print nothing for it.
// Where things are: Ethernet (14 bytes, EtherType 0x0800 = IPv4), the IPv4 header (its
// length: low 4 bits of byte 0, in 32-bit words; byte 9 the protocol, 6 = TCP; bytes
// 12-15 the source, 16-19 the destination), then TCP: bytes 0-1 the source port, 2-3
// the destination port, the data offset (TCP header length in 32-bit words) in the
// high 4 bits of byte 12, the flags in byte 13 (FIN 0x01, SYN 0x02, RST 0x04, ACK
// 0x10), then the options from byte 20 up to the data offset: kind 0 ends them, kind 1
// is one byte of padding, any other kind is followed by its length (kind included);
// kind 2, length 4, is the MSS: a 16-bit value.
//
// The check writes captures with pcapgen.js (other addresses, ports, MSS values and
// orders each time) and compares your lines with the truth.

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
// Hard-coded: the handshake of lesson 05's own capture, whatever the file holds.
static void onPacket(Bytes) {}

static void onEnd() { fmt::print("handshake 10.55.0.1:42292 -> 10.55.0.2:8124 mss 1460/1460\n"); }
