// string_decoder_test.cpp: kit::StringDecoder, the decoder behind setEncoding('utf8'),
// against what Node v20's StringDecoder returned for the same chunks
// (string_decoder_vectors.inc, written by string_decoder_vectors.js).
#include "test_support.hpp"

#include "string_decoder.hpp"

#include <cstddef>
#include <iterator>
#include <string>
#include <vector>

namespace {

// Plain arrays, not vectors: a constant table needs no start-up code, and 600 vectors of
// vectors took ASan's build 80 s to compile (the longest file of `make test`'s build).
struct Vector {
    const char* input;                // hex
    std::size_t cuts[3];              // where the input is cut into chunks (up to 3 cuts)
    const char* outputs[5];           // hex: each write(), then end(); unused ones are null

    /// The texts given: one per write() plus one for end().
    std::size_t outputCount() const {
        std::size_t n = 0;
        while (n < std::size(outputs) && outputs[n] != nullptr) ++n;
        return n;
    }
    /// N cuts make N + 1 writes: two fewer than the texts.
    std::size_t cutCount() const { return outputCount() - 2; }
};

constexpr Vector kNodeVectors[] = {
#include "string_decoder_vectors.inc"
};

std::string fromHex(std::string_view hex) {
    std::string out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) out += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
    return out;
}

} // namespace

TEST_CASE("utf8CompletePrefix holds back only an unfinished character", "[string_decoder]") {
    CHECK(kit::utf8CompletePrefix("abc") == 3);
    CHECK(kit::utf8CompletePrefix("a\xE2") == 1);
    CHECK(kit::utf8CompletePrefix("a\xE2\x82") == 1);
    CHECK(kit::utf8CompletePrefix("a\xE2\x82\xAC") == 4);
    CHECK(kit::utf8CompletePrefix("\xF0\x9F\x98") == 0);
    CHECK(kit::utf8CompletePrefix("\xF0\x9F\x98\x80") == 4);
    kit::StringDecoder d;
    CHECK(d.write("\xC3") == "");
    CHECK(d.write("\xA1!") == "\xC3\xA1!");
}

TEST_CASE("a malformed byte in the middle of a stream becomes U+FFFD, as in Node", "[string_decoder]") {
    kit::StringDecoder d;
    CHECK(d.write("a\xFF" "b") == "a\xEF\xBF\xBD" "b");
    CHECK(d.write("\xC3\x28") == "\xEF\xBF\xBD(");  // a lead byte whose continuation never came
    CHECK(d.end().empty());
}

TEST_CASE("a character cut between two chunks is held back and delivered whole", "[string_decoder]") {
    kit::StringDecoder d;
    CHECK(d.write("\xE2\x82").empty());
    CHECK(d.write("\xAC!") == "\xE2\x82\xAC!");  // U+20AC then '!'
}

TEST_CASE("a character left unfinished at end() is one U+FFFD", "[string_decoder]") {
    kit::StringDecoder d;
    CHECK(d.write("ok\xF0\x9F\x98") == "ok");
    CHECK(d.end() == "\xEF\xBF\xBD");
    CHECK(d.end().empty());  // and the decoder starts over
}

TEST_CASE("every write() and end() return what Node's StringDecoder returned for the same chunks",
          "[string_decoder]") {
    REQUIRE(std::size(kNodeVectors) >= 600);
    for (const auto& v : kNodeVectors) {
        const std::string input = fromHex(v.input);
        kit::StringDecoder d;
        std::vector<std::string> got;
        std::size_t previous = 0;
        std::vector<std::size_t> cuts(v.cuts, v.cuts + v.cutCount());
        cuts.push_back(input.size());
        for (std::size_t cut : cuts) {
            got.push_back(d.write(std::string_view(input).substr(previous, cut - previous)));
            previous = cut;
        }
        got.push_back(d.end());
        std::vector<std::string> expected;
        for (std::size_t i = 0; i < v.outputCount(); ++i) expected.push_back(fromHex(v.outputs[i]));
        INFO("input " << v.input);
        CHECK(got == expected);
    }
}

TEST_CASE("utf8Decode of a whole input is what the chunks decode to together (buf.toString())",
          "[string_decoder]") {
    for (const auto& v : kNodeVectors) {
        std::string joined;
        for (std::size_t i = 0; i < v.outputCount(); ++i) joined += fromHex(v.outputs[i]);
        INFO("input " << v.input);
        CHECK(kit::utf8Decode(fromHex(v.input)) == joined);
    }
}
