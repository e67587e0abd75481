// Lesson 01: the TCP server that receives a file and saves it under a timestamped name.
//
// The document's Node.js server, statement by statement and in order, on the kit's
// poll(2) loop: read it beside server.js, its Node twin. What the words mean underneath:
//
//   net.createServer  ->  no system call yet: only the Server object and its listener
//   server.listen     ->  socket(2), SO_REUSEADDR, bind(2), listen(2), non-blocking
//   'connection'      ->  poll(2) says the listening socket is readable; accept4(2)
//   'data'            ->  poll(2) says a connection is readable; read(2), <= 64 KiB
//   'close'           ->  read(2) returned 0 (the client's FIN) or an error; close(2)
//   fs.writeFile      ->  open(2)/write(2)/close(2) on a thread-pool thread
//
// [doc INTRO.1] One thread runs everything below: main() only registers callbacks; the
// loop (posix_impl/loop.cpp) calls them as events happen. Set KIT_TRACE=1 to watch.
// [doc INTRO.2] TCP first: there is a connection, so each client gets its own `conn`
// object with its own events.
//
// Flaws kept on purpose, exactly as the Node program has them (README.md shows each
// one and its fix): no 'error' listener on `conn`, so a client that resets its
// connection kills the whole server; the whole upload waits in memory until 'close';
// a write error prints the error line *and* the success line; two uploads in the same
// second (or at 1 am and 1 pm) get the same file name.
//
// Kit additions: --port N and --host H (defaults as the document), see args.hpp.

// [doc TCPS.1] [doc TCPS.C1] The modules: net (sockets), fs (files), and the timestamp
// that the npm package moment gives the Node program.
#include "args.hpp"
#include "buffer.hpp"
#include "console.hpp"
#include "fs.hpp"
#include "net.hpp"
#include "process.hpp"
#include "timers.hpp"
#include "timestamp.hpp"

#include <memory>
#include <optional>
#include <string>
#include <vector>

using namespace kit;

int main(int argc, char** argv) {
    const auto flags = args::parse(argc, argv, 8124);

    // [doc TCPS.C1] The port and the prefix of every saved file's path, relative to
    // the directory the server runs in.
    const int PORT = flags.port;
    const std::string HOST = flags.host.value_or("");  // "" = Node's default bind
    const std::string FILEPATH = "./server_files/server_";

    // [doc TCPS.1] [doc TCPS.C2] createServer only builds the object (no socket until
    // listen); its callback is the 'connection' listener, run once per accepted client.
    auto server = net::createServer([FILEPATH](const net::SocketPtr& conn) {
        console::log("conectado!");

        // [doc TCPS.3] [doc TCPS.C3] Each 'data' event brings one piece of the file:
        // whatever one read(2) returned, not one message of the client's. The pieces
        // are kept in order. (In JavaScript the closure keeps `chunks` alive; here a
        // shared_ptr does, shared by the two listeners.)
        auto chunks = std::make_shared<std::vector<Buffer>>();
        conn->on("data", [chunks](const Buffer& data) {
            console::log("recebendo dados...");
            chunks->push_back(data);
        });

        // [doc TCPS.3] [doc TCPS.C4] 'close': the connection is over (a FIN, which is also
        // how a killed client with nothing unread ends; or an RST). Join the pieces, name
        // the file after the local time, and write it on the thread pool.
        conn->on("close", [chunks, FILEPATH] {
            Buffer file = Buffer::concat(std::move(*chunks));
            const std::string now = momentNow();  // moment().format('DD-MM-YYYY h-mm-ss')
            const std::string path = FILEPATH + now + "_TCP.txt";

            // std::move hands the bytes to the thread pool without copying them
            // (JavaScript passes a reference to the same Buffer).
            fs::writeFile(path, std::move(file), [](const std::optional<Error>& err) {
                if (err) console::log("erro ao salvar arquivo");
                // No `else`, as in the document: after an error this line prints too.
                console::log("arquivo salvo com sucesso!");
            });

            // Printed before the line above: writeFile has only queued the write.
            console::log("conexao com o cliente encerrada");
        });
    });
    // [doc TCPS.C5] listen: socket(2), SO_REUSEADDR (a restart binds despite TIME_WAIT),
    // bind(2), listen(2). A failure such as EADDRINUSE is not thrown; it arrives later
    // on 'error', so the listener registered below, after this call, still receives it.
    server->listen(PORT, HOST);

    // [doc TCPS.2] [doc TCPS.C5] 'listening': bound and ready for clients.
    server->on("listening", [PORT] { console::log("escutando porta " + std::to_string(PORT)); });

    // [doc TCPS.2] [doc TCPS.C6] Server errors. EADDRINUSE: warn, wait one second,
    // close, listen again (forever, as the document does). Anything else (EACCES for
    // port 80 without privileges): print it; with nothing left to wait for, the
    // program then ends, as the Node process does.
    server->on("error", [server, PORT, HOST](const Error& err) {
        if (err.code == "EADDRINUSE") {
            console::warn("Endereco em uso, tentando novamente...");

            setTimeout(
                [server, PORT, HOST] {
                    server->close();
                    server->listen(PORT, HOST);
                },
                1000);
        } else {
            console::log(err);
        }
    });

    // [doc REFS] The document's references (Powers, Learning Node; a TCP sockets
    // tutorial; a TCP vs UDP answer) are listed in README.md.

    // What `node server.js` does after the script: run the loop until nothing is left.
    return process::run();
}
