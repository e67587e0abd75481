// string_decoder.cpp: hold back an incomplete UTF-8 character (see string_decoder.hpp).
#include "string_decoder.hpp"

#include <algorithm>

namespace kit {

namespace {
constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD in UTF-8

bool isContinuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// How many bytes a character starting with @p lead has, judged by its top bits alone
// (110xxxxx: 2, 1110xxxx: 3, 11110xxx: 4); 1 for anything else.
std::size_t sequenceLength(unsigned char lead) {
    if ((lead & 0xE0) == 0xC0) return 2;
    if ((lead & 0xF0) == 0xE0) return 3;
    if ((lead & 0xF8) == 0xF0) return 4;
    return 1;
}
} // namespace

std::size_t utf8CompletePrefix(std::string_view bytes) {
    // Look back over at most the last 3 bytes for the lead byte of the last character.
    const std::size_t n = bytes.size();
    for (std::size_t back = 1; back <= 3 && back <= n; ++back) {
        const auto c = static_cast<unsigned char>(bytes[n - back]);
        if (isContinuation(c)) continue;  // keep looking
        return back < sequenceLength(c) ? n - back : n;  // cut before an unfinished character
    }
    return n;  // ASCII, or no lead byte in the last 3: nothing to hold back
}

// The UTF-8 decoder of the WHATWG Encoding standard (section 9.1.1), over a complete
// input. A lead byte says how many continuation bytes follow and, for E0, ED, F0 and
// F4, narrows the range of the first one (no overlong forms, no surrogates, nothing
// past U+10FFFF). A byte that does not fit ends the sequence: one U+FFFD for what came
// before it, and the byte is looked at again as the start of the next character. An
// input that ends inside a sequence ends with one U+FFFD.
std::string utf8Decode(std::string_view bytes) {
    // ASCII, the common case, needs no decoding at all.
    if (std::none_of(bytes.begin(), bytes.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; }))
        return std::string(bytes);
    std::string out;
    out.reserve(bytes.size());
    std::size_t needed = 0, start = 0;
    unsigned char lower = 0x80, upper = 0xBF;
    std::size_t i = 0;
    while (i < bytes.size()) {
        const auto b = static_cast<unsigned char>(bytes[i]);
        if (needed == 0) {
            if (b < 0x80) {
                out += static_cast<char>(b);
            } else if (b >= 0xC2 && b <= 0xDF) {
                needed = 1;
            } else if (b >= 0xE0 && b <= 0xEF) {
                if (b == 0xE0) lower = 0xA0;
                if (b == 0xED) upper = 0x9F;
                needed = 2;
            } else if (b >= 0xF0 && b <= 0xF4) {
                if (b == 0xF0) lower = 0x90;
                if (b == 0xF4) upper = 0x8F;
                needed = 3;
            } else {
                out += kReplacement;  // 80..C1 and F5..FF never start a character
            }
            start = i++;
            continue;
        }
        if (b < lower || b > upper) {  // the sequence breaks off before this byte
            needed = 0;
            lower = 0x80;
            upper = 0xBF;
            out += kReplacement;
            continue;  // the same byte again, as a possible start
        }
        lower = 0x80;
        upper = 0xBF;
        if (--needed == 0) out.append(bytes.substr(start, i + 1 - start));
        ++i;
    }
    if (needed > 0) out += kReplacement;
    return out;
}

// Node's decoder, in three steps per chunk:
//  1. finish the character held from the last chunk with the continuation bytes this
//     one starts with; a byte that is not one ends it early (it is then malformed);
//  2. look at the end of the chunk: if its last character is cut (its lead byte asks
//     for more bytes than are there), hold those bytes back for the next chunk;
//  3. decode the rest at once, malformed bytes and all.
std::string StringDecoder::write(std::string_view bytes) {
    std::string prefix;
    if (missing_ > 0) {
        const std::size_t look = std::min(bytes.size(), missing_);
        for (std::size_t i = 0; i < look; ++i) {
            if (!isContinuation(static_cast<unsigned char>(bytes[i]))) {
                held_.append(bytes.substr(0, i));  // what continued it, then it breaks off
                bytes.remove_prefix(i);
                missing_ = 0;
                break;
            }
        }
        const std::size_t taken = std::min(bytes.size(), missing_);
        held_.append(bytes.substr(0, taken));
        bytes.remove_prefix(taken);
        missing_ -= taken;
        if (missing_ > 0) return {};  // still unfinished, and the chunk is used up
        prefix = utf8Decode(held_);
        held_.clear();
    }
    if (bytes.empty()) return prefix;

    // Step 2: a character cut by the end of the chunk (its lead byte asks for more
    // bytes than follow it) is held back for the next one.
    const std::size_t n = bytes.size();
    const std::size_t complete = utf8CompletePrefix(bytes);
    const std::size_t hold = n - complete;
    if (hold > 0) missing_ = sequenceLength(static_cast<unsigned char>(bytes[complete])) - hold;
    held_.assign(bytes.substr(n - hold));
    bytes.remove_suffix(hold);
    return prefix + utf8Decode(bytes);
}

std::string StringDecoder::end() {
    std::string out = held_.empty() ? std::string() : utf8Decode(held_);
    held_.clear();
    missing_ = 0;
    return out;
}

} // namespace kit
