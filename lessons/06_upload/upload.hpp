// upload.hpp: lesson 06's protocol ("KITUP/1"), shared by the server and the client.
//
// Plain C++ on purpose: no event loop, no sockets, no files. Everything here is a pure
// function of bytes, so the unit tests (tests/unit/upload_test.cpp) and the fuzz target
// (fuzz/upload_header_fuzz.cpp) reach all of it, and the Node twins
// (server.js, client.js) must give the same answers byte for byte.
//
// The wire format (README.md shows a byte-level example):
//
//   client -> server   KITUP/1 <size> <name>\n       one header line, <= 1024 bytes
//                      <size bytes of the file>
//                      SHA256 <64 lowercase hex>\n    the digest of those bytes
//                      (then the client half-closes: shutdown(SHUT_WR))
//   server -> client   OK <savedname> <64 hex>\n      or   ERR <CODE> <reason>\n
//
// A connection whose first bytes are not a prefix of "KITUP/1 " is the document's raw
// protocol ([doc TCPC.C2]: the file, then the FIN), saved as "unverified".
#pragma once

#include <cstddef>
#include <cstdint>
#include <ctime>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace upload {

/// The magic and version that open a framed upload, with the space that follows.
inline constexpr std::string_view kMagic = "KITUP/1 ";
/// Longest header line, its "\n" included: a longer one is refused (EHEADER).
inline constexpr std::size_t kMaxHeader = 1024;
/// Longest saved name, in bytes (cut at a UTF-8 character boundary).
inline constexpr std::size_t kMaxName = 200;
/// "SHA256 " + 64 hex digits + "\n".
inline constexpr std::size_t kTrailerSize = 72;
/// The trailer's first 7 bytes.
inline constexpr std::string_view kTrailerTag = "SHA256 ";

/// What a framed upload's header line says.
struct Header {
    std::uint64_t size = 0;  ///< Bytes of the file that follow the header.
    std::string name;        ///< The client's name for it, as sent (not yet sanitised).
};

/// parseHeader's answer: a header, or why the line is not one.
struct HeaderResult {
    std::optional<Header> header;
    std::string error;  ///< Empty when header is set.
};

/// Parse one header line, without its "\n": `KITUP/1 <size> <name>`.
HeaderResult parseHeader(std::string_view line);

/// A decimal byte count: 1 to 20 digits, nothing else, no larger than 2^64 - 1.
std::optional<std::uint64_t> parseSize(std::string_view digits);

/// The digest in a trailer line without its "\n" (`SHA256 <64 lowercase hex>`).
std::optional<std::string> parseTrailer(std::string_view line);

/// The client's name reduced to a safe base name: the part after the last '/', control
/// characters (< 0x20, 0x7f) dropped, invalid UTF-8 bytes replaced by '_', cut to
/// kMaxName bytes at a character boundary; "." and ".." become "" (the caller then
/// generates a name), and a name that looks like one of our temporaries gets a '_'
/// in front, so a restart never takes it for a stale temporary.
std::string sanitizeName(std::string_view clientName);

/// The n-th name tried when @p name is taken (n >= 1): "notes (1).txt", "archive.tar (2).gz",
/// ".bashrc (1)"; n = 0 gives @p name itself.
std::string withSuffix(std::string_view name, unsigned n);

/// A server-generated name: upload-YYYYMMDD-HHMMSS.mmm-<counter>.bin (local time).
std::string generatedName(const std::tm& local, int millis, std::uint64_t counter);

/// A temporary's name in the target directory: .kitup-<pid>-<counter>.part.
std::string tempName(long pid, std::uint64_t counter);

/// Whether @p name has the form tempName() gives (a stale one is removed at start-up).
bool isTempName(std::string_view name);

/// Bytes as lowercase hexadecimal.
std::string toHex(std::span<const std::uint8_t> bytes);

/// The server's success line, "\n" included.
std::string okLine(std::string_view savedName, std::string_view digest);

/// The server's failure line, "\n" included; @p reason has its line breaks removed.
std::string errLine(std::string_view code, std::string_view reason);

/// The server's answer, as the client reads it.
struct Reply {
    bool ok = false;
    std::string name;    ///< OK: the name the file was saved under.
    std::string digest;  ///< OK: 64 hex digits, or "unverified".
    std::string code;    ///< ERR: EHEADER, ETOOBIG, ENOSPC...
    std::string reason;  ///< ERR: the text after the code.
};

/// Parse the server's line, without its "\n"; nullopt if it is neither OK nor ERR.
std::optional<Reply> parseReply(std::string_view line);

/// The server's reading of one connection: which protocol, where the header ends, which
/// bytes are the file, where the trailer is. It only looks at bytes and reports what it
/// found to the callbacks below; the server decides what to do (write, hash, answer).
/// Offsets given to `body` are into the span passed to that `feed` call.
class Framer {
public:
    /// What the framer reports. Every callback is optional except body.
    struct Events {
        /// A header line parsed: return false to stop (the server refused it: ETOOBIG).
        std::function<bool(const Header&)> header;
        /// The connection is the raw protocol; @p held are the bytes read before that
        /// was clear (a prefix of the magic): the file's first bytes.
        std::function<void(std::string_view held)> raw;
        /// File bytes: [offset, offset + length) of the current feed's input.
        std::function<void(std::size_t offset, std::size_t length)> body;
        /// The trailer arrived: the digest the client computed.
        std::function<void(const std::string& digest)> trailer;
        /// The raw protocol's end (the FIN).
        std::function<void()> rawEnd;
        /// A protocol error: EHEADER, ELONG, ESHORT, and the reason.
        std::function<void(std::string_view code, const std::string& reason)> error;
    };

    /// Where the framer is.
    enum class State { Start, Header, Body, Trailer, Done, Raw, Failed };

    explicit Framer(Events events) : ev_(std::move(events)) {}
    /// Bytes that arrived, in order.
    void feed(std::span<const std::uint8_t> in);
    /// The peer's FIN: the raw protocol ends here; a framed upload before its trailer is short.
    void end();
    /// The current state.
    State state() const { return state_; }
    /// File bytes still expected (framed), or received so far (raw).
    std::uint64_t remaining() const { return remaining_; }

private:
    void fail(std::string_view code, const std::string& reason);
    Events ev_;
    State state_ = State::Start;
    std::string held_;            // magic prefix, header line or trailer, while incomplete
    std::uint64_t remaining_ = 0;
};

} // namespace upload
