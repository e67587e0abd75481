// Exercise 03_reliable_receiver (lesson 03), reference solution.
//
// lessons/03_udp_server/main.cpp as the receiving side of the stop-and-wait protocol
// of exercises/README.md (03.5): every DATA acknowledged, each block kept once and in
// order, per sender, and the file saved when its last block is in (the lines marked
// "Exercise"). Check it with:
//   make check-exercise E=03_reliable_receiver SOLUTION=1
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

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

using namespace kit;

// Exercise 03_reliable_receiver: one transfer, per sender (address and port).
struct Transfer {
    std::uint32_t next = 0;     // the sequence number of the block expected next
    std::vector<Buffer> parts;  // the blocks received so far, in order, each once
    bool done = false;          // its last block is in and the file is being saved
};

// Exercise 03_reliable_receiver: the ACK of block `seq`: its sequence number in network
// byte order (big-endian: the most significant byte first, what htonl(3) gives).
static Buffer ackDatagram(std::uint32_t seq) {
    return Buffer(std::vector<std::uint8_t>{static_cast<std::uint8_t>(seq >> 24), static_cast<std::uint8_t>(seq >> 16),
                                            static_cast<std::uint8_t>(seq >> 8), static_cast<std::uint8_t>(seq)});
}

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

    // Exercise 03_reliable_receiver: the state between two datagrams. One thread runs
    // every 'message' callback, so plain variables do (no lock); they live in main(),
    // which is still running (process::run() is called at its end), so the listener
    // captures them by reference. A finished transfer is kept, so that a late copy of
    // its last block is acknowledged again instead of starting a new file; this map
    // only grows (what TCP does instead: TIME_WAIT, a while, then forget).
    std::map<std::string, Transfer> transfers;
    std::string lastSecond;  // exercise 03.2's unique names: the last timestamp used
    int sameSecond = 0;      // and how many files of that second were already named

    // [doc UDPS.1] [doc UDPS.C2] 'message' fires once per datagram: `msg` is the whole
    // datagram (never a piece of one, unlike TCP's 'data'), `rinfo` says who sent it.
    // Exercise 03_reliable_receiver: here rinfo matters: it names the transfer, and
    // the ACK goes back to it.
    server->on("message", [&, FILEPATH](const Buffer& msg, const dgram::RemoteInfo& rinfo) {
        // Not a DATA datagram of the protocol (too short, payload too long, bad flag):
        // ignore it, unacknowledged.
        if (msg.length() < 5 || msg.length() > 5 + 1024 || msg[4] > 1) return;
        const std::uint32_t seq = std::uint32_t{msg[0]} << 24 | std::uint32_t{msg[1]} << 16 |
                                  std::uint32_t{msg[2]} << 8 | std::uint32_t{msg[3]};
        const bool last = msg[4] == 1;
        Transfer& t = transfers[rinfo.address + " " + std::to_string(rinfo.port)];

        // A block from the future: the sender skipped one it never had acknowledged.
        // Stop-and-wait never does that; no ACK, nothing kept.
        if (seq > t.next || (seq == t.next && t.done)) return;
        if (seq == t.next) {
            // The block expected: keep it (a copy: msg's bytes may belong to the
            // socket's read arena), and move on.
            t.parts.push_back(Buffer(msg.bytes().subspan(5)));
            ++t.next;
        }
        // seq < t.next: a block already kept, sent again because our ACK was lost (or
        // late): nothing to keep, but the ACK must go again, or the sender keeps
        // sending it until it gives up.
        server->send(ackDatagram(seq), rinfo.port, rinfo.address);

        if (seq + 1 != t.next || !last || t.done) return;
        t.done = true;

        // The last block is in: save the file once, under a unique name (exercise 03.2).
        const std::string now = momentNow();  // moment().format('DD-MM-YYYY h-mm-ss')
        if (now == lastSecond) {
            ++sameSecond;
        } else {
            lastSecond = now;
            sameSecond = 0;
        }
        const std::string unique = sameSecond == 0 ? "" : "-" + std::to_string(sameSecond);
        const std::string path = FILEPATH + now + unique + "_UDP.txt";
        Buffer file = Buffer::concat(std::move(t.parts));
        t.parts.clear();

        // [doc UDPS.C2] writeFile runs on the thread pool; the callback comes back to
        // the loop. Meanwhile the loop keeps reading datagrams.
        fs::writeFile(path, file, [](const std::optional<Error>& err) {
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
