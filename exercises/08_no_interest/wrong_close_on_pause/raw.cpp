// raw.cpp -- exercise 08_no_interest (lesson 08), a wrong solution (closes a paused client): a TCP line server
// on epoll(7) alone, whose clients can be paused and resumed.
//
// On purpose no posix_impl and no shared header, like the raw lessons: the system calls
// in plain sight, one file top to bottom (each variant is a whole program).
//
//   build/exercises/08_no_interest/solution --port P
//
// Every line a client sends is printed as `line N: TEXT` (N: the client's number, from
// 1). A client that sends `pause` is paused: the server stops reading it ("paused N")
// and reads nothing more from it, not even its hang-up, until another client sends
// `resume N` ("resumed N"): then what it had sent is read, and its end ("closed N").
// That is Node's socket.pause()/resume(): a paused socket stops asking for POLLIN.
//
// The trap (lesson 08, "Four traps", 1): a descriptor left in the epoll set with no
// events still reports EPOLLHUP and EPOLLERR. A paused client that hangs up would wake
// epoll_wait(2) at once, on every call: a loop that never sleeps. So pausing takes the
// descriptor out of the set (EPOLL_CTL_DEL), and resuming puts it back (EPOLL_CTL_ADD),
// which is what the kit's epoll backend does for interest 0.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>

namespace {

struct Client {
    int fd;
    int id;
    std::string pending;  // bytes after the last newline
    bool paused = false;
};

int epfd = -1;
std::map<int, Client> clients;  // by descriptor

void drain(Client& c);

void watch(int op, int fd) {
    epoll_event ev{};
    ev.events = EPOLLIN;  // level-triggered
    ev.data.fd = fd;
    if (epoll_ctl(epfd, op, fd, op == EPOLL_CTL_DEL ? nullptr : &ev) < 0) {
        std::fprintf(stderr, "epoll_ctl: %s\n", std::strerror(errno));
        std::exit(1);
    }
}

void pause(Client& c) {
    // WRONG: no busy loop, because no client: pausing closes the connection.
    c.paused = true;
    std::printf("paused %d\n", c.id);
    std::printf("closed %d\n", c.id);
    watch(EPOLL_CTL_DEL, c.fd);
    close(c.fd);
}

void resume(Client& c) {
    c.paused = false;
    watch(EPOLL_CTL_ADD, c.fd);  // level-triggered: what waits is reported on the next wait
    std::printf("resumed %d\n", c.id);
    drain(c);  // lines that arrived with the `pause`, before it took effect
}

void handleLine(Client& c, const std::string& line);

// read(2) what there is; a paused client is not read even if a line before `pause`
// left more in `pending`: the rest waits for the resume.
void readFrom(Client& c) {
    char buf[4096];
    const ssize_t n = read(c.fd, buf, sizeof buf);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (n <= 0) {  // 0: the client's FIN; <0: an error such as ECONNRESET
        std::printf("closed %d\n", c.id);
        watch(EPOLL_CTL_DEL, c.fd);  // before close(2): epoll watches files, not numbers
        close(c.fd);
        clients.erase(c.fd);
        return;
    }
    c.pending.append(buf, static_cast<std::size_t>(n));
    drain(c);
}

// Handle the complete lines received so far (the rest waits for its newline).
void drain(Client& c) {
    std::string::size_type nl;
    while (!c.paused && (nl = c.pending.find('\n')) != std::string::npos) {
        std::string line = c.pending.substr(0, nl);
        c.pending.erase(0, nl + 1);
        handleLine(c, line);
    }
}

void handleLine(Client& c, const std::string& line) {
    if (line == "pause") {
        pause(c);
        return;
    }
    if (line.rfind("resume ", 0) == 0) {
        const int id = std::atoi(line.c_str() + 7);
        for (auto& [fd, other] : clients)
            if (other.id == id && other.paused) {
                resume(other);
                return;
            }
        std::printf("no paused client %d\n", id);
        return;
    }
    std::printf("line %d: %s\n", c.id, line.c_str());
}

} // namespace

int main(int argc, char** argv) {
    int port = 8124;
    for (int i = 1; i + 1 < argc; ++i)
        if (std::strcmp(argv[i], "--port") == 0) port = std::atoi(argv[i + 1]);
    std::setvbuf(stdout, nullptr, _IOLBF, 0);  // one line at a time, also into a pipe

    const int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    const int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0 || listen(lfd, 64) < 0) {
        std::printf("listen: %s\n", std::strerror(errno));  // EADDRINUSE: the check tries another port
        return 1;
    }
    epfd = epoll_create1(EPOLL_CLOEXEC);
    watch(EPOLL_CTL_ADD, lfd);
    std::printf("listening on %d\n", port);

    int lastId = 0;
    epoll_event events[64];
    for (;;) {
        const int n = epoll_wait(epfd, events, 64, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            std::fprintf(stderr, "epoll_wait: %s\n", std::strerror(errno));
            return 1;
        }
        for (int i = 0; i < n; ++i) {
            const int fd = events[i].data.fd;
            if (fd == lfd) {
                const int cfd = accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (cfd < 0) continue;  // EAGAIN, ECONNABORTED, EMFILE: try again next time
                clients[cfd] = Client{cfd, ++lastId, {}, false};
                watch(EPOLL_CTL_ADD, cfd);
                continue;
            }
            auto it = clients.find(fd);
            // EPOLLIN: data, the client's FIN or a reset (read(2) says which). A reset
            // also brings EPOLLHUP and EPOLLERR, which epoll reports even when they were
            // not asked for; alone, they mean nothing to read here.
            if (it == clients.end() || !(events[i].events & EPOLLIN)) continue;
            readFrom(it->second);
        }
    }
}
