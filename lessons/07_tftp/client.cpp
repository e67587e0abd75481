// Lesson 07: a TFTP client (RFC 1350 with options: RFC 2347, 2348, 2349, 7440) on the
// kit's poll(2) loop: lesson 04's "send the file and hope", made reliable.
//
//   build/lessons/07_tftp_client get|put REMOTE [LOCAL] [--port N] [--host H]
//                                [--blksize N] [--windowsize N]
//
// Exit status: 0 when the whole file arrived, 1 on a transfer error (printed with its
// TFTP code and message), 2 on bad usage.
//
// Underneath, on one thread:
//   the request (RRQ/WRQ) ->  one sendto(2) to the server's well-known port; repeated
//                             by a timer until something answers
//   the first answer       ->  comes from a NEW port, the server's TID for this
//                             transfer; from then on every packet goes there, and
//                             anything from another port gets ERROR 5 (tftp.hpp)
//   get                    ->  a temporary file beside LOCAL, renamed when the last
//                             block arrived: a failed get leaves nothing behind (unlike
//                             tftp-hpa's client, which leaves an empty file)

#include "console.hpp"
#include "dgram.hpp"
#include "fd.hpp"
#include "loop.hpp"
#include "process.hpp"
#include "tftp.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>

using namespace kit;

namespace {

struct Config {
    bool put = false;
    std::string remote, local;
    int port = 6969;
    std::string host = "127.0.0.1";
    std::optional<std::size_t> blksize, windowsize;
};

[[noreturn]] void usage(const std::string& why) {
    console::error("usage error: " + why);
    console::error("usage: 07_tftp_client get|put REMOTE [LOCAL] [--port N] [--host H] [--blksize N] [--windowsize N]");
    std::exit(2);
}

Config parseArgs(int argc, char** argv) {
    Config c;
    std::vector<std::string> positional;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto number = [&](std::uint64_t lo, std::uint64_t hi) -> std::uint64_t {
            if (i + 1 >= argc) usage(a + " needs a value");
            const auto n = tftp::parseNumber(argv[++i]);
            if (!n || *n < lo || *n > hi) usage(a + " must be an integer in " + std::to_string(lo) + ".." + std::to_string(hi));
            return *n;
        };
        if (a == "--port") c.port = static_cast<int>(number(1, 65535));
        else if (a == "--blksize") c.blksize = number(tftp::kMinBlksize, tftp::kMaxBlksize);
        else if (a == "--windowsize") c.windowsize = number(1, 65535);
        else if (a == "--host") {
            if (i + 1 >= argc || !*argv[i + 1]) usage("--host needs a value");
            c.host = argv[++i];
        } else if (a.rfind("--", 0) == 0) usage("unknown flag " + a);
        else positional.push_back(a);
    }
    if (positional.size() < 2 || positional.size() > 3) usage("expected get|put REMOTE [LOCAL]");
    if (positional[0] != "get" && positional[0] != "put") usage("the command is get or put, not " + positional[0]);
    c.put = positional[0] == "put";
    c.remote = positional[1];
    if (positional.size() == 3) c.local = positional[2];
    else {  // like tftp-hpa: LOCAL defaults to the last component of REMOTE
        const auto slash = c.remote.rfind('/');
        c.local = slash == std::string::npos ? c.remote : c.remote.substr(slash + 1);
    }
    if (c.local.empty()) usage("LOCAL is empty");
    return c;
}

class Client {
public:
    explicit Client(Config c) : cfg_(std::move(c)) {}

