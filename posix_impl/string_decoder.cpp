// string_decoder.cpp: hold back an incomplete UTF-8 character (see string_decoder.hpp).
#include "string_decoder.hpp"

namespace kit {

std::size_t utf8CompletePrefix(std::string_view bytes) {
    // Look back over at most the last 3 bytes for the lead byte of the last character.
    const std::size_t n = bytes.size();
    for (std::size_t back = 1; back <= 3 && back <= n; ++back) {
        const auto c = static_cast<unsigned char>(bytes[n - back]);
        if ((c & 0xC0) == 0x80) continue;  // a continuation byte: keep looking
        std::size_t need = 1;
        if ((c & 0xE0) == 0xC0) need = 2;
        else if ((c & 0xF0) == 0xE0) need = 3;
        else if ((c & 0xF8) == 0xF0) need = 4;
        return back < need ? n - back : n;  // cut before an unfinished character
    }
    return n;  // ASCII, or more than 3 continuation bytes (malformed: pass through)
}

std::string StringDecoder::write(std::string_view bytes) {
    pending_.append(bytes);
    const std::size_t complete = utf8CompletePrefix(pending_);
    std::string out = pending_.substr(0, complete);
    pending_.erase(0, complete);
    return out;
}

std::string StringDecoder::end() {
    std::string out;
    out.swap(pending_);
    return out;
}

} // namespace kit
