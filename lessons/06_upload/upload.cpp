// upload.cpp: lesson 06's protocol, pure functions of bytes (see upload.hpp).
#include "upload.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace upload {

namespace {

bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isLowerHex(char c) { return isDigit(c) || (c >= 'a' && c <= 'f'); }

// Length of the valid UTF-8 sequence starting at s[i], or 0 if the byte there does not
// start one (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF).
std::size_t utf8Length(std::string_view s, std::size_t i) {
    const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
    const unsigned char c = b(0);
    if (c < 0x80) return 1;
    std::size_t n;
    unsigned char lo = 0x80, hi = 0xbf;  // range of the second byte
    if (c >= 0xc2 && c <= 0xdf) n = 2;
    else if (c == 0xe0) { n = 3; lo = 0xa0; }
    else if (c >= 0xe1 && c <= 0xec) n = 3;
    else if (c == 0xed) { n = 3; hi = 0x9f; }
    else if (c >= 0xee && c <= 0xef) n = 3;
    else if (c == 0xf0) { n = 4; lo = 0x90; }
    else if (c >= 0xf1 && c <= 0xf3) n = 4;
    else if (c == 0xf4) { n = 4; hi = 0x8f; }
    else return 0;
    if (i + n > s.size()) return 0;
    if (b(1) < lo || b(1) > hi) return 0;
    for (std::size_t k = 2; k < n; ++k)
        if (b(k) < 0x80 || b(k) > 0xbf) return 0;
    return n;
}

} // namespace

std::optional<std::uint64_t> parseSize(std::string_view digits) {
    if (digits.empty() || digits.size() > 20) return std::nullopt;
    std::uint64_t v = 0;
    for (const char c : digits) {
        if (!isDigit(c)) return std::nullopt;
        const auto d = static_cast<std::uint64_t>(c - '0');
        if (v > (UINT64_MAX - d) / 10) return std::nullopt;  // would overflow
        v = v * 10 + d;
    }
    return v;
}

HeaderResult parseHeader(std::string_view line) {
    HeaderResult r;
    if (line.size() + 1 > kMaxHeader) {
        r.error = "header longer than " + std::to_string(kMaxHeader) + " bytes";
        return r;
    }
    if (line.substr(0, kMagic.size()) != kMagic) {
        r.error = "bad magic or version (expected KITUP/1)";
        return r;
    }
    const std::string_view rest = line.substr(kMagic.size());
    const auto space = rest.find(' ');
    if (space == std::string_view::npos) {
        r.error = "expected KITUP/1 <size> <name>";
        return r;
    }
    const auto size = parseSize(rest.substr(0, space));
    if (!size) {
        r.error = "bad size (decimal digits, at most 2^64-1)";
        return r;
    }
    const std::string_view name = rest.substr(space + 1);
    if (name.empty()) {
        r.error = "empty name";
        return r;
    }
    r.header = Header{*size, std::string(name)};
    return r;
}

std::optional<std::string> parseTrailer(std::string_view line) {
    if (line.size() != kTrailerSize - 1 || line.substr(0, kTrailerTag.size()) != kTrailerTag) return std::nullopt;
    const std::string_view hex = line.substr(kTrailerTag.size());
    if (!std::all_of(hex.begin(), hex.end(), isLowerHex)) return std::nullopt;
    return std::string(hex);
}

std::string sanitizeName(std::string_view clientName) {
    // Only the base name: "../../etc/passwd" is "passwd", "/tmp/x" is "x".
    if (const auto slash = clientName.rfind('/'); slash != std::string_view::npos)
        clientName = clientName.substr(slash + 1);
    std::string out;
    for (std::size_t i = 0; i < clientName.size();) {
        const auto c = static_cast<unsigned char>(clientName[i]);
        if (c < 0x20 || c == 0x7f) {  // control characters: a newline in a name breaks logs
            ++i;
            continue;
        }
        const std::size_t n = utf8Length(clientName, i);
        if (n == 0) {  // not UTF-8: one '_' per byte
            if (out.size() + 1 > kMaxName) break;
            out += '_';
            ++i;
            continue;
        }
        if (out.size() + n > kMaxName) break;  // cut at a character boundary
        out.append(clientName.substr(i, n));
        i += n;
    }
    if (out == "." || out == "..") return "";
    if (isTempName(out)) out.insert(0, "_");
    return out;
}

