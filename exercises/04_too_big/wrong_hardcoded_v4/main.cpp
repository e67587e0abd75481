// Exercise 04_too_big (lesson 04), a WRONG solution kept for the check to refuse.
//
// The mistake: the limit is IPv4's 65,507 bytes whatever the socket's family, so with
// --udp6 a file of 65,508 to 65,527 bytes, which fits in one IPv6 datagram, is refused.
// make check-exercise E=04_too_big VARIANT=wrong_hardcoded_v4   must say FAIL.
//
// Lesson 04: the UDP client that sends a file to the lesson 03 server as one datagram.
//
// The document's Node.js UDP client, statement by statement and in the same order, on
// the kit's poll(2) loop. Read it beside client.js (our Node twin). Underneath:
//
//   fs.readFileSync    ->  open(2), fstat(2), read(2), close(2), right here, blocking
//   dgram.createSocket ->  only the handle; no descriptor yet
//   client.send        ->  an implicit bind to port 0 (socket(2), bind(2): the kernel
//                          picks a free port), the host's lookup, then ONE sendto(2)
//                          with the whole file; the callback runs on a later tick
//   client.close       ->  close(2); nothing is left for the loop, so the program ends
//
// [doc INTRO.1] One thread; main() registers the callback and the loop runs it.
// [doc INTRO.2] No connection: there is no connect and no handshake. sendto(2) hands the
// datagram to the kernel and reports success; nobody says whether it arrived.
//
// Flaws kept on purpose, as in the Node program (README.md shows each one): a file over
// 65,507 bytes (IPv4) does not fit in one datagram, so send fails with EMSGSIZE and the
// callback rethrows it: an uncaught exception, exit status 1; a missing file is an
// uncaught exception too; "Arquivo enviado" is printed even when no server is running.
//
// Kit additions: --port N, --host H and --udp6 (defaults as the document; with --udp6
// the default host is ::1, because a udp6 socket cannot send to an IPv4 literal).

// [doc UDPC.C1] The modules: dgram for the socket, fs for the file.
#include "args.hpp"
#include "buffer.hpp"
#include "console.hpp"
#include "dgram.hpp"
#include "fs.hpp"
#include "loop.hpp"
#include "process.hpp"

#include <cstddef>
#include <optional>
#include <string>

using namespace kit;

int main(int argc, char** argv) {
    const auto flags = args::parse(argc, argv, 8124, /*allowUdp6=*/true);

    // [doc UDPC.C1] The destination port and host, and the file to send (relative to
    // the directory the client runs in).
    const int PORT = flags.port;
    const std::string HOST = flags.host.value_or(flags.udp6 ? "::1" : "127.0.0.1");
    const std::string FILEPATH = "./client_files/client.txt";

    // [doc UDPC.1] [doc UDPC.C2] The whole file into one Buffer, synchronously: the
    // loop is not running yet, so blocking costs nothing here. A missing file throws;
    // Node's top level has no try, so that is an uncaught exception (printed, exit
    // status 1). Loop::invoke treats this statement the same way.
    Buffer file;
    Loop::getDefault().invoke([&] { file = fs::readFileSync(FILEPATH); });

    // Exercise 04_too_big: one datagram carries at most 65,535 (the IP length field)
    // - 20 (IPv4 header) - 8 (UDP header) = 65,507 bytes; IPv6 does not count its
    // 40-byte header in that limit, so over IPv6 it is 65,527. Check before sending:
    // nothing is scheduled yet, so returning from main() ends the program, status 1.
    const std::size_t MAX_PAYLOAD = 65507;  // wrong: IPv6 carries 20 bytes more
    if (file.length() > MAX_PAYLOAD) {
        console::error("arquivo grande demais para um datagrama UDP: " + std::to_string(file.length()) +
                       " bytes (maximo " + std::to_string(MAX_PAYLOAD) + ")");
        return 1;
    }

    // [doc UDPC.C2] A UDP socket: 'udp4' as in the document, or 'udp6' with --udp6.
    auto client = dgram::createSocket(flags.udp6 ? "udp6" : "udp4");

    // [doc UDPC.1] [doc UDPC.C3] send(buffer, offset, length, port, host, callback): the
    // whole file as one datagram. The callback runs later with (err, bytes).
    client->send(file, 0, file.length(), PORT, HOST,
                 [client, HOST, PORT](const std::optional<Error>& err, std::size_t /*bytes*/) {
                     // [doc UDPC.C3] Rethrow, as the document does: the loop turns an
                     // exception escaping a callback into Node's uncaught-exception exit
                     // (the error printed on stderr, exit status 1). EMSGSIZE lands here.
                     if (err) throw *err;
                     // [doc UDPC.C3] Success means only "the kernel took the datagram".
                     console::log("Arquivo enviado por UDP para " + HOST + ":" + std::to_string(PORT));
                     // close(2): no handle and no request is left, so run() returns.
                     client->close();
                 });

    return process::run();
}
