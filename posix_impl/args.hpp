/// @file args.hpp
/// @brief The lessons' command-line flags: `--port N`, `--host H`, `--udp6`.
///
/// Stands in for the few lines of `process.argv` handling in our Node twins (the
/// closest Node module is `util.parseArgs`). The document's programs take no flags; the
/// kit adds these so tests and demos can run beside other programs. Rules, the same
/// in the C++ lessons and their Node twins: `--port` is an integer in 1..65535, `--host`
/// is not empty, the last occurrence wins; anything else prints one line
/// `usage error: ...` on stderr and exits with status 2.
///
/// What it leaves out: `--flag=value` forms, short flags, help text.
#pragma once

#include <optional>
#include <string>

/// @brief The lessons' command-line flags (`--port`, `--host`, `--udp6`).
namespace kit::args {

/// @brief The flags a lesson accepts and their values.
struct Flags {
    int port;                         ///< `--port N`.
    std::optional<std::string> host;  ///< `--host H` (unset: the lesson's default).
    bool udp6 = false;                ///< `--udp6` (UDP lessons only).
};

/// @brief Parse argv; on a bad flag print `usage error: ...` and exit with status 2.
/// @param argc the argument count, as main() receives it
/// @param argv the arguments, as main() receives them (argv[0] is skipped)
/// @param defaultPort the document's port (8124)
/// @param allowUdp6 whether `--udp6` is accepted
Flags parse(int argc, char** argv, int defaultPort, bool allowUdp6 = false);

} // namespace kit::args
