// Lesson 07: a TFTP server (RFC 1350, with options: RFC 2347, 2348, 2349, 7440) on the
// kit's poll(2) loop: the document's UDP file upload, made reliable.
//
//   build/lessons/07_tftp_server [--port N] [--host H] [--dir D] [--overwrite]
//
// Lesson 03's server saves whatever one datagram carries. This one receives (WRQ) and
// serves (RRQ) whole files of any size from one directory (default ./server_files, as
// the document), with the mechanisms of tftp.hpp: numbered blocks, ACKs, timeouts,
// retransmission, duplicates recognised. Underneath, on one thread:
//
//   port 6969 (well-known) ->  one dgram socket that only ever receives requests
//   each request           ->  a NEW socket bound to port 0: the kernel picks a free
//                              port, the transfer's TID (RFC 1350 section 4); all its
//                              packets go through it, so many transfers run at once,
//                              each with its own socket, state and timer on the loop
//   WRQ                    ->  written to a temporary file in the directory, renamed
//                              with rename(2) after the last block is acknowledged:
//                              an aborted upload leaves nothing behind
//
// 69 is TFTP's well-known port but needs root, so the default is 6969.

#include "console.hpp"
#include "dgram.hpp"
#include "fd.hpp"
#include "fs.hpp"
#include "loop.hpp"
#include "process.hpp"
#include "tftp.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>

using namespace kit;

namespace {

struct Config {
    int port = 6969;
    std::string host;  // "" = every address (0.0.0.0)
    std::string dir = "./server_files";
    bool overwrite = false;
};

[[noreturn]] void usage(const std::string& why) {
    console::error("usage error: " + why);
    console::error("usage: 07_tftp_server [--port N] [--host H] [--dir D] [--overwrite]");
    std::exit(2);
}

Config parseArgs(int argc, char** argv) {
    Config c;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) usage(a + " needs a value");
            return argv[++i];
        };
        if (a == "--port") {
            const auto n = tftp::parseNumber(value());
            if (!n || *n < 1 || *n > 65535) usage("--port must be an integer in 1..65535");
            c.port = static_cast<int>(*n);
        } else if (a == "--host") {
            c.host = value();
            if (c.host.empty()) usage("--host must not be empty");
        } else if (a == "--dir") {
            c.dir = value();
            if (c.dir.empty()) usage("--dir must not be empty");
        } else if (a == "--overwrite") {
            c.overwrite = true;
        } else {
            usage("unknown argument " + a);
        }
    }
    return c;
}

std::string realPath(const std::string& p) {
    char buf[PATH_MAX];
    return ::realpath(p.c_str(), buf) ? std::string(buf) : std::string();
}

