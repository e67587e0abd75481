// args.cpp: the lessons' flags (see args.hpp).
#include "args.hpp"

#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace kit::args {

namespace {
[[noreturn]] void usageError(const std::string& message) {
    std::fprintf(stderr, "usage error: %s\n", message.c_str());
    std::exit(2);
}

int parsePort(const std::string& text) {
    bool digits = !text.empty() && text.size() <= 5;
    for (char c : text) digits = digits && c >= '0' && c <= '9';
    const int n = digits ? std::atoi(text.c_str()) : -1;
    if (n < 1 || n > 65535) usageError("--port must be an integer in 1..65535, got '" + text + "'");
    return n;
}
} // namespace

Flags parse(int argc, char** argv, int defaultPort, bool allowUdp6) {
    Flags flags{defaultPort, std::nullopt, false};
    for (int i = 1; i < argc; ++i) {
        const std::string flag = argv[i];
        if (allowUdp6 && flag == "--udp6") {
            flags.udp6 = true;
            continue;
        }
        if (flag != "--port" && flag != "--host") usageError("unknown argument '" + flag + "'");
        if (i + 1 >= argc) usageError(flag + " needs a value");
        const std::string value = argv[++i];
        if (flag == "--port") flags.port = parsePort(value);
        else if (value.empty()) usageError("--host must not be empty");
        else flags.host = value;
    }
    return flags;
}

} // namespace kit::args
