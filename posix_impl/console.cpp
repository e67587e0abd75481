// console.cpp: line output for console::log/warn/error (see console.hpp).
#include "console.hpp"

#include <cstdio>

namespace kit::console {

void writeLine(int stream, std::string_view line) {
    std::FILE* f = stream == 1 ? stdout : stderr;
    if (stream != 1) std::fflush(stdout);  // keep stdout and stderr lines in call order
    // A false positive of cppcheck 2.10: the callers' temporary (join(args...)) lives
    // until the end of their full expression, which includes this whole call.
    // cppcheck-suppress danglingTemporaryLifetime
    std::fwrite(line.data(), 1, line.size(), f);
    std::fputc('\n', f);
    std::fflush(f);
}

} // namespace kit::console
