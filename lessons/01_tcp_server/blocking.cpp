// Lesson 01, blocking: the naive server, with no event loop at all.
//
// accept(2) one client, recv(2) until it is done, write its file, and only then
// accept(2) the next one. Same flags, console lines and file names as main.cpp for one
// client; but while one client is uploading, every other client waits in the kernel's
// listen queue: nothing here can notice them. That is the problem the event loop of
// main.cpp and raw.cpp solves. Standalone on purpose (no posix_impl, no shared header):
// the repetition with raw.cpp is deliberate, so that each file reads alone.
// Left out: host names (--host takes an IP literal), IPv4-only machines, the details
// of Node's error reports. The document's flaws stay (the whole upload in memory, one
// file name per second, a reset ends the server with status 1).
#include <fmt/core.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>

[[noreturn]] static void usage(const std::string& m) { fmt::print(stderr, "usage error: {}\n", m); std::exit(2); }

int main(int argc, char** argv) {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);  // one write(2) per line, as console.log
    int port = 8124;  // [doc TCPS.C1] the flags as main.cpp: --port N (--host: IPv4 literal here)
    std::string host;
    for (int i = 1; i < argc; ++i) {
        const std::string f = argv[i];
        if (f != "--port" && f != "--host") usage("unknown argument '" + f + "'");
        if (i + 1 >= argc) usage(f + " needs a value");
        const std::string v = argv[++i];
        bool digits = !v.empty() && v.size() <= 5 && v.find_first_not_of("0123456789") == std::string::npos;
        if (f == "--port" && (!digits || std::atoi(v.c_str()) < 1 || std::atoi(v.c_str()) > 65535))
            usage("--port must be an integer in 1..65535, got '" + v + "'");
        if (f == "--port") port = std::atoi(v.c_str());
        else if (v.empty()) usage("--host must not be empty");
        else host = v;
    }
    // [doc TCPS.C5] socket(2), SO_REUSEADDR (as Node sets it), bind(2), listen(2).
    // '::' with IPV6_V6ONLY off takes IPv4 clients too, like Node's default bind.
    int lfd = -1;
    for (;;) {
        lfd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int on = 1, off = 0;
        setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
        setsockopt(lfd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
        sockaddr_in6 a{};
        a.sin6_family = AF_INET6;
        a.sin6_port = htons(static_cast<uint16_t>(port));  // network byte order
        a.sin6_addr = in6addr_any;
        if (!host.empty()) {  // an IPv4 literal, as ::ffff:a.b.c.d; or an IPv6 literal
            std::string v6 = host.find(':') == std::string::npos ? "::ffff:" + host : host;
            if (inet_pton(AF_INET6, v6.c_str(), &a.sin6_addr) != 1) usage("--host must be an IP literal here");
        }
        if (bind(lfd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 && listen(lfd, 511) == 0) break;
        if (errno != EADDRINUSE) { fmt::print("Error: listen {}\n", strerrorname_np(errno)); return 0; }  // printed, as Node
        // [doc TCPS.C6] EADDRINUSE: warn, wait one second (sleep(3): nothing else to do), retry.
        fmt::print(stderr, "Endereco em uso, tentando novamente...\n");
        close(lfd);
        sleep(1);
    }
    fmt::print("escutando porta {}\n", port);  // [doc TCPS.C5] 'listening'
    for (;;) {
        // [doc TCPS.C2] accept(2) BLOCKS until a client's handshake is done.
        int c = accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
        if (c < 0) continue;  // EINTR, ECONNABORTED...: try again
        fmt::print("conectado!\n");
        std::string file;  // [doc TCPS.C3] every piece, in memory, in order
        char buf[65536];
        for (;;) {  // recv(2) BLOCKS until bytes or the FIN arrive: other clients wait
            ssize_t n = recv(c, buf, sizeof buf, 0);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) { fmt::print(stderr, "Error: read {}\n", strerrorname_np(errno)); return 1; }  // an RST
            if (n == 0) break;  // the client's FIN
            fmt::print("recebendo dados...\n");
            file.append(buf, static_cast<size_t>(n));
        }
        close(c);
        // [doc TCPS.C4] name the file after the local time (moment's 'DD-MM-YYYY h-mm-ss').
        std::time_t t = std::time(nullptr);
        std::tm tm{};
        localtime_r(&t, &tm);
        std::string path = fmt::format("./server_files/server_{:02}-{:02}-{} {}-{:02}-{:02}_TCP.txt", tm.tm_mday,
                                       tm.tm_mon + 1, tm.tm_year + 1900, (tm.tm_hour + 11) % 12 + 1, tm.tm_min, tm.tm_sec);
        fmt::print("conexao com o cliente encerrada\n");
        std::FILE* f = std::fopen(path.c_str(), "wb");  // the write BLOCKS too
        bool ok = f && std::fwrite(file.data(), 1, file.size(), f) == file.size();
        if (f && std::fclose(f) != 0) ok = false;
        if (!ok) fmt::print("erro ao salvar arquivo\n");
        fmt::print("arquivo salvo com sucesso!\n");  // no else, as in the document
    }
}
