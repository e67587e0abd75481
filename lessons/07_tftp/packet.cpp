// packet.cpp: TFTP packets, decoded and built (see tftp.hpp). Kept apart from the
// transfer's state machine (tftp.cpp) so that it depends on nothing but the Buffer:
// fuzz/tftp_packet_fuzz.cpp compiles it alone and feeds it every byte string.
#include "tftp.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace tftp {

namespace {

void put16(std::vector<std::uint8_t>& out, std::uint16_t v) {
    out.push_back(static_cast<std::uint8_t>(v >> 8));  // network byte order: big-endian
    out.push_back(static_cast<std::uint8_t>(v & 0xff));
}

void putString(std::vector<std::uint8_t>& out, std::string_view s) {
    out.insert(out.end(), s.begin(), s.end());
    out.push_back(0);  // every string on the wire ends with a NUL byte
}

// Read a NUL-terminated string at @p pos. No NUL before the end: a malformed packet.
std::optional<std::string> takeString(std::span<const std::uint8_t> b, std::size_t& pos) {
    const auto* begin = b.data() + pos;
    const auto* end = b.data() + b.size();
    const auto* nul = std::find(begin, end, std::uint8_t{0});
    if (nul == end) return std::nullopt;
    std::string s(reinterpret_cast<const char*>(begin), static_cast<std::size_t>(nul - begin));
    pos += s.size() + 1;
    return s;
}

std::optional<std::vector<std::pair<std::string, std::string>>> takeOptions(
    std::span<const std::uint8_t> b, std::size_t pos) {
    std::vector<std::pair<std::string, std::string>> opts;
    while (pos < b.size()) {
        auto name = takeString(b, pos);
        if (!name) return std::nullopt;
        auto value = takeString(b, pos);
        if (!value) return std::nullopt;
        opts.emplace_back(std::move(*name), std::move(*value));
    }
    return opts;
}

}  // namespace

ParseResult parse(std::span<const std::uint8_t> b) {
    // Runs for every DATA and ACK: the packet is moved into the result, not copied
    // (a copy would copy its strings and vectors too, empty or not).
    if (b.size() < 2) return {std::nullopt, "packet shorter than an opcode"};
    const auto op = static_cast<std::uint16_t>((b[0] << 8) | b[1]);
    Packet p;
    std::size_t pos = 2;
    switch (op) {
    case 1: case 2: {  // RRQ, WRQ: filename NUL mode NUL [name NUL value NUL]...
        p.op = static_cast<Op>(op);
        auto file = takeString(b, pos);
        if (!file) return {std::nullopt, "filename without its NUL"};
        auto mode = takeString(b, pos);
        if (!mode) return {std::nullopt, "mode without its NUL"};
        auto opts = takeOptions(b, pos);
        if (!opts) return {std::nullopt, "option without its NUL"};
        p.request = {p.op, std::move(*file), std::move(*mode), std::move(*opts)};
        return {std::move(p), {}};
    }
    case 3: case 4:  // DATA: block, bytes; ACK: block
        if (b.size() < 4) return {std::nullopt, "DATA/ACK shorter than 4 bytes"};
        p.op = static_cast<Op>(op);
        p.block = static_cast<std::uint16_t>((b[2] << 8) | b[3]);
        if (op == 3) p.data = b.subspan(4);
        else if (b.size() != 4) return {std::nullopt, "ACK longer than 4 bytes"};
        return {std::move(p), {}};
    case 5: {  // ERROR: code, message NUL
        if (b.size() < 4) return {std::nullopt, "ERROR shorter than 4 bytes"};
        p.op = Op::ERROR;
        p.code = static_cast<std::uint16_t>((b[2] << 8) | b[3]);
        pos = 4;
        auto msg = takeString(b, pos);
        // Be lenient with a peer's last words: a missing NUL still ends the transfer.
        p.message = msg ? *msg : std::string(reinterpret_cast<const char*>(b.data() + 4), b.size() - 4);
        return {std::move(p), {}};
    }
    case 6: {  // OACK: [name NUL value NUL]...
        p.op = Op::OACK;
        auto opts = takeOptions(b, pos);
        if (!opts) return {std::nullopt, "option without its NUL"};
        p.options = std::move(*opts);
        return {std::move(p), {}};
    }
    default:
        return {std::nullopt, fmt::format("unknown opcode {}", op)};
    }
}

kit::Buffer makeRequest(const Request& r) {
    std::vector<std::uint8_t> out;
    put16(out, static_cast<std::uint16_t>(r.op));
    putString(out, r.filename);
    putString(out, r.mode);
    for (const auto& [name, value] : r.options) { putString(out, name); putString(out, value); }
    return kit::Buffer(std::move(out));
}

kit::Buffer makeData(std::uint16_t block, std::span<const std::uint8_t> data) {
    std::vector<std::uint8_t> out(kDataHeader + data.size());
    putDataHeader(out.data(), block);
    std::copy(data.begin(), data.end(), out.begin() + kDataHeader);
    return kit::Buffer(std::move(out));
}

void putDataHeader(std::uint8_t* out, std::uint16_t block) {
    out[0] = 0;  // opcode 3, big-endian
    out[1] = static_cast<std::uint8_t>(Op::DATA);
    out[2] = static_cast<std::uint8_t>(block >> 8);
    out[3] = static_cast<std::uint8_t>(block & 0xff);
}

kit::Buffer makeAck(std::uint16_t block) {
    // The receiver makes one per block: one allocation (the 4 bytes and their
    // reference count together) rather than a vector and the Buffer's owner.
    auto out = std::make_shared_for_overwrite<std::uint8_t[]>(4);
    out[0] = 0;  // opcode 4, big-endian
    out[1] = static_cast<std::uint8_t>(Op::ACK);
    out[2] = static_cast<std::uint8_t>(block >> 8);
    out[3] = static_cast<std::uint8_t>(block & 0xff);
    return kit::Buffer(std::move(out), 4);
}

kit::Buffer makeError(std::uint16_t code, std::string_view message) {
    std::vector<std::uint8_t> out;
    put16(out, 5);
    put16(out, code);
    putString(out, message);
    return kit::Buffer(std::move(out));
}

kit::Buffer makeOack(const std::vector<std::pair<std::string, std::string>>& options) {
    std::vector<std::uint8_t> out;
    put16(out, 6);
    for (const auto& [name, value] : options) { putString(out, name); putString(out, value); }
    return kit::Buffer(std::move(out));
}

std::string describe(const Packet& p) {
    auto opts = [](const auto& list) {
        std::string s;
        for (const auto& [n, v] : list) s += fmt::format(" {}={}", n, v);
        return s;
    };
    switch (p.op) {
    case Op::RRQ: case Op::WRQ:
        return fmt::format("{} {} {}{}", p.op == Op::RRQ ? "RRQ" : "WRQ", p.request.filename,
                           p.request.mode, opts(p.request.options));
    case Op::DATA: return fmt::format("DATA {} ({} B)", p.block, p.data.size());
    case Op::ACK: return fmt::format("ACK {}", p.block);
    case Op::ERROR: return fmt::format("ERROR {} {}", p.code, p.message);
    case Op::OACK: return "OACK" + opts(p.options);
    }
    return "?";
}

std::optional<std::uint64_t> parseNumber(std::string_view s) {
    if (s.empty() || s.size() > 12) return std::nullopt;  // 12 digits: far above any limit
    std::uint64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;  // "-1", "+5", "1e9", " 8": refused
        v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return v;
}

bool sameName(std::string_view a, std::string_view b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

}  // namespace tftp
