// Exercise 05_pcap_ends (lesson 05): tell a FIN from an RST.
//
//   make check-exercise E=05_pcap_ends
//   build/exercises/05_pcap_ends/starter FILE.pcap
//
// Lesson 05 showed two ways a TCP connection ends: a FIN ("no more data from me", the
// orderly end lesson 01's server turns into 'end' and 'close'), and an RST (torn down:
// lesson 01's server dies of it, ECONNRESET). Read a capture with several connections,
// their packets mixed, and at the end print one line per connection whose handshake
// completed (SYN, SYN+ACK, ACK), in the order of their SYNs, saying which came first
// on it, a FIN or an RST, and from which side:
//
//   10.2.5.102:45930 -> 10.1.0.245:8124: FIN from server
//   10.2.1.36:37133 -> 10.1.0.245:8124: RST from client
//   10.2.5.50:43156 -> 10.1.0.245:8124: still open
//
// client address:port -> server address:port (the client sent the SYN). A SYN refused
// with an RST never was a connection: leave it out. Where things are: Ethernet (14
// bytes, EtherType 0x0800 = IPv4), the IPv4 header (its length: low 4 bits of byte 0,
// in 32-bit words; byte 9 the protocol, 6 = TCP; bytes 12-15 the source, 16-19 the
// destination), then TCP: bytes 0-1 the source port, 2-3 the destination port, the
// flags in byte 13 (FIN 0x01, SYN 0x02, RST 0x04, ACK 0x10).
//
// The check writes captures with pcapgen.js (other connections, endings and orders
// each time) and compares your lines with the truth.

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


// ---------------------------------------------------------------- the solution
struct Tcp {
    std::string src, dst;               // "address:port"
    std::uint8_t flags = 0;
    Bytes options;
};
// The TCP segment in a frame, if there is one.
static bool decodeTcp(Bytes frame, Tcp& t) {
    if (frame.size() < 14 + 20 || be16(frame, 12) != 0x0800) return false;  // not IPv4
    Bytes ip = frame.subspan(14);
    const std::size_t ihl = (ip[0] & 0x0f) * 4u;
    if (ip[9] != 6 || ip.size() < ihl + 20) return false;                  // not TCP
    Bytes tcp = ip.subspan(ihl);
    const std::size_t doff = (tcp[12] >> 4) * 4u;
    t.src = fmt::format("{}:{}", ipText(ip, 12), be16(tcp, 0));
    t.dst = fmt::format("{}:{}", ipText(ip, 16), be16(tcp, 2));
    t.flags = tcp[13];
    t.options = tcp.subspan(20, doff > 20 && doff <= tcp.size() ? doff - 20 : 0);
    return true;
}
constexpr std::uint8_t FIN = 0x01, SYN = 0x02, RST = 0x04, ACK = 0x10;

struct Conn {
    std::string client, server;
    unsigned clientMss = 0, serverMss = 0;
    enum { SynSent, SynAckSeen, Established, Dead } state = SynSent;
    std::string end;                    // "FIN from client", ... (empty: still open)
};
static std::vector<Conn> conns;         // in the order of their SYNs

static Conn* find(const std::string& a, const std::string& b) {
    for (auto& c : conns)
        if ((c.client == a && c.server == b) || (c.client == b && c.server == a)) return &c;
    return nullptr;
}
[[maybe_unused]] static unsigned mssOf(Bytes opt) {
    for (std::size_t i = 0; i < opt.size();) {
        if (opt[i] == 0) break;                       // end of options
        if (opt[i] == 1) { ++i; continue; }           // padding
        if (i + 1 >= opt.size() || opt[i + 1] < 2) break;
        if (opt[i] == 2 && opt[i + 1] == 4 && i + 3 < opt.size()) return be16(opt, i + 2);
        i += opt[i + 1];
    }
    return 0;
}

static void onPacket(Bytes frame) {
    Tcp t;
    if (!decodeTcp(frame, t)) return;
    Conn* c = find(t.src, t.dst);
    if ((t.flags & (SYN | ACK)) == SYN) {
        Conn& n = conns.emplace_back();
        n.client = t.src;
        n.server = t.dst;
        return;
    }
    if (!c) return;
    const std::string side = t.src == c->client ? "client" : "server";
    if (c->state != Conn::Established) {
        if (t.flags & RST) c->state = Conn::Dead;                     // refused: no connection
        else if ((t.flags & (SYN | ACK)) == (SYN | ACK) && side == "server") c->state = Conn::SynAckSeen;
        else if (t.flags & ACK && c->state == Conn::SynAckSeen && side == "client") c->state = Conn::Established;
        return;
    }
    if (!c->end.empty()) return;                                      // the first one counts
    if (t.flags & RST) c->end = "RST from " + side;
    else if (t.flags & FIN) c->end = "FIN from " + side;
}

static void onEnd() {
    for (const auto& c : conns)
        if (c.state == Conn::Established)
            fmt::print("{} -> {}: {}\n", c.client, c.server, c.end.empty() ? "still open" : c.end);
}
