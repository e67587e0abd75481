// Exercise 03_unique_names (lesson 03): no datagram overwrites another one's file.
//
// This is lessons/03_udp_server/main.cpp with one task added (see the TODO in the
// 'message' listener and exercises/README.md). Edit this file in place, then:
//
//   make check-exercise E=03_unique_names
//
// The task: datagrams that arrive within the same second must each get a file of
// their own. Keep the document's name for the first one of a second
// (server_<DD-MM-YYYY h-mm-ss>_UDP.txt) and give the next ones of that second a
// number: server_<same time>-1_UDP.txt, -2, ... and start again at the next second.
//
// Done when the check says PASS: it sends bursts of datagrams (each burst within one
// second, a few seconds apart, random contents) and wants one file per datagram, each
// holding exactly its datagram, named as above (per second: one plain name, then -1,
// -2, ... with no gap).
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

    // [doc UDPS.1] [doc UDPS.C2] 'message' fires once per datagram: `msg` is the whole
    // datagram (never a piece of one, unlike TCP's 'data'), `rinfo` says who sent it
    // (address, family, port, size). The document ignores rinfo, so this server saves
    // whatever anybody sends. Each datagram becomes one file named after the local time.
    // TODO (exercise 03_unique_names): two datagrams of the same second get the same
    // `path` below, and the second write replaces the first file. What must this
    // server remember from one datagram to the next, and where can that live?
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
