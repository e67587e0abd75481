// Exercise 00_parallel_reads (lesson 00), reference solution.
//
// Every file is started at once: one read stream per file, each reading on the thread
// pool, so a file that takes long (a slow disk, a network file system, here a FIFO
// that nobody writes yet) holds one pool thread and delays nobody else. The lines come
// in the order the reads finish, which is not the order of the command line. Changes
// from the starter are marked "Exercise". Check it with:
//   make check-exercise E=00_parallel_reads SOLUTION=1
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

    // Exercise 00_parallel_reads: all the reads are started here, before the loop
    // runs at all: each createReadStream queues its open(2) on the thread pool, and
    // returns at once.
    for (int i = 1; i < argc; ++i) {
        const std::string name = argv[i];
        auto stream = fs::createReadStream(name);
        auto bytes = std::make_shared<std::size_t>(0);
        stream->on("data", [bytes](const Buffer& chunk) { *bytes += chunk.size(); });
        stream->on("end", [&, name, bytes] {
            console::log(name + ": " + std::to_string(*bytes) + " bytes");
            total += *bytes;
            ++files;
        });
        // A file that cannot be read (ENOENT, EACCES, EISDIR...): its Node-style error,
        // and the others go on. The exit status says that something failed.
        stream->on("error", [](const Error& err) {
            console::error(err);
            process::setExitCode(1);
        });
        // 'close' comes last for every stream, after 'end' or after 'error': the one
        // place to count a read as finished.
        stream->on("close", [&] {
            if (--pending == 0)
                console::log("total: " + std::to_string(total) + " bytes in " + std::to_string(files) + " files");
        });
        streams.push_back(std::move(stream));
    }

    return process::run();
}
