// Exercise 00_parallel_reads (lesson 00): read many files at once, on the thread pool.
//
// A small new program on the kit (build it and check it with
//   make check-exercise E=00_parallel_reads
// ). Edit this file in place.
//
// The task: read every file named on the command line with the kit's fs (its reads
// run on the thread pool, as Node's do), all of them started at once, not one after
// the other. As each file is read whole, print
//     <name>: <n> bytes
// (the name as given on the command line), and once every file is done, print
//     total: <N> bytes in <K> files
// counting only the files that were read. A file that cannot be read prints its
// Node-style error on stderr (as console.error(err) would) and the others go on; the
// exit status is then 1, and 0 when every file was read.
// Done means: with one file that takes a long time to read (the check uses a FIFO,
// mkfifo(1), that it writes last), the other files' lines appear without waiting for
// it; sizes and names are different on every run.
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

    // TODO (exercise 00_parallel_reads): start the reads, print the lines.
    (void)argv;

    return process::run();
}