// The filename comes from the network: whoever sends it must not reach outside the
// directory. Refused: an empty name, an absolute path, any ".." component; and, after
// resolving symbolic links with realpath(3), anything whose directory is not inside
// ours (a symlink in the directory pointing to /etc is an escape too).
std::optional<std::string> resolve(const std::string& root, const std::string& name, std::string& why) {
    if (name.empty()) { why = "empty filename"; return std::nullopt; }
    if (name.front() == '/') { why = "absolute paths are refused"; return std::nullopt; }
    std::size_t start = 0;
    while (start <= name.size()) {
        const auto slash = name.find('/', start);
        const auto part = name.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
        if (part == "..") { why = "'..' is refused"; return std::nullopt; }
        if (slash == std::string::npos) break;
        start = slash + 1;
    }
    if (name.back() == '/') { why = "not a file"; return std::nullopt; }
    const std::string full = root + "/" + name;
    const auto cut = full.rfind('/');
    const std::string parent = realPath(full.substr(0, cut));
    if (parent.empty()) { why = "no such directory"; return std::nullopt; }
    if (parent != root && parent.rfind(root + "/", 0) != 0) { why = "outside the directory"; return std::nullopt; }
    std::string target = parent + full.substr(cut);
    // The file itself may be a symlink (a get of link -> /etc/passwd): resolve it too.
    struct stat st{};
    if (::lstat(target.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
        const std::string real = realPath(target);
        if (real.empty() || real.rfind(root + "/", 0) != 0) { why = "outside the directory"; return std::nullopt; }
    }
    return target;
}

class Server {
public:
    explicit Server(Config c) : cfg_(std::move(c)) {
        umask_ = ::umask(0);  // umask(2) can only be read by setting it: put it back
        ::umask(umask_);
    }

    void listen() {
        fs::mkdirSync(cfg_.dir);  // as lesson 01's server: the directory must exist
        root_ = realPath(cfg_.dir);
        socket_ = dgram::createSocket(family());
        socket_->on("message", [this](const Buffer& msg, const dgram::RemoteInfo& rinfo) { onRequest(msg, rinfo); });
        socket_->on("listening", [this] {
            const auto a = socket_->address();
            console::log("TFTP server on " + a.address + ":" + std::to_string(a.port) + ", directory " + cfg_.dir);
        });
        socket_->bind(cfg_.port, cfg_.host);
    }

private:
    std::string family() const { return cfg_.host.find(':') != std::string::npos ? "udp6" : "udp4"; }

    // An error straight from the well-known port: the request never got a TID.
    void refuse(const dgram::RemoteInfo& to, std::uint16_t code, const std::string& msg) {
        console::log("refused " + to.address + ":" + std::to_string(to.port) + ": " + msg);
        socket_->send(tftp::makeError(code, msg), to.port, to.address);
    }

    void onRequest(const Buffer& msg, const dgram::RemoteInfo& rinfo) {
        const auto r = tftp::parse(std::span<const std::uint8_t>(msg.data(), msg.size()));
        if (!r.packet) { refuse(rinfo, tftp::kIllegal, "Illegal TFTP operation: " + r.error); return; }
        const auto& p = *r.packet;
        if (p.op == tftp::Op::ERROR) return;  // never answer an ERROR with an ERROR
        if (p.op != tftp::Op::RRQ && p.op != tftp::Op::WRQ) {
            // DATA or ACK on the well-known port: it belongs to no transfer.
            refuse(rinfo, tftp::kIllegal, "Illegal TFTP operation: expected RRQ or WRQ");
            return;
        }
        const auto& req = p.request;
        // RFC 1350 modes: "netascii" asks both sides to translate line ends (CR LF on
        // the wire), "octet" sends bytes as they are. This lesson does octet only and
        // says so, instead of silently sending something else than was asked.
        if (tftp::sameName(req.mode, "netascii")) {
            refuse(rinfo, tftp::kIllegal, "netascii is not supported: use octet (tftp -m binary)");
            return;
        }
        if (!tftp::sameName(req.mode, "octet")) {
            refuse(rinfo, tftp::kIllegal, "unknown mode '" + req.mode + "': use octet");
            return;
        }
        std::string why;
        const auto path = resolve(root_, req.filename, why);
        if (!path) { refuse(rinfo, tftp::kAccess, "Access violation: " + why); return; }
        if (p.op == tftp::Op::RRQ) startRead(req, *path, rinfo);
        else startWrite(req, *path, rinfo);
    }

    // RFC 2347: the client proposes options after the mode; the server answers with
    // OACK listing the ones it accepts (and their final values) or, when it accepts
    // none, behaves as RFC 1350. Unknown options and bad values are left out of the
    // OACK (that is how a server declines them); a name given twice is an error.
    struct Negotiated {
        tftp::Options opts;
        std::vector<std::pair<std::string, std::string>> oack;
        std::string error;
    };
    static Negotiated negotiate(const tftp::Request& req, std::optional<std::uint64_t> sizeForRead) {
        Negotiated n;
        for (std::size_t i = 0; i < req.options.size(); ++i)
            for (std::size_t j = 0; j < i; ++j)
                if (tftp::sameName(req.options[i].first, req.options[j].first)) {
                    n.error = "option '" + req.options[i].first + "' repeated";
                    return n;
                }
        for (const auto& [name, value] : req.options) {
            const auto v = tftp::parseNumber(value);
            if (tftp::sameName(name, "blksize")) {
                // RFC 2348: 8..65464 (65464 + 4 header + 8 UDP + 20 IP = 65496, under
                // IPv4's 65,535). Larger asks are answered with the largest we do.
                if (!v || *v < tftp::kMinBlksize) continue;
                n.opts.blksize = static_cast<std::size_t>(std::min<std::uint64_t>(*v, tftp::kMaxBlksize));
                n.oack.emplace_back(name, std::to_string(n.opts.blksize));
            } else if (tftp::sameName(name, "windowsize")) {
                // RFC 7440: 1..65535 blocks per ACK.
                if (!v || *v < 1 || *v > 65535) continue;
                n.opts.windowsize = static_cast<std::size_t>(*v);
                n.oack.emplace_back(name, std::to_string(*v));
            } else if (tftp::sameName(name, "timeout")) {
                // RFC 2349: 1..255 seconds, the retransmission timer both sides use.
                if (!v || *v < 1 || *v > 255) continue;
                n.opts.timeoutMs = static_cast<int>(*v) * 1000;
                n.oack.emplace_back(name, std::to_string(*v));
            } else if (tftp::sameName(name, "tsize")) {
                // RFC 2349: in a RRQ the client sends 0 and we answer the size; in a
                // WRQ it tells the size, which we echo (a server could refuse it early
                // when the disk is too small).
                if (!v) continue;
                n.opts.tsize = sizeForRead ? *sizeForRead : *v;
                n.oack.emplace_back(name, std::to_string(*n.opts.tsize));
            }
        }
        return n;
    }

    // A new socket on port 0 for one transfer: its TID. The reply comes from it, so the
    // client learns the TID from the first answer's source port.
    //
    // It is not connect(2)ed to the client, though in.tftpd's is and that would spare
    // the kernel a route lookup per sendto(2): a connected UDP socket only receives
    // from its peer, the kernel drops a datagram from any other port, and RFC 1350 asks
    // us to answer that datagram with ERROR 5 (Transfer::onMessage).
    std::shared_ptr<dgram::Socket> tidSocket() {
        auto s = dgram::createSocket(family());
        s->bind(0, cfg_.host);
        return s;
    }

    void startRead(const tftp::Request& req, const std::string& path, const dgram::RemoteInfo& rinfo) {
        // open(2) read-only; O_NOFOLLOW is not needed: resolve() already checked links.
        UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
        const int openErrno = errno;
        struct stat st{};
        if (!fd) {
            // Say what went wrong: a missing file, a forbidden one, or a server out of
            // descriptors (EMFILE: many transfers at once), which is not "not found".
            if (openErrno == ENOENT) refuse(rinfo, tftp::kNotFound, "File not found");
            else if (openErrno == EACCES) refuse(rinfo, tftp::kAccess, "Access violation");
            else refuse(rinfo, tftp::kNotDefined, std::string("cannot open: ") + std::strerror(openErrno));
            return;
        }
        if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
            refuse(rinfo, tftp::kNotFound, "File not found (not a regular file)");
            return;
        }
        auto n = negotiate(req, static_cast<std::uint64_t>(st.st_size));
        if (!n.error.empty()) { refuse(rinfo, tftp::kBadOption, n.error); return; }
        auto sock = tidSocket();
        const std::string what = "RRQ " + req.filename + " from " + rinfo.address + ":" + std::to_string(rinfo.port);
        auto t = std::make_shared<tftp::Transfer>(
            sock, tftp::Peer{rinfo.address, rinfo.port}, tftp::Transfer::Role::Sender, std::move(fd),
            static_cast<std::uint64_t>(st.st_size), n.opts, [what](const tftp::Outcome& o) { report(what, o); });
        sock->on("message", [t](const Buffer& m, const dgram::RemoteInfo& ri) { t->onMessage(m, ri); });
        // Without an 'error' listener a socket error is fatal (as in Node): one failed
        // transfer (no descriptor left, say) must not stop the server.
        sock->on("error", [t](const Error& e) { t->onSocketError(e); });
        if (n.oack.empty()) t->start();
        else t->startWithOack(tftp::makeOack(n.oack));
    }

    void startWrite(const tftp::Request& req, const std::string& path, const dgram::RemoteInfo& rinfo) {
        struct stat st{};
        if (::lstat(path.c_str(), &st) == 0 && !cfg_.overwrite) {
            refuse(rinfo, tftp::kExists, "File already exists");
            return;
        }
        auto n = negotiate(req, std::nullopt);
        if (!n.error.empty()) { refuse(rinfo, tftp::kBadOption, n.error); return; }
        // mkstemp(3) in the same directory as the target: rename(2) is atomic only
        // within one file system, and readers never see a half-written file.
        std::string tmp = path.substr(0, path.rfind('/') + 1) + ".tftp-upload-XXXXXX";
        UniqueFd fd(::mkostemp(tmp.data(), O_CLOEXEC));
        if (!fd) { refuse(rinfo, tftp::kAccess, std::string("cannot create: ") + std::strerror(errno)); return; }
        // mkstemp makes the file 0600 (private while incomplete); the finished file gets
        // the mode any new file gets here: 0666 minus the umask, as open(2) would give.
        ::fchmod(fd.get(), 0666 & ~umask_);
        auto sock = tidSocket();
        const std::string what = "WRQ " + req.filename + " from " + rinfo.address + ":" + std::to_string(rinfo.port);
        auto t = std::make_shared<tftp::Transfer>(
            sock, tftp::Peer{rinfo.address, rinfo.port}, tftp::Transfer::Role::Receiver, std::move(fd), 0, n.opts,
            [what, tmp, path, overwrite = cfg_.overwrite](const tftp::Outcome& o) {
                tftp::Outcome out = o;
                if (o.ok) {
                    // The last block is in; its ACK leaves after this: now the file gets its
                    // name. Without --overwrite, link(2) + unlink(2) refuses to
                    // replace a file that appeared meanwhile; rename(2) replaces.
                    const bool placed = overwrite ? ::rename(tmp.c_str(), path.c_str()) == 0
                                                  : ::link(tmp.c_str(), path.c_str()) == 0;
                    if (!placed) out = {false, tftp::kExists, std::strerror(errno), false, 0, o.retransmissions};
                }
                ::unlink(tmp.c_str());  // after rename this fails harmlessly (ENOENT)
                report(what, out);
            });
        t->setDally(true);
        sock->once("listening", [t] { t->sizeReceiveBuffer(); });
        sock->on("message", [t](const Buffer& m, const dgram::RemoteInfo& ri) { t->onMessage(m, ri); });
        // Without an 'error' listener a socket error is fatal (as in Node): one failed
        // transfer (no descriptor left, say) must not stop the server.
        sock->on("error", [t](const Error& e) { t->onSocketError(e); });
        if (n.oack.empty()) t->start(0);  // ACK 0: "send DATA 1"
        else t->startWithOack(tftp::makeOack(n.oack));
    }

    static void report(const std::string& what, const tftp::Outcome& o) {
        if (o.ok)
            console::log(what + ": done, " + std::to_string(o.bytes) + " bytes, " +
                         std::to_string(o.retransmissions) + " retransmissions");
        else
            console::log(what + ": failed, error " + std::to_string(o.code) + " (" + o.message + ")" +
                         (o.fromPeer ? " from the peer" : ""));
    }

    Config cfg_;
    mode_t umask_ = 022;
    std::string root_;
    std::shared_ptr<dgram::Socket> socket_;
};

}  // namespace

int main(int argc, char** argv) {
    Server server(parseArgs(argc, argv));
    Loop::getDefault().invoke([&] { server.listen(); });
    return process::run();
}
