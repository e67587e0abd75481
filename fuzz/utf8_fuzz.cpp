// utf8_fuzz.cpp: libFuzzer target for kit::StringDecoder and kit::utf8CompletePrefix
// (posix_impl/string_decoder.hpp), the decoder behind socket.setEncoding('utf8').
//
//   make fuzz                            (builds build/fuzz/utf8_fuzz)
//   build/fuzz/utf8_fuzz FILE...         replay inputs (what `make check` does)
//
// Input layout: the last bytes choose up to 16 cut points (FuzzedDataProvider takes
// integers from the end); the rest, from the front, is the byte stream, which is fed to
// one StringDecoder in the pieces the cuts make, as TCP would deliver it.
//
// Invariants, for any bytes:
//  * every write() and end() output is valid UTF-8 (malformed input becomes U+FFFD);
//  * the outputs of write() in order, then end(), concatenate to the reference decode
//    of the whole input below (each maximal subpart of a malformed sequence is one
//    U+FFFD: Unicode's recommended practice, the WHATWG decoder, Node's
//    buf.toString()), and utf8Decode() of the whole input gives the same;
//  * utf8CompletePrefix(s) <= s.size() and cuts at most 3 bytes.
// and, when the input is valid UTF-8 (RFC 3629: no overlong forms, no surrogates,
// nothing above U+10FFFF):
//  * the outputs concatenate to the input exactly, and end() returns nothing;
//  * utf8CompletePrefix of every prefix of the input is exactly the last character
//    boundary at or before the prefix's end.
// (What Node returns chunk by chunk is pinned by tests/unit/string_decoder_test.cpp.)
#include "string_decoder.hpp"

#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "utf8_fuzz: invariant broken: %s\n", what);
    std::fflush(stderr);
    std::abort();
}
#define CHECK(cond)                       \
    do {                                  \
        if (!(cond)) fail(#cond);         \
    } while (0)

// Strict UTF-8 validation (RFC 3629, Table 3-7 of the Unicode standard).
bool validUtf8(std::string_view s) {
    std::size_t i = 0;
    const std::size_t n = s.size();
    auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    while (i < n) {
        const unsigned c = byte(i);
        if (c < 0x80) {
            ++i;
            continue;
        }
        std::size_t len = 0;
        unsigned lo = 0x80, hi = 0xBF;  // allowed range of the second byte
        if (c >= 0xC2 && c <= 0xDF) len = 2;
        else if (c == 0xE0) len = 3, lo = 0xA0;
        else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) len = 3;
        else if (c == 0xED) len = 3, hi = 0x9F;  // no surrogates
        else if (c == 0xF0) len = 4, lo = 0x90;
        else if (c >= 0xF1 && c <= 0xF3) len = 4;
        else if (c == 0xF4) len = 4, hi = 0x8F;  // <= U+10FFFF
        else return false;
        if (i + len > n) return false;
        if (byte(i + 1) < lo || byte(i + 1) > hi) return false;
        for (std::size_t k = 2; k < len; ++k)
            if ((byte(i + k) & 0xC0) != 0x80) return false;
        i += len;
    }
    return true;
}

bool isContinuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// The reference decode, written apart from the kit's: at each position, the longest
// prefix of a well-formed sequence (Table 3-7 of the Unicode standard) is either a
// whole character, copied, or a maximal subpart, replaced by one U+FFFD (at least one
// byte is consumed).
std::string referenceDecode(std::string_view s) {
    std::string out;
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t len = 0;
        unsigned lo = 0x80, hi = 0xBF;
        if (c < 0x80) len = 1;
        else if (c >= 0xC2 && c <= 0xDF) len = 2;
        else if (c == 0xE0) len = 3, lo = 0xA0;
        else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) len = 3;
        else if (c == 0xED) len = 3, hi = 0x9F;
        else if (c == 0xF0) len = 4, lo = 0x90;
        else if (c >= 0xF1 && c <= 0xF3) len = 4;
        else if (c == 0xF4) len = 4, hi = 0x8F;
        std::size_t fit = len == 0 ? 0 : 1;  // bytes of a well-formed prefix so far
        while (fit < len && i + fit < s.size()) {
            const auto b = static_cast<unsigned char>(s[i + fit]);
            const unsigned from = fit == 1 ? lo : 0x80, to = fit == 1 ? hi : 0xBF;
            if (b < from || b > to) break;
            ++fit;
        }
        if (len > 0 && fit == len) out.append(s.substr(i, len));
        else out += "\xEF\xBF\xBD";
        i += fit == 0 ? 1 : fit;
    }
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in(data, size);
    const auto cutCount = in.ConsumeIntegralInRange<std::size_t>(0, 16);
    std::vector<std::uint16_t> rawCuts;
    for (std::size_t i = 0; i < cutCount && in.remaining_bytes() > 0; ++i)
        rawCuts.push_back(in.ConsumeIntegral<std::uint16_t>());
    const std::string input = in.ConsumeRemainingBytesAsString();
    const std::size_t n = input.size();

    std::vector<std::size_t> cuts;
    for (auto c : rawCuts) cuts.push_back(c % (n + 1));
    cuts.push_back(n);
    std::sort(cuts.begin(), cuts.end());

    const bool valid = validUtf8(input);

    // ---- the decoder, fed in pieces
    kit::StringDecoder decoder;
    std::string joined;
    std::size_t fed = 0;
    for (std::size_t cut : cuts) {
        const std::string out = decoder.write(std::string_view(input).substr(fed, cut - fed));
        fed = cut;
        CHECK(validUtf8(out));
        joined += out;
    }
    const std::string rest = decoder.end();
    CHECK(validUtf8(rest));
    if (valid) CHECK(rest.empty());
    joined += rest;
    const std::string reference = referenceDecode(input);
    CHECK(joined == reference);
    CHECK(kit::utf8Decode(input) == reference);
    if (valid) CHECK(joined == input);

    // ---- utf8CompletePrefix on the input and on each prefix at a cut
    const std::size_t whole = kit::utf8CompletePrefix(input);
    CHECK(whole <= n && n - whole <= 3);
    if (valid) CHECK(whole == n);
    for (std::size_t cut : cuts) {
        const std::string_view prefix = std::string_view(input).substr(0, cut);
        const std::size_t r = kit::utf8CompletePrefix(prefix);
        CHECK(r <= cut && cut - r <= 3);
        if (valid) {
            std::size_t boundary = cut;  // the last character boundary at or before cut
            while (boundary > 0 && boundary < n && isContinuation(input[boundary])) --boundary;
            CHECK(r == boundary);
        }
    }
    return 0;
}