std::string withSuffix(std::string_view name, unsigned n) {
    if (n == 0) return std::string(name);
    // The extension is what follows the last dot, unless that dot starts the name
    // (".bashrc" has none): "notes.txt" -> "notes (1).txt".
    auto dot = name.rfind('.');
    if (dot == 0 || dot == std::string_view::npos) dot = name.size();
    return std::string(name.substr(0, dot)) + " (" + std::to_string(n) + ")" + std::string(name.substr(dot));
}

std::string generatedName(const std::tm& t, int millis, std::uint64_t counter) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "upload-%04d%02d%02d-%02d%02d%02d.%03d-%llu.bin", t.tm_year + 1900, t.tm_mon + 1,
                  t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, millis, static_cast<unsigned long long>(counter));
    return buf;
}

std::string tempName(long pid, std::uint64_t counter) {
    return ".kitup-" + std::to_string(pid) + "-" + std::to_string(counter) + ".part";
}

bool isTempName(std::string_view name) {
    constexpr std::string_view pre = ".kitup-", post = ".part";
    if (name.size() <= pre.size() + post.size() || name.substr(0, pre.size()) != pre ||
        name.substr(name.size() - post.size()) != post)
        return false;
    const std::string_view mid = name.substr(pre.size(), name.size() - pre.size() - post.size());
    const auto dash = mid.find('-');
    if (dash == std::string_view::npos || dash == 0 || dash + 1 == mid.size()) return false;
    const auto digits = [](std::string_view s) { return std::all_of(s.begin(), s.end(), isDigit); };
    return digits(mid.substr(0, dash)) && digits(mid.substr(dash + 1));
}

std::string toHex(std::span<const std::uint8_t> bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (const auto b : bytes) {
        out += kDigits[b >> 4];
        out += kDigits[b & 0xf];
    }
    return out;
}

std::string okLine(std::string_view savedName, std::string_view digest) {
    return "OK " + std::string(savedName) + " " + std::string(digest) + "\n";
}

std::string errLine(std::string_view code, std::string_view reason) {
    std::string r(reason);
    std::replace(r.begin(), r.end(), '\n', ' ');
    std::replace(r.begin(), r.end(), '\r', ' ');
    return "ERR " + std::string(code) + " " + r + "\n";
}

std::optional<Reply> parseReply(std::string_view line) {
    Reply r;
    if (line.substr(0, 3) == "OK ") {
        // The saved name may contain spaces: the digest is the last word.
        const std::string_view rest = line.substr(3);
        const auto space = rest.rfind(' ');
        if (space == std::string_view::npos || space == 0) return std::nullopt;
        r.ok = true;
        r.name = rest.substr(0, space);
        r.digest = rest.substr(space + 1);
        if (r.digest != "unverified" && (r.digest.size() != 64 || !std::all_of(r.digest.begin(), r.digest.end(), isLowerHex)))
            return std::nullopt;
        return r;
    }
    if (line.substr(0, 4) == "ERR ") {
        const std::string_view rest = line.substr(4);
        const auto space = rest.find(' ');
        r.code = rest.substr(0, space);
        if (r.code.empty()) return std::nullopt;
        if (space != std::string_view::npos) r.reason = rest.substr(space + 1);
        return r;
    }
    return std::nullopt;
}

// ---------------------------------------------------------------- Framer

void Framer::fail(std::string_view code, const std::string& reason) {
    state_ = State::Failed;
    held_.clear();
    if (ev_.error) ev_.error(code, reason);
}

