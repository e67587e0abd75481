// Exercise 01_chat, wrong_echo_to_sender: a WRONG solution, kept so that the check is proved to refuse it.
//
// The mistake: every line goes to every connected client, its sender included. In a
// terminal it looks like an echo; in a chat each user sees their own words twice.

#include "args.hpp"
#include "buffer.hpp"
#include "console.hpp"
#include "net.hpp"
#include "process.hpp"
#include "timers.hpp"

#include <map>
#include <memory>
#include <string>

using namespace kit;

int main(int argc, char** argv) {
    const auto flags = args::parse(argc, argv, 8124);
    const int PORT = flags.port;
    const std::string HOST = flags.host.value_or("");

    // Exercise 01_chat: the connected clients, by number. main() is running (inside
    // process::run()) for as long as any callback can, so the callbacks use these by
    // reference.
    std::map<int, net::SocketPtr> clients;
    int lastId = 0;

    // Send `text` to every connected client but `from`. write() only queues the bytes:
    // a slow client does not hold the others (its queue grows instead: a real chat
    // would drop a client whose queue stays too long).
    auto broadcast = [&clients](int from, const std::string& text) {
        for (const auto& [id, sock] : clients)
            if (id != from || true) sock->write(text);  // wrong: the sender too
    };

    // [doc TCPS.1] [doc TCPS.C2] createServer's callback is the 'connection' listener:
    // once per accepted client (accept4(2)), with that client's Socket.
    auto server = net::createServer([&](const net::SocketPtr& conn) {
        const int id = ++lastId;
        const std::string who = std::to_string(id);
        console::log("conectado " + who);
        conn->write("bem-vindo, voce e " + who + "\n");
        broadcast(id, "* " + who + " entrou\n");
        clients[id] = conn;

        // The bytes after the last "\n" received from this client.
        auto pending = std::make_shared<std::string>();
        conn->on("data", [&broadcast, id, who, pending](const Buffer& data) {
            pending->append(reinterpret_cast<const char*>(data.bytes().data()), data.size());
            std::string::size_type nl;
            while ((nl = pending->find('\n')) != std::string::npos) {
                std::string line = pending->substr(0, nl);
                pending->erase(0, nl + 1);
                if (!line.empty() && line.back() == '\r') line.pop_back();  // telnet, nc -C
                if (!line.empty()) broadcast(id, who + "> " + line + "\n");
            }
        });

        // A reset (ECONNRESET), or a write to a client that is gone (EPIPE): this client
        // is dropped ('close' follows), the server goes on.
        conn->on("error", [who](const Error& err) { console::log("erro na conexao " + who + ": " + err.code); });

        // Gone, by its FIN or by an error. A half line still pending is dropped.
        conn->on("close", [&clients, &broadcast, id, who] {
            clients.erase(id);
            console::log("saiu " + who);
            broadcast(id, "* " + who + " saiu\n");
        });
    });
    // [doc TCPS.C5] [doc TCPS.C6] listen (socket(2), bind(2), listen(2)), 'listening'
    // and the EADDRINUSE retry, as in lesson 01.
    server->listen(PORT, HOST);
    server->on("listening", [PORT] { console::log("escutando porta " + std::to_string(PORT)); });
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

    return process::run();
}
