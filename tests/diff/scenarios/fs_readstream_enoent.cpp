// Scenario fs_readstream_enoent, the C++ twin of fs_readstream_enoent.js (read that
// file's comment first).
#include "console.hpp"
#include "fs.hpp"
#include "process.hpp"

#include <string>

using namespace kit;

int main() {
    const std::string path = "./no-such-dir/no-such-file.txt";
    auto stream = fs::createReadStream(path);
    stream->on("open", [](int) { console::log("stream open (unexpected)"); });
    stream->on("ready", [] { console::log("stream ready (unexpected)"); });
    stream->on("data", [](const Buffer&) { console::log("stream data (unexpected)"); });
    stream->on("end", [] { console::log("stream end (unexpected)"); });
    stream->on("error", [](const Error& err) {
        console::log("stream error", err.code, err.syscall, "errno=" + std::to_string(err.errnum));
        console::log("stream error message", "\"" + err.message + "\"");
        console::log("stream error", "path=" + err.path.value_or("undefined"));
    });
    stream->on("close", [] { console::log("stream close"); });
    console::log("createReadStream() returned");
    return process::run();
}
