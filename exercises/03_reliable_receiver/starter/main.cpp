// Exercise 03_reliable_receiver (lesson 03): receive a whole file over UDP that loses,
// duplicates and delays datagrams. You are rebuilding a piece of TCP.
//
// This is lessons/03_udp_server/main.cpp, which saves each datagram as a file and
// answers nothing. Edit this file in place (see the TODO in the 'message' listener
// and exercises/README.md, 03.5), then:
//
//   make check-exercise E=03_reliable_receiver
//
// The task: be the receiving side of the stop-and-wait protocol of exercises/README.md
// (03.5; the sending side is exercise 04.5):
//   DATA = sequence number (4 bytes, big-endian, from 0), flag (1 byte, 1 = last
//          block), payload (at most 1,024 bytes; an empty file is one empty last block);
//   ACK  = the 4-byte sequence number of the DATA it acknowledges, sent back to the
//          DATA's sender.
// The sender sends one block, waits for its ACK, and sends the same block again when
// the ACK does not come: because its DATA was lost, or because the ACK was. So a block
// may arrive twice, or more. Acknowledge every DATA you have received (again, for a
// block you already have), write each block once and in order, and save the file when
// its last block is in, once. Several senders may send at the same time: one transfer
// per sender (address and port), each saved to a file of its own (several may complete
// within one second: exercise 03.2's unique names).
//
// Done when the check says PASS: five senders at once (files of 0, 1 and 1,025 bytes
// and two random ones up to 200 KB), each losing some of its DATA and of your ACKs and
// sending some DATA twice, all end successfully; server_files/ then holds exactly five
// files, each one of the files sent, byte for byte, and "arquivo salvo com sucesso!"
// was printed once per file.
//
// Lesson 03: the UDP server that saves every datagram it receives as a file.
//
// This is the document's Node.js UDP server, statement by statement and in the same
// order, on the kit's poll(2) loop. Read it beside server.js (our Node twin): every
// JavaScript statement has its twin here. What the document's words mean underneath:
//
//   dgram.createSocket  ->  only the handle; no descriptor yet (libuv's uv_udp_init)
//   server.bind(PORT)   ->  socket(2) with SOCK_DGRAM, bind(2); then poll(2) watches
//                           the descriptor for POLLIN (libuv's uv_udp_recv_start)
//   'listening'         ->  emitted on a later tick, once bind(2) succeeded
//   'message'           ->  poll(2) says readable; one recvmsg(2) per datagram, up to
//                           32 per wakeup; each datagram is one event and one Buffer
//   fs.writeFile        ->  open(2)/write(2)/close(2) on a thread-pool thread
//
// [doc INTRO.1] One thread runs everything below: main() only registers callbacks; the
// loop (posix_impl/loop.cpp) calls them as events happen. Set KIT_TRACE=1 to watch.
// [doc INTRO.2] [doc UDPS.1] UDP: no connection. There is no `conn` object, no
// 'connection' or per-client 'close' event, no handshake and no acknowledgment: the
// server only reacts to each datagram that arrives, from whoever sent it.
//
// Flaws kept on purpose, exactly as the Node program has them (README.md shows each
// one): one datagram is one file, so a file larger than one datagram (65,507 bytes over
// IPv4) can never arrive, and a lost datagram is lost without anyone knowing; a burst
// larger than the kernel's receive buffer is dropped by the kernel; two datagrams in the
// same second (or at 1 am and 1 pm) get the same file name and overwrite each other; a
// write error prints the error line *and* the success line; there is no 'error'
// listener, so a bind failure (EADDRINUSE) ends the program with Node's report.
//
// Kit additions: --port N, --host H and --udp6 (defaults as the document), args.hpp.

// [doc UDPS.1] [doc UDPS.C1] The modules: dgram (UDP sockets), fs (files) and the
// timestamp that the npm package moment gives the Node program.
#include "args.hpp"
#include "buffer.hpp"
#include "console.hpp"
#include "dgram.hpp"
#include "fs.hpp"
#include "process.hpp"
#include "timestamp.hpp"

#include <optional>
#include <string>

using namespace kit;

int main(int argc, char** argv) {
    const auto flags = args::parse(argc, argv, 8124, /*allowUdp6=*/true);

    // [doc UDPS.1] [doc UDPS.C1] A UDP socket: 'udp4' as in the document (IPv4), or
    // 'udp6' with --udp6. Nothing touches the network yet.
    auto server = dgram::createSocket(flags.udp6 ? "udp6" : "udp4");

    // [doc UDPS.C1] The port and the prefix of every saved file's path, relative to
    // the directory the server runs in.
    const int PORT = flags.port;
    const std::string HOST = flags.host.value_or("");  // "" = the wildcard address
    const std::string FILEPATH = "./server_files/server_";

    // TODO (exercise 03_reliable_receiver): the listener below saves every datagram as
    // a file. Make it the protocol's receiver: read the header, acknowledge, keep each
    // sender's blocks, save once the last one is in. What must the server remember per
    // sender, between two datagrams?

    // [doc UDPS.1] [doc UDPS.C2] 'message' fires once per datagram: `msg` is the whole
    // datagram (never a piece of one, unlike TCP's 'data'), `rinfo` says who sent it
    // (address, family, port, size). The document ignores rinfo, so this server saves
    // whatever anybody sends. Each datagram becomes one file named after the local time.
    server->on("message", [FILEPATH](const Buffer& msg, const dgram::RemoteInfo& /*rinfo*/) {
        const std::string now = momentNow();  // moment().format('DD-MM-YYYY h-mm-ss')
        const std::string path = FILEPATH + now + "_UDP.txt";

        // [doc UDPS.C2] writeFile runs on the thread pool; the callback comes back to
        // the loop. Meanwhile the loop keeps reading datagrams.
        fs::writeFile(path, msg, [](const std::optional<Error>& err) {
            if (err) console::log("erro ao salvar arquivo");

            // No `else`, as in the document: after an error this line prints too.
            console::log("arquivo salvo com sucesso!");
        });
    });

    // [doc UDPS.C3] 'listening': bind(2) succeeded and reading has started. The
    // document fetches the bound address (getsockname(2)) and, like it, does not use it.
    server->on("listening", [server] {
        [[maybe_unused]] const auto address = server->address();
        console::log("aguardando dados do cliente...");
    });

    // [doc UDPS.C4] bind: the lookup of the address, socket(2) and bind(2) happen after
    // this call returns, so the listeners registered above are in place. A failure
    // (EADDRINUSE: `bind EADDRINUSE 0.0.0.0:8124`) arrives as an 'error' event; with no
    // listener it ends the program, as in Node.
    server->bind(PORT, HOST);

    // [doc REFS] The document's references (Powers, Learning Node; a TCP sockets
    // tutorial; a TCP vs UDP answer) are listed in README.md.

    // What `node server.js` does after the script: run the loop until nothing is left.
    // A bound UDP socket is always waiting, so this server runs until it is killed.
    return process::run();
}
