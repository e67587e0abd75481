// upload_header_fuzz.cpp: libFuzzer target for lesson 06's protocol reader
// (lessons/06_upload/upload.cpp): parseHeader, sanitizeName and the Framer, which see
// every byte a client sends to the upload server: bytes from anyone on the network.
//
//   make fuzz                                  (builds build/fuzz/upload_header_fuzz)
//   build/fuzz/upload_header_fuzz FILE...      replay inputs (what `make check` does)
//
// upload.cpp is compiled into this target (included below) rather than linked: it is a
// lesson's file, not the library's, and needs nothing of the library.
//
// Invariants, for any bytes:
//  * parseHeader() returns a header or a reason, never both, never neither; a header's
//    name is not empty, and printing it back ("KITUP/1 <size> <name>") parses the same;
//  * sanitizeName() of anything is at most 200 bytes, valid UTF-8, has no '/', no
//    control character, is neither "." nor "..", and is not a temporary's name; and
//    sanitising it again changes nothing;
//  * the Framer, fed the input in two pieces split anywhere, reports the same events
//    and the same file bytes as when fed it whole; body offsets stay inside the input;
//    file bytes never exceed the header's size; ELONG/EHEADER/ESHORT end the framing.
#include "../lessons/06_upload/upload.cpp"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "upload_header_fuzz: invariant broken: %s\n", what);
    std::fflush(stderr);
    std::abort();
}

struct Run {
    std::vector<std::string> events;
    std::string body;
    std::uint64_t announced = 0;
    bool framed = false;
};

Run frame(std::span<const std::uint8_t> in, std::size_t split) {
    Run run;
    std::span<const std::uint8_t> current;
    upload::Framer f(upload::Framer::Events{
        .header = [&](const upload::Header& h) {
            run.events.push_back("header " + std::to_string(h.size) + " " + h.name);
            run.announced = h.size;
            run.framed = true;
            return h.size < (1u << 20);  // a server with a 1 MiB limit
        },
        .raw = [&](std::string_view held) {
            run.events.emplace_back("raw");
            run.body += held;
        },
        .body = [&](std::size_t off, std::size_t len) {
            if (off > current.size() || len > current.size() - off) fail("body range outside the input");
            run.body.append(reinterpret_cast<const char*>(current.data()) + off, len);
        },
        .trailer = [&](const std::string& d) { run.events.push_back("trailer " + d); },
        .rawEnd = [&] { run.events.emplace_back("rawEnd"); },
        .error = [&](std::string_view code, const std::string&) { run.events.push_back("error " + std::string(code)); },
    });
    current = in.subspan(0, split);
    f.feed(current);
    current = in.subspan(split);
    f.feed(current);
    f.end();
    if (run.framed && run.body.size() > run.announced) fail("more file bytes than the header announced");
    return run;
}

bool validUtf8(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        const std::size_t n = upload::utf8Length(s, i);
        if (n == 0) return false;
        i += n;
    }
    return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::uint8_t> in(data, size);
    const std::string_view text(reinterpret_cast<const char*>(data), size);

    const auto r = upload::parseHeader(text);
    if (r.header.has_value() == !r.error.empty()) fail("parseHeader: header and error together, or neither");
    if (r.header) {
        if (r.header->name.empty()) fail("parseHeader: empty name accepted");
        const auto again = upload::parseHeader("KITUP/1 " + std::to_string(r.header->size) + " " + r.header->name);
        if (!again.header || again.header->name != r.header->name || again.header->size != r.header->size)
            fail("parseHeader: printed header parses differently");
    }

    const std::string name = upload::sanitizeName(text);
    if (name.size() > upload::kMaxName) fail("sanitizeName: longer than kMaxName");
    if (!validUtf8(name)) fail("sanitizeName: not UTF-8");
    for (const char c : name) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '/' || u < 0x20 || u == 0x7f) fail("sanitizeName: '/' or a control character kept");
    }
    if (name == "." || name == ".." || upload::isTempName(name)) fail("sanitizeName: '.', '..' or a temporary's name");
    if (upload::sanitizeName(name) != name) fail("sanitizeName: not idempotent");

    const Run whole = frame(in, size);
    const Run split = frame(in, size / 3);
    if (whole.events != split.events || whole.body != split.body) fail("Framer: the split changes the result");
    return 0;
}
