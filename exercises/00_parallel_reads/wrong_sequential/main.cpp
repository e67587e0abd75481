// Exercise 00_parallel_reads, wrong_sequential: a WRONG solution, kept so that the check is proved to refuse it.
//
// The mistake: the reads are asynchronous, but each one is started only when the one
// before has finished ('close'). The right lines, the right total, and no parallelism:
// a file that takes long holds every file after it. The check makes one of the files
// a FIFO that it writes only once the other files' lines have appeared: this program
// waits for ever behind it.
//
// Node's version of the same idea, for comparison (fs.readFile also runs on the pool):
//   let pending = names.length, total = 0, files = 0;
//   for (const name of names) fs.readFile(name, (err, data) => {
//     if (err) { console.error(err); process.exitCode = 1; }
//     else { console.log(`${name}: ${data.length} bytes`); total += data.length; files++; }
//     if (--pending === 0) console.log(`total: ${total} bytes in ${files} files`);
//   });
#include "console.hpp"
#include "fs.hpp"
#include "process.hpp"

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

using namespace kit;

int main(int argc, char** argv) {
    if (argc < 2) {
        console::error("usage: parallel_reads FILE...");
        return 2;
    }

    // What every callback shares. main() is still running (inside process::run())
    // while the callbacks run, so they may use these by reference.
    std::size_t total = 0;    // bytes of the files read whole
    int files = 0;            // files read whole
    int pending = argc - 1;   // reads not finished yet (ended or failed)
    std::vector<std::shared_ptr<fs::ReadStream>> streams;

    // wrong: one file at a time, the next one started from the previous one's 'close'.
    std::function<void(int)> readOne = [&](int i) {
        const std::string name = argv[i];
        auto stream = fs::createReadStream(name);
        auto bytes = std::make_shared<std::size_t>(0);
        stream->on("data", [bytes](const Buffer& chunk) { *bytes += chunk.size(); });
        stream->on("end", [&, name, bytes] {
            console::log(name + ": " + std::to_string(*bytes) + " bytes");
            total += *bytes;
            ++files;
        });
        stream->on("error", [](const Error& err) {
            console::error(err);
            process::setExitCode(1);
        });
        stream->on("close", [&, i] {
            if (--pending == 0)
                console::log("total: " + std::to_string(total) + " bytes in " + std::to_string(files) + " files");
            else
                readOne(i + 1);
        });
        streams.push_back(std::move(stream));
    };
    readOne(1);

    return process::run();
}
