// upload_test.cpp: lesson 06's protocol functions (lessons/06_upload/upload.cpp): the
// header parser, the trailer, the name sanitiser, unique and generated names, the
// answer lines, and the Framer that splits a connection's bytes. upload.cpp is a
// lesson's file, not the library's, and needs nothing of it: it is compiled in here,
// as the fuzz target (fuzz/upload_header_fuzz.cpp) does.
#include "test_support.hpp"

#include "../../lessons/06_upload/upload.cpp"

#include <string>
#include <vector>

namespace {

std::span<const std::uint8_t> bytesOf(std::string_view s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// What a Framer reported, as text, for one connection fed in pieces of `step` bytes.
struct Seen {
    std::vector<std::string> events;
    std::string body;
};

Seen frame(std::string_view wire, std::size_t step, bool fin, bool acceptHeader = true) {
    Seen seen;
    std::string_view current;
    upload::Framer f(upload::Framer::Events{
        .header = [&](const upload::Header& h) {
            seen.events.push_back("header " + std::to_string(h.size) + " " + h.name);
            return acceptHeader;
        },
        .raw = [&](std::string_view held) {
            seen.events.push_back("raw");
            seen.body += held;
        },
        .body = [&](std::size_t off, std::size_t len) { seen.body += current.substr(off, len); },
        .trailer = [&](const std::string& d) { seen.events.push_back("trailer " + d); },
        .rawEnd = [&] { seen.events.push_back("rawEnd"); },
        .error = [&](std::string_view code, const std::string&) { seen.events.push_back("error " + std::string(code)); },
    });
    for (std::size_t i = 0; i < wire.size(); i += step) {
        current = wire.substr(i, step);
        f.feed(bytesOf(current));
    }
    if (fin) f.end();
    return seen;
}

const std::string kHex(64, 'a');

} // namespace

TEST_CASE("parseHeader reads size and name, and the name may contain spaces", "[upload]") {
    const auto r = upload::parseHeader("KITUP/1 1234 my notes.txt");
    REQUIRE(r.header);
    CHECK(r.header->size == 1234);
    CHECK(r.header->name == "my notes.txt");
    CHECK(r.error.empty());
}

TEST_CASE("parseHeader refuses a wrong version, a missing name, a signed or huge size", "[upload]") {
    for (const char* bad : {"KITUP/2 1 a", "KITUP/1 1", "KITUP/1 1 ", "KITUP/1 +1 a", "KITUP/1 -1 a", "KITUP/1 1x a",
                            "KITUP/1  1 a", "KITUP/1 18446744073709551616 a", "KITUP/1 000000000000000000001 a", "kitup/1 1 a"}) {
        INFO(bad);
        const auto r = upload::parseHeader(bad);
        CHECK_FALSE(r.header);
        CHECK_FALSE(r.error.empty());
    }
}

TEST_CASE("parseHeader takes the largest size a uint64 holds and a zero size", "[upload]") {
    CHECK(upload::parseHeader("KITUP/1 18446744073709551615 a").header->size == UINT64_MAX);
    CHECK(upload::parseHeader("KITUP/1 0 empty").header->size == 0);
}

TEST_CASE("parseHeader refuses a line longer than 1024 bytes with its newline", "[upload]") {
    const std::string prefix = "KITUP/1 1 ";
    CHECK(upload::parseHeader(prefix + std::string(1023 - prefix.size(), 'n')).header);
    CHECK_FALSE(upload::parseHeader(prefix + std::string(1024 - prefix.size(), 'n')).header);
}

TEST_CASE("parseTrailer wants SHA256, one space and 64 lowercase hex digits", "[upload]") {
    CHECK(upload::parseTrailer("SHA256 " + kHex) == kHex);
    CHECK_FALSE(upload::parseTrailer("SHA256 " + std::string(64, 'A')));
    CHECK_FALSE(upload::parseTrailer("SHA256 " + std::string(63, 'a')));
    CHECK_FALSE(upload::parseTrailer("sha256 " + kHex));
}

TEST_CASE("sanitizeName keeps only the base name: no directories, no '..'", "[upload]") {
    CHECK(upload::sanitizeName("../../etc/passwd") == "passwd");
    CHECK(upload::sanitizeName("/absolute/path.txt") == "path.txt");
    CHECK(upload::sanitizeName("..") == "");
    CHECK(upload::sanitizeName(".") == "");
    CHECK(upload::sanitizeName("a/..") == "");
    CHECK(upload::sanitizeName("dir/") == "");
    CHECK(upload::sanitizeName("..hidden") == "..hidden");
}

TEST_CASE("sanitizeName drops control characters and replaces bytes that are not UTF-8", "[upload]") {
    CHECK(upload::sanitizeName(std::string("a\nb\rc\td\x7f\x01.txt")) == "abcd.txt");
    CHECK(upload::sanitizeName("ol\xC3\xA1.txt") == "ol\xC3\xA1.txt");
    CHECK(upload::sanitizeName("bad\xFF\xC3.txt") == "bad__.txt");
    CHECK(upload::sanitizeName("\xED\xA0\x80") == "___");  // a UTF-16 surrogate is not UTF-8
}

TEST_CASE("sanitizeName cuts at 200 bytes without splitting a character", "[upload]") {
    CHECK(upload::sanitizeName(std::string(300, 'x')).size() == 200);
    std::string accents;
    for (int i = 0; i < 150; ++i) accents += "\xC3\xA9";  // 300 bytes of 2-byte characters
    const auto cut = upload::sanitizeName(accents);
    CHECK(cut.size() == 200);
    CHECK(cut.substr(198) == "\xC3\xA9");
    const auto odd = upload::sanitizeName("x" + accents);  // 1 + 2k: 199 bytes fit, not 201
    CHECK(odd.size() == 199);
}

TEST_CASE("sanitizeName never returns a name the server would take for its own temporary", "[upload]") {
    CHECK(upload::sanitizeName(".kitup-12-3.part") == "_.kitup-12-3.part");
    CHECK(upload::sanitizeName(".kitup-x.part") == ".kitup-x.part");
}

TEST_CASE("withSuffix puts ' (n)' before the last extension, not into a dot file's name", "[upload]") {
    CHECK(upload::withSuffix("notes.txt", 0) == "notes.txt");
    CHECK(upload::withSuffix("notes.txt", 1) == "notes (1).txt");
    CHECK(upload::withSuffix("archive.tar.gz", 2) == "archive.tar (2).gz");
    CHECK(upload::withSuffix(".bashrc", 1) == ".bashrc (1)");
    CHECK(upload::withSuffix("README", 12) == "README (12)");
}

TEST_CASE("generatedName has the date, the time with milliseconds and the counter", "[upload]") {
    std::tm t{};
    t.tm_year = 2026 - 1900;
    t.tm_mon = 0;
    t.tm_mday = 2;
    t.tm_hour = 3;
    t.tm_min = 4;
    t.tm_sec = 5;
    CHECK(upload::generatedName(t, 7, 42) == "upload-20260102-030405.007-42.bin");
}

TEST_CASE("tempName and isTempName agree; other names are not temporaries", "[upload]") {
    CHECK(upload::tempName(1234, 5) == ".kitup-1234-5.part");
    CHECK(upload::isTempName(upload::tempName(1234, 5)));
    for (const char* n : {".kitup-1234-5.txt", ".kitup--5.part", ".kitup-12-.part", "kitup-1-2.part", ".kitup-1-2.part.x", ".kitup-a-2.part"}) {
        INFO(n);
        CHECK_FALSE(upload::isTempName(n));
    }
}

TEST_CASE("okLine and errLine are one line each, and parseReply reads them back", "[upload]") {
    CHECK(upload::okLine("a b.txt", kHex) == "OK a b.txt " + kHex + "\n");
    CHECK(upload::errLine("ENOSPC", "no space\nleft") == "ERR ENOSPC no space left\n");
    const auto ok = upload::parseReply("OK a b.txt " + kHex);
    REQUIRE(ok);
    CHECK(ok->ok);
    CHECK(ok->name == "a b.txt");
    CHECK(ok->digest == kHex);
    CHECK(upload::parseReply("OK upload-x.bin unverified")->digest == "unverified");
    const auto err = upload::parseReply("ERR ETOOBIG 10 bytes is over the limit");
    REQUIRE(err);
    CHECK_FALSE(err->ok);
    CHECK(err->code == "ETOOBIG");
    CHECK(err->reason == "10 bytes is over the limit");
    CHECK_FALSE(upload::parseReply("HELLO"));
    CHECK_FALSE(upload::parseReply("OK name-without-digest"));
}

TEST_CASE("the Framer splits header, body and trailer, whatever the chunk sizes", "[upload]") {
    const std::string wire = "KITUP/1 11 hello.txt\nhello world" + std::string("SHA256 ") + kHex + "\n";
    for (std::size_t step : {std::size_t{1}, std::size_t{3}, std::size_t{7}, std::size_t{64}, wire.size()}) {
        INFO("step " << step);
        const auto seen = frame(wire, step, true);
        CHECK(seen.events == std::vector<std::string>{"header 11 hello.txt", "trailer " + kHex});
        CHECK(seen.body == "hello world");
    }
}

TEST_CASE("the Framer takes a connection that is not KITUP as the raw protocol, every byte kept", "[upload]") {
    for (std::size_t step : {std::size_t{1}, std::size_t{4}, std::size_t{100}}) {
        INFO("step " << step);
        const auto seen = frame("KITUX whatever follows", step, true);
        CHECK(seen.events == std::vector<std::string>{"raw", "rawEnd"});
        CHECK(seen.body == "KITUX whatever follows");
    }
}

TEST_CASE("the Framer: a connection that ends while still a prefix of the magic is raw", "[upload]") {
    CHECK(frame("KITU", 2, true).events == std::vector<std::string>{"raw", "rawEnd"});
    CHECK(frame("KITU", 2, true).body == "KITU");
    CHECK(frame("", 1, true).events == std::vector<std::string>{"raw", "rawEnd"});
}

TEST_CASE("the Framer: more bytes than the header says is ELONG", "[upload]") {
    const auto seen = frame("KITUP/1 3 a\nabcdefSHA256 " + kHex + "\n", 5, true);
    CHECK(seen.events.back() == "error ELONG");
    CHECK(seen.body == "abc");
}

TEST_CASE("the Framer: fewer bytes than the header says, then the FIN, is ESHORT", "[upload]") {
    const auto seen = frame("KITUP/1 100 a\nabcSHA256 " + kHex + "\n", 5, true);
    CHECK(seen.events.back() == "error ESHORT");
}

TEST_CASE("the Framer: a FIN inside the header or before the trailer is ESHORT", "[upload]") {
    CHECK(frame("KITUP/1 3 a", 4, true).events.back() == "error ESHORT");
    CHECK(frame("KITUP/1 3 a\nabcSHA256 ab", 4, true).events.back() == "error ESHORT");
}

TEST_CASE("the Framer: a garbage header and a header without newline past 1024 bytes are EHEADER", "[upload]") {
    CHECK(frame("KITUP/1 lots a\n", 3, false).events == std::vector<std::string>{"error EHEADER"});
    CHECK(frame("KITUP/1 " + std::string(2000, '9'), 100, false).events == std::vector<std::string>{"error EHEADER"});
}

TEST_CASE("the Framer stops after a header the server refuses", "[upload]") {
    const auto seen = frame("KITUP/1 3 a\nabcSHA256 " + kHex + "\n", 4, true, false);
    CHECK(seen.events == std::vector<std::string>{"header 3 a"});
    CHECK(seen.body.empty());
}

TEST_CASE("the Framer: a zero-byte file is a header and a trailer", "[upload]") {
    const auto seen = frame("KITUP/1 0 empty\nSHA256 " + kHex + "\n", 2, true);
    CHECK(seen.events == std::vector<std::string>{"header 0 empty", "trailer " + kHex});
}