void Framer::feed(std::span<const std::uint8_t> in) {
    const auto* p = reinterpret_cast<const char*>(in.data());
    std::size_t i = 0;
    while (i < in.size()) {
        switch (state_) {
        case State::Start: {
            // Byte by byte against the magic: the first byte that differs makes this the
            // raw protocol, and every byte held so far is the file's beginning.
            held_ += p[i++];
            if (held_.back() != kMagic[held_.size() - 1]) {
                state_ = State::Raw;
                const std::string held = std::move(held_);
                held_.clear();
                if (ev_.raw) ev_.raw(held);
                if (state_ == State::Raw) remaining_ = held.size();
            } else if (held_.size() == kMagic.size()) {
                state_ = State::Header;  // held_ keeps the magic: the line starts with it
            }
            break;
        }
        case State::Header: {
            const char* nl = static_cast<const char*>(std::memchr(p + i, '\n', in.size() - i));
            const std::size_t take = (nl ? static_cast<std::size_t>(nl - (p + i)) : in.size() - i);
            if (held_.size() + take + 1 > kMaxHeader) {  // +1: the "\n" counts too
                fail("EHEADER", "header longer than " + std::to_string(kMaxHeader) + " bytes");
                return;
            }
            held_.append(p + i, take);
            i += take;
            if (!nl) break;
            ++i;  // the "\n"
            const auto r = parseHeader(held_);
            held_.clear();
            if (!r.header) {
                fail("EHEADER", r.error);
                return;
            }
            remaining_ = r.header->size;
            state_ = remaining_ == 0 ? State::Trailer : State::Body;
            if (ev_.header && !ev_.header(*r.header)) {
                state_ = State::Failed;  // refused by the server, which answers itself
                return;
            }
            break;
        }
        case State::Body: {
            const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, in.size() - i));
            ev_.body(i, n);
            if (state_ != State::Body) return;  // the server gave up meanwhile
            remaining_ -= n;
            i += n;
            if (remaining_ == 0) state_ = State::Trailer;
            break;
        }
        case State::Trailer: {
            // Checked as it arrives: a byte that cannot belong to "SHA256 <hex>\n" means
            // the client sent more than its header said (or garbage): ELONG at once.
            const char c = p[i++];
            const std::size_t at = held_.size();
            const bool fits = at < kTrailerTag.size() ? c == kTrailerTag[at]
                              : at < kTrailerSize - 1 ? isLowerHex(c)
                                                      : c == '\n';
            if (!fits) {
                fail("ELONG", "more bytes than the header's size, or no SHA256 trailer after them");
                return;
            }
            if (c != '\n') {
                held_ += c;
                break;
            }
            const auto digest = parseTrailer(held_);
            held_.clear();
            state_ = State::Done;
            if (ev_.trailer) ev_.trailer(*digest);
            return;  // bytes after the trailer are not looked at
        }
        case State::Raw:
            ev_.body(i, in.size() - i);
            remaining_ += in.size() - i;
            i = in.size();
            break;
        case State::Done:
        case State::Failed:
            return;
        }
    }
}

void Framer::end() {
    switch (state_) {
    case State::Start: {
        // The connection ended while its bytes (maybe none) were still a prefix of the
        // magic: the raw protocol, a file of those bytes.
        state_ = State::Raw;
        const std::string held = std::move(held_);
        held_.clear();
        if (ev_.raw) ev_.raw(held);
        remaining_ = held.size();
        if (state_ == State::Raw && ev_.rawEnd) ev_.rawEnd();
        break;
    }
    case State::Raw:
        if (ev_.rawEnd) ev_.rawEnd();
        break;
    case State::Header:
        fail("ESHORT", "connection ended inside the header");
        break;
    case State::Body:
        fail("ESHORT", "connection ended with " + std::to_string(remaining_) + " of the announced bytes missing");
        break;
    case State::Trailer:
        fail("ESHORT", "connection ended before the SHA256 trailer");
        break;
    case State::Done:
    case State::Failed:
        break;
    }
}

} // namespace upload