    void run() {
        tftp::Request req{cfg_.put ? tftp::Op::WRQ : tftp::Op::RRQ, cfg_.remote, "octet", {}};
        if (cfg_.put) {
            // open(2) + fstat(2) before anything goes out: a missing local file is a
            // usage problem of this machine, not a transfer error.
            file_ = UniqueFd(::open(cfg_.local.c_str(), O_RDONLY | O_CLOEXEC));
            struct stat st{};
            if (!file_ || ::fstat(file_.get(), &st) != 0 || !S_ISREG(st.st_mode))
                fail(tftp::kNotFound, cfg_.local + ": " + std::strerror(errno ? errno : EINVAL), false);
            size_ = static_cast<std::uint64_t>(st.st_size);
        } else {
            tmp_ = cfg_.local + ".tftp-XXXXXX";
            file_ = UniqueFd(::mkostemp(tmp_.data(), O_CLOEXEC));
            if (!file_) fail(tftp::kAccess, cfg_.local + ": " + std::strerror(errno), false);
            const mode_t mask = ::umask(0);  // umask(2) is read by setting it: put it back
            ::umask(mask);
            ::fchmod(file_.get(), 0666 & ~mask);  // mkstemp's 0600 -> what open(2) would give
        }
        // RFC 2347 options: tsize always (the size, for the progress line and so the
        // server can refuse early), blksize and windowsize when asked for.
        req.options.emplace_back("tsize", std::to_string(cfg_.put ? size_ : 0));
        if (cfg_.blksize) req.options.emplace_back("blksize", std::to_string(*cfg_.blksize));
        if (cfg_.windowsize) req.options.emplace_back("windowsize", std::to_string(*cfg_.windowsize));
        request_ = tftp::makeRequest(req);

        socket_ = dgram::createSocket(cfg_.host.find(':') != std::string::npos ? "udp6" : "udp4");
        socket_->on("message", [this](const Buffer& m, const dgram::RemoteInfo& r) { onMessage(m, r); });
        socket_->on("error", [this](const Error& e) { fail(tftp::kNotDefined, e.message, false); });
        send();
    }

private:
    void send() {
        socket_->send(request_, cfg_.port, cfg_.host);
        if (timer_) clearTimeout(timer_);
        // Nobody answered: the request or the answer was lost (or no server). Repeat,
        // a bounded number of times, as the transfer does with its packets.
        timer_ = setTimeout([this] {
            if (++tries_ >= tftp::kRequestTries) { fail(tftp::kNotDefined, "no answer from the server", false); return; }
            send();
        }, 1000);
    }

    void onMessage(const Buffer& msg, const dgram::RemoteInfo& rinfo) {
        if (transfer_) { transfer_->onMessage(msg, rinfo); return; }
        const auto r = tftp::parse(std::span<const std::uint8_t>(msg.data(), msg.size()));
        if (!r.packet) return;  // noise before the transfer started: not ours to judge
        clearTimeout(timer_);
        const auto& p = *r.packet;
        tftp::Peer peer{rinfo.address, rinfo.port};  // the server's TID from now on
        if (p.op == tftp::Op::ERROR) { fail(p.code, p.message, false); return; }
        tftp::Options opts;
        bool oack = p.op == tftp::Op::OACK;
        if (oack) {
            // The OACK must only narrow what we asked: an option we did not send, or a
            // blksize above ours, is refused with ERROR 8 (RFC 2347).
            for (const auto& [name, value] : p.options) {
                const auto v = tftp::parseNumber(value);
                std::string bad;
                if (!v) bad = name;
                else if (tftp::sameName(name, "blksize") && cfg_.blksize && *v >= tftp::kMinBlksize && *v <= *cfg_.blksize) opts.blksize = *v;
                else if (tftp::sameName(name, "windowsize") && cfg_.windowsize && *v >= 1 && *v <= *cfg_.windowsize) opts.windowsize = *v;
                else if (tftp::sameName(name, "tsize")) opts.tsize = *v;
                else if (tftp::sameName(name, "timeout") && *v >= 1 && *v <= 255) opts.timeoutMs = static_cast<int>(*v) * 1000;
                else bad = name;
                if (!bad.empty()) {
                    lastWords_ = tftp::makeError(tftp::kBadOption, "bad option " + bad);
                    lastPeer_ = peer;
                    fail(tftp::kBadOption, "the server answered the option '" + bad + "' wrongly", false);
                    return;
                }
            }
        } else if (!(cfg_.put && p.op == tftp::Op::ACK && p.block == 0) && !(!cfg_.put && p.op == tftp::Op::DATA)) {
            lastWords_ = tftp::makeError(tftp::kIllegal, "Illegal TFTP operation");
            lastPeer_ = peer;
            fail(tftp::kIllegal, "unexpected answer: " + tftp::describe(p), false);
            return;
        }
        if (opts.tsize) total_ = *opts.tsize;
        transfer_ = std::make_shared<tftp::Transfer>(
            socket_, peer, cfg_.put ? tftp::Transfer::Role::Sender : tftp::Transfer::Role::Receiver,
            std::move(file_), cfg_.put ? size_ : 0, opts, [this](const tftp::Outcome& o) { done(o); });
        transfer_->sizeReceiveBuffer();  // the socket is bound: it received this answer
        if (::isatty(STDOUT_FILENO)) transfer_->onProgress([this](std::uint64_t b) { progress(b); });
        if (cfg_.put) transfer_->start();          // ACK 0 or OACK: send DATA 1
        else if (oack) transfer_->start(0);        // OACK: ACK 0 says "options accepted"
        else transfer_->handle(p);                 // no options: this already is DATA 1
    }

