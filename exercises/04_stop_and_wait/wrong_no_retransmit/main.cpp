// Exercise 04_stop_and_wait (lesson 04), a WRONG solution kept for the check to refuse.
//
// The mistake: no retransmission. The timer only notices the loss: the first time a
// block's ACK does not come within 20 ms, the client gives up, so any lost DATA or ACK
// ends the transfer with status 1.
// make check-exercise E=04_stop_and_wait VARIANT=wrong_no_retransmit   must say FAIL.
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

// [doc UDPC.C1] The modules: dgram for the socket, fs for the file; timers for the
// retransmission timer (Exercise 04_stop_and_wait).
#include "args.hpp"
#include "buffer.hpp"
#include "console.hpp"
#include "dgram.hpp"
#include "fs.hpp"
#include "loop.hpp"
#include "process.hpp"
#include "timers.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

using namespace kit;

// Exercise 04_stop_and_wait: the protocol's numbers. Loopback answers in well under a
// millisecond, so 20 ms without an ACK means a loss (over a real network the round trip
// is tens or hundreds of ms, and TCP measures it instead of fixing it).
constexpr std::size_t BLOCK = 1024;     // payload bytes per DATA datagram
constexpr double TIMEOUT_MS = 20;       // wait this long for an ACK, then send again
constexpr int MAX_SENDS = 50;           // sends of one block before giving up (~1 s)

// Exercise 04_stop_and_wait: DATA datagram number `seq`: the sequence number in network
// byte order (big-endian: the most significant byte first, what htonl(3) gives), the
// flag (1 on the last block), then up to BLOCK bytes of the file.
static Buffer dataDatagram(const Buffer& file, std::uint32_t seq, bool last) {
    const std::size_t start = std::min(std::size_t{seq} * BLOCK, file.length());
    const std::size_t end = std::min(start + BLOCK, file.length());
    std::vector<std::uint8_t> bytes(5 + (end - start));
    bytes[0] = static_cast<std::uint8_t>(seq >> 24);
    bytes[1] = static_cast<std::uint8_t>(seq >> 16);
    bytes[2] = static_cast<std::uint8_t>(seq >> 8);
    bytes[3] = static_cast<std::uint8_t>(seq);
    bytes[4] = last ? 1 : 0;
    std::copy(file.data() + start, file.data() + end, bytes.begin() + 5);
    return Buffer(std::move(bytes));
}

int main(int argc, char** argv) {
    const auto flags = args::parse(argc, argv, 8124, /*allowUdp6=*/true);

    // [doc UDPC.C1] The destination port and host, and the file to send (relative to
    // the directory the client runs in).
    const int PORT = flags.port;
    const std::string HOST = flags.host.value_or(flags.udp6 ? "::1" : "127.0.0.1");
    const std::string FILEPATH = "./client_files/client.txt";

    // [doc UDPC.1] [doc UDPC.C2] The whole file into one Buffer, synchronously: the
    // loop is not running yet, so blocking costs nothing here.
    Buffer file;
    Loop::getDefault().invoke([&] { file = fs::readFileSync(FILEPATH); });

    // [doc UDPC.C2] A UDP socket: 'udp4' as in the document, or 'udp6' with --udp6.
    auto client = dgram::createSocket(flags.udp6 ? "udp6" : "udp4");

    // Exercise 04_stop_and_wait: ceil(n / BLOCK) blocks; an empty file is one empty
    // last block, so that the receiver learns that it is complete.
    const auto blocks = static_cast<std::uint32_t>(file.length() == 0 ? 1 : (file.length() + BLOCK - 1) / BLOCK);

    // Exercise 04_stop_and_wait: the state between two events. One thread runs every
    // callback, so plain variables do (no lock); they live in main(), which is still
    // running (process::run() is called at its end), so the lambdas capture them by
    // reference.
    std::uint32_t seq = 0;             // the block in flight
    int sends = 0;                     // how many times it was sent
    std::uint64_t retransmissions = 0; // datagrams sent again, all blocks together
    bool finished = false;             // the socket is closed: ignore what is left
    std::shared_ptr<Timeout> timer;    // the block in flight's retransmission timer
    std::function<void()> sendBlock;

    // Exercise 04_stop_and_wait: send the block in flight (again), and arm its timer;
    // when the timer fires before the ACK, this runs again. After MAX_SENDS, give up.
    sendBlock = [&] {
        if (sends > 0) {  // wrong: a block whose ACK did not come is never sent again
            console::error("sem resposta de " + HOST + ":" + std::to_string(PORT) + ": bloco " +
                           std::to_string(seq) + " sem ACK depois de " + std::to_string(sends) + " envio(s)");
            process::setExitCode(1);
            finished = true;
            client->close();
            return;
        }
        if (sends++ > 0) ++retransmissions;
        // [doc UDPC.C3] As in the document: an error of send (sendto(2)) is rethrown.
        client->send(dataDatagram(file, seq, seq + 1 == blocks), PORT, HOST,
                     [](const std::optional<Error>& err, std::size_t /*bytes*/) {
                         if (err) throw *err;
                     });
        // A timer, not a blocking wait: the loop goes on reading ACKs meanwhile.
        timer = setTimeout([&] { sendBlock(); }, TIMEOUT_MS);
    };

    // Exercise 04_stop_and_wait: the ACKs. Only the one for the block in flight moves
    // the transfer on; an older one (late, or sent twice) is stale, and anything else
    // (not 4 bytes, or from another port) is not an ACK of this transfer.
    client->on("message", [&](const Buffer& msg, const dgram::RemoteInfo& rinfo) {
        if (finished || msg.length() != 4 || rinfo.port != PORT) return;
        const std::uint32_t acked = std::uint32_t{msg[0]} << 24 | std::uint32_t{msg[1]} << 16 |
                                    std::uint32_t{msg[2]} << 8 | std::uint32_t{msg[3]};
        if (acked != seq) return;  // stale or duplicate: the block in flight is still unacknowledged
        clearTimeout(timer);
        if (seq + 1 == blocks) {
            console::log("Arquivo enviado por UDP para " + HOST + ":" + std::to_string(PORT) + ": " +
                         std::to_string(blocks) + " blocos, " + std::to_string(retransmissions) + " retransmissoes");
            finished = true;
            client->close();  // close(2): no handle and no timer left, so run() returns
            return;
        }
        ++seq;
        sends = 0;
        sendBlock();
    });

    sendBlock();
    return process::run();
}
