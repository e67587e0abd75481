/// @file string_decoder.hpp
/// @brief Node's `string_decoder` for UTF-8: never split a character across chunks.
///
/// TCP delivers bytes in whatever pieces the network made. A three-byte character such
/// as "€" (E2 82 AC) can end one `data` chunk and begin the next. Node's
/// `` socket.setEncoding('utf8') `` passes every chunk through a StringDecoder, which holds
/// back the bytes of an incomplete character until the rest arrives. This is that
/// decoder.
///
/// What it leaves out: other encodings, and replacing malformed sequences with U+FFFD
/// (invalid bytes are passed through unchanged; Node would substitute them).
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
    /// @brief Add @p bytes; return the text of every character now complete.
    std::string write(std::string_view bytes);
    /// @brief Return whatever is held back (an incomplete character at the end).
    std::string end();

private:
    std::string pending_;
};

} // namespace kit