    void progress(std::uint64_t bytes) {
        // Only on a terminal: \r rewrites the line. At most every 64 KiB of progress.
        if (bytes < shown_ + 65536 && !(total_ && bytes == *total_)) return;
        shown_ = bytes;
        std::string line = "\r" + std::to_string(bytes) + " bytes";
        if (total_ && *total_) line += " of " + std::to_string(*total_) + " (" + std::to_string(bytes * 100 / *total_) + "%)";
        (void)!::write(STDOUT_FILENO, line.data(), line.size());
    }

    void done(const tftp::Outcome& o) {
        if (shown_) (void)!::write(STDOUT_FILENO, "\n", 1);
        if (!o.ok) { fail(o.code, o.message, o.fromPeer); return; }
        if (!tmp_.empty() && ::rename(tmp_.c_str(), cfg_.local.c_str()) != 0) {
            fail(tftp::kAccess, cfg_.local + ": " + std::strerror(errno), false);
            return;
        }
        console::log(std::string(cfg_.put ? "put " : "get ") + cfg_.remote + ": " + std::to_string(o.bytes) +
                     " bytes, " + std::to_string(o.retransmissions) + " retransmissions");
    }

    // A transfer error: the TFTP code and message on stderr, exit status 1, and no
    // half-received file left behind.
    void fail(std::uint16_t code, const std::string& message, bool /*fromPeer*/) {
        if (failed_) return;
        failed_ = true;
        console::error("tftp error " + std::to_string(code) + ": " + message);
        if (!tmp_.empty()) ::unlink(tmp_.c_str());
        tmp_.clear();
        if (timer_) clearTimeout(timer_);
        process::setExitCode(1);
        if (!socket_) std::exit(1);  // nothing started yet (a local file problem)
        // Before the transfer the socket is ours to close; a transfer closes its own
        // (after its ERROR went out). Nothing is left then, so the loop ends.
        if (transfer_) return;
        // An ERROR for the server, if we have one, then close(2), in its send callback:
        // closing first would cancel the send.
        if (lastWords_.size() == 0) { socket_->close(); return; }
        socket_->send(lastWords_, lastPeer_.port, lastPeer_.address,
                      [this](const std::optional<Error>&, std::size_t) { socket_->close(); });
    }

    Config cfg_;
    UniqueFd file_;
    std::string tmp_;
    std::uint64_t size_ = 0;
    std::optional<std::uint64_t> total_;
    std::uint64_t shown_ = 0;
    Buffer request_;
    Buffer lastWords_;        // an ERROR to send before closing, if any
    tftp::Peer lastPeer_;
    int tries_ = 0;
    bool failed_ = false;
    std::shared_ptr<Timeout> timer_;
    std::shared_ptr<dgram::Socket> socket_;
    std::shared_ptr<tftp::Transfer> transfer_;
};

}  // namespace

int main(int argc, char** argv) {
    Client client(parseArgs(argc, argv));
    Loop::getDefault().invoke([&] { client.run(); });
    return process::run();
}
