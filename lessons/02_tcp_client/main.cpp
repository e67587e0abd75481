// Lesson 02: the TCP client that sends a file to the lesson 01 server.
//
// The document's Node.js client, statement by statement and in the same order, on the
// kit's poll(2) loop. Read it beside client.js (our Node twin). Underneath:
//
//   client.connect   ->  getaddrinfo(3) on the thread pool, socket(2), a non-blocking
//                        connect(2); poll(2) reports writable when the handshake ends
//   createReadStream ->  open(2) and read(2) of 64 KiB pieces on the thread pool
//   pipe(client)     ->  send(2) each piece with MSG_NOSIGNAL (EPIPE, not SIGPIPE);
//                        pause while the queue is full, until 'drain'; then shutdown(2)
//   'close'          ->  the server's FIN was read and ours was sent; close(2)
//
// [doc INTRO.1] One thread; main() registers callbacks and the loop runs them.
//
// Flaws kept on purpose, as in the Node program (README.md shows each and its fix):
// no 'error' listener on the socket, so "no server running" ends the program with
// Node's unhandled-'error' report and status 1; a missing file is printed, but
// nothing ends the socket, so the client stays connected until it is killed.
//
// Kit additions: --port N and --host H (defaults as the document), see args.hpp.

// [doc TCPC.1] [doc TCPC.C1] The modules: net for the socket, fs for the file.
#include "args.hpp"
#include "console.hpp"
#include "fs.hpp"
#include "net.hpp"
#include "process.hpp"

#include <string>

using namespace kit;

int main(int argc, char** argv) {
    const auto flags = args::parse(argc, argv, 8124);

    // [doc TCPC.C1] The port, the host and the file to send (relative to the
    // directory the client runs in).
    const std::string PORT = std::to_string(flags.port);
    const std::string HOST = flags.host.value_or("localhost");
    const std::string FILEPATH = "./client_files/client.txt";

    // [doc TCPC.C1] A socket with no connection yet: no descriptor exists until
    // connect(). setEncoding: 'data' brings text, never half of a UTF-8 character.
    auto client = net::createSocket();
    client->setEncoding("utf8");

    // [doc TCPC.C2] connect with the port as a string, as the document writes it. The
    // callback becomes a 'connect' listener: it runs once the handshake is complete.
    client->connect(PORT, HOST, [client, FILEPATH] {
        console::log("conectado ao servidor");

        // [doc TCPC.1] [doc TCPC.C2] A read stream: open(2) runs on the thread pool,
        // then 'open' fires with the descriptor, or 'error' fires instead.
        auto fileStream = fs::createReadStream(FILEPATH);

        // [doc TCPC.C2] Once open, pipe the file into the socket: read, send, pause
        // while the socket is full, resume on 'drain', end() the socket at the end.
        fileStream->on("open", [fileStream, client](int /*fd*/) { fileStream->pipe(client); });

        // [doc TCPC.C2] A file error (ENOENT...) is only printed; the socket stays open.
        fileStream->on("error", [](const Error& err) { console::log(err); });
    });

    // [doc TCPC.1] [doc TCPC.C3] Whatever the server sends back is printed.
    client->on("data", [](const std::string& data) { console::log(data); });

    // [doc TCPC.1] [doc TCPC.C4] 'close': the server's FIN was read and ours sent
    // (Node ends our side when the peer ends), or an error happened.
    client->on("close", [] { console::log("conexao encerrada"); });

    return process::run();
}
