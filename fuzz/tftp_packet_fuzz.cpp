// tftp_packet_fuzz.cpp: libFuzzer target for lesson 07's packet parser, tftp::parse
// (lessons/07_tftp/packet.cpp), which reads every datagram the TFTP server and client
// receive: bytes from anyone on the network.
//
//   make fuzz                                  (builds build/fuzz/tftp_packet_fuzz)
//   build/fuzz/tftp_packet_fuzz FILE...        replay inputs (what `make check` does)
//
// packet.cpp is compiled into this target (included below) rather than linked: it is
// a lesson's file, not the library's, and needs nothing of the library but Buffer.
//
// Invariants, for any bytes:
//  * parse() returns, without a crash, a sanitizer report or a read past the input;
//  * it returns a packet or a reason, never both, never neither;
//  * a DATA's payload is a view inside the input, of size input - 4;
//  * a packet that parses, built again with make*() (RRQ, WRQ, DATA, ACK, OACK) and
//    parsed again, gives the same fields: the builder and the parser agree;
//  * parseNumber() accepts digits only, and its value prints back as the same digits
//    (leading zeros aside).
#include "../lessons/07_tftp/packet.cpp"

#include <cstdio>
#include <cstdlib>
#include <span>

namespace {

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "tftp_packet_fuzz: invariant broken: %s\n", what);
    std::fflush(stderr);
    std::abort();
}

bool sameRequest(const tftp::Request& a, const tftp::Request& b) {
    return a.op == b.op && a.filename == b.filename && a.mode == b.mode && a.options == b.options;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::uint8_t> in(data, size);
    const auto r = tftp::parse(in);
    if (r.packet.has_value() == !r.error.empty()) fail("a packet and a reason, or neither");
    if (!r.packet) return 0;
    const auto& p = *r.packet;
    (void)tftp::describe(p);
    kit::Buffer again;
    switch (p.op) {
    case tftp::Op::RRQ: case tftp::Op::WRQ: again = tftp::makeRequest(p.request); break;
    case tftp::Op::DATA:
        if (p.data.data() != data + 4 || p.data.size() != size - 4) fail("DATA payload not the input's bytes 4..");
        again = tftp::makeData(p.block, p.data);
        break;
    case tftp::Op::ACK: again = tftp::makeAck(p.block); break;
    case tftp::Op::OACK: again = tftp::makeOack(p.options); break;
    case tftp::Op::ERROR: return 0;  // lenient on a missing NUL: no exact round trip
    }
    const auto r2 = tftp::parse(std::span<const std::uint8_t>(again.data(), again.size()));
    if (!r2.packet || r2.packet->op != p.op) fail("a rebuilt packet does not parse as the same opcode");
    const auto& q = *r2.packet;
    if ((p.op == tftp::Op::RRQ || p.op == tftp::Op::WRQ) && !sameRequest(p.request, q.request)) fail("request round trip");
    if ((p.op == tftp::Op::DATA || p.op == tftp::Op::ACK) && p.block != q.block) fail("block round trip");
    if (p.op == tftp::Op::DATA && !std::equal(p.data.begin(), p.data.end(), q.data.begin(), q.data.end())) fail("data round trip");
    if (p.op == tftp::Op::OACK && p.options != q.options) fail("options round trip");
    for (const auto& [name, value] : p.op == tftp::Op::OACK ? p.options : p.request.options) {
        (void)name;
        if (const auto n = tftp::parseNumber(value)) {
            if (value.find_first_not_of("0123456789") != std::string::npos) fail("parseNumber accepted a non-digit");
            const auto digits = value.substr(std::min(value.find_first_not_of('0'), value.size() - 1));
            if (std::to_string(*n) != digits) fail("parseNumber's value does not print back");
        }
    }
    return 0;
}
