/// @file string_decoder.hpp
/// @brief Node's `string_decoder` for UTF-8: never split a character across chunks.
///
/// TCP delivers bytes in whatever pieces the network made. A three-byte character such
/// as "€" (E2 82 AC) can end one `data` chunk and begin the next. Node's
/// `` socket.setEncoding('utf8') `` passes every chunk through a StringDecoder, which holds
/// back the bytes of an incomplete character until the rest arrives. This is that
/// decoder.
///
/// Malformed bytes become U+FFFD as in Node: each maximal subpart of an invalid
/// sequence is one U+FFFD (the UTF-8 decoder of the WHATWG Encoding standard, which V8
/// follows). Node's decoder (src/string_decoder.cc) holds back an unfinished character
/// by looking at its lead byte only, and decodes everything else at once; this one does
/// the same, so each `write()` returns exactly the text Node's returns for the same
/// chunk, malformed input included, and all of them together are `buf.toString()` of
/// the whole input. What is still held at `end()` is decoded as it is (one U+FFFD for
/// an unfinished character).
///
/// What it leaves out: other encodings (latin1, utf16le, base64, hex).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace kit {

/// @brief Length of the longest prefix of @p bytes that does not end inside a UTF-8
/// character (at most 3 bytes are held back).
std::size_t utf8CompletePrefix(std::string_view bytes);

/// @brief A UTF-8 StringDecoder (Node's `` new StringDecoder('utf8') ``).
class StringDecoder {
public:
    /// @brief Add @p bytes; return the text of every character now complete, as valid
    /// UTF-8 (malformed sequences replaced with U+FFFD). The bytes of a character that
    /// is not finished yet are held back (at most 3).
    std::string write(std::string_view bytes);
    /// @brief End of input: what was held back, decoded (U+FFFD for an unfinished
    /// character), or nothing. The decoder is then ready for a new stream.
    std::string end();

private:
    std::string held_;         // the start of a character cut by the end of a chunk
    std::size_t missing_ = 0;  // bytes its lead byte says are still to come
};

/// @brief Decode a whole byte string as `buf.toString('utf8')` does: valid UTF-8 in,
/// the same out; each maximal subpart of a malformed sequence becomes one U+FFFD.
std::string utf8Decode(std::string_view bytes);

} // namespace kit
