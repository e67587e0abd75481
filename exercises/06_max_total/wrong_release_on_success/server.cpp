// Exercise 06_max_total (lesson 06), a wrong solution (only a successful upload gives its bytes back): a budget of bytes in flight.
//
//   build/exercises/06_max_total/solution --dir server_files --max-total 1073741824
//
// Lesson 06's upload server (lessons/06_upload/server.cpp), plus one flag:
// `--max-total BYTES`. --max-size bounds one file and --max-uploads the number of
// uploads at once; together they still allow 64 x 8 GiB. With --max-total, the sizes
// announced by the uploads in progress may add up to at most BYTES: an upload whose
// header would go over is refused at once with `ERR EQUOTA <reason>`, before a byte is
// written. An upload's bytes count from its header until it is over, however it ends
// (OK, ERR, a client that vanished): then they are free for the next one. Raw uploads
// announce nothing and are not counted (--max-size still bounds each). Without the
// flag there is no budget, as in the lesson. Check it with:
//   make check-exercise E=06_max_total

#include "console.hpp"
#include "errors.hpp"
#include "fs.hpp"
#include "loop.hpp"
#include "net.hpp"
#include "process.hpp"
#include "timers.hpp"
#include "upload.hpp"

#include <openssl/evp.h>
#include <signal.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <set>
#include <string>

using namespace kit;

namespace {

struct Config {
    int port = 8124;                     // [doc TCPS.C1] the document's port
    std::string host = "127.0.0.1";      // [pitfall 10] loopback unless told otherwise
    std::string dir = "./server_files";  // [doc TCPS.C1] the document's folder
    std::uint64_t maxSize = 8ULL << 30;  // [pitfall 10] 8 GiB per file
    std::uint64_t maxUploads = 64;       // [pitfall 10] uploads in progress at once
    std::uint64_t idleMs = 10000;        // [pitfall 10] a silent client is dropped
    std::uint64_t graceMs = 5000;        // [pitfall 11] time given to uploads at Ctrl-C
    bool fsync = true;                   // [pitfall 2] durable before "OK"
    std::uint64_t maxTotal = UINT64_MAX;  // Exercise 06_max_total: bytes announced at once
};

// The file stream's highWaterMark: how much may wait for the disk before the socket is
// paused (Node's default for a file stream is 16 KiB; a socket's read is up to 64 KiB).
// Per upload, at most this plus one chunk waits: 100 uploads stay in a few MiB.
constexpr std::size_t kFileHighWaterMark = 16 * 1024;
// How far an upload alone on the server may run ahead of the disk (see writeBody).
constexpr std::size_t kSoloQueue = 1024 * 1024;
// Beyond this many uploads in progress, each read(2) takes at most kManyReadSize
// (Socket::setReadSize) instead of libuv's 64 KiB (see writeBody).
constexpr std::size_t kManyUploads = 8;
constexpr std::size_t kManyReadSize = 16 * 1024;

[[noreturn]] void usage(const std::string& why) {
    console::error("usage error: " + why);
    console::error("usage: 06_upload_server [--port N] [--host H] [--dir D] [--max-size BYTES] "
                   "[--max-uploads N] [--idle-timeout MS] [--grace MS] [--no-fsync] [--max-total BYTES]");
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
        auto number = [&](std::uint64_t min, std::uint64_t max) {
            const auto n = upload::parseSize(value());
            if (!n || *n < min || *n > max)
                usage(a + " must be an integer in " + std::to_string(min) + ".." + std::to_string(max));
            return *n;
        };
        if (a == "--port") c.port = static_cast<int>(number(1, 65535));
        else if (a == "--host") {
            c.host = value();
            if (c.host.empty()) usage("--host must not be empty");
        } else if (a == "--dir") {
            c.dir = value();
            if (c.dir.empty()) usage("--dir must not be empty");
        } else if (a == "--max-size") c.maxSize = number(0, UINT64_MAX);
        else if (a == "--max-uploads") c.maxUploads = number(1, 100000);
        else if (a == "--idle-timeout") c.idleMs = number(1, 2147483647);
        else if (a == "--grace") c.graceMs = number(0, 2147483647);
        else if (a == "--no-fsync") c.fsync = false;
        else if (a == "--max-total") c.maxTotal = number(0, UINT64_MAX);  // Exercise 06_max_total
        else usage("unknown argument " + a);
    }
    return c;
}

// EVP_MD_CTX owned like any other resource: freed when the last of the upload and the
// file stream's pool jobs (which hash the chunks) lets it go.
using Hash = std::shared_ptr<EVP_MD_CTX>;

class Server;

// One connection, from accept to the answer. Owned by the listeners of its socket (a
// JavaScript closure would hold it the same way) and by the server's set of uploads.
class Upload : public std::enable_shared_from_this<Upload> {
public:
    Upload(Server& server, net::SocketPtr conn);
    void start();
    // Abort with ERR CODE (graceful shutdown, idle timeout, refused header...).
    void reject(const std::string& code, const std::string& reason);
    bool answered() const { return answered_; }
    bool committing() const { return committing_; }

private:
    void onHeader(const upload::Header& h);
    void openTemp();
    void writeBody(const Buffer& chunk);
    void onTrailer(const std::string& clientDigest);
    void commit();
    bool verified();
    void tryRename(unsigned attempt);
    void answer(const std::string& line);
    void removeTemp();
    void done();

    Server& server_;
    net::SocketPtr conn_;
    std::string peer_;  // "127.0.0.1:51234", for the log
    upload::Framer framer_;
    Buffer current_;  // the chunk being fed to the framer (its body offsets point into it)
    Hash hash_;
    std::shared_ptr<fs::WriteStream> file_;
    std::string tempPath_, name_, saved_, digest_, clientDigest_;
    std::uint64_t size_ = 0;
    std::uint64_t reserved_ = 0;  // Exercise 06_max_total: this upload's share of the budget
    bool raw_ = false;
    bool answered_ = false;
    bool committing_ = false;  // the file is complete: fsync, rename, answer in progress
    bool fileClosed_ = true;   // no file stream, or it emitted 'close'
    bool unlinkPending_ = false;
    bool waitingDrain_ = false;
    bool finished_ = false;
};

class Server {
public:
    explicit Server(Config c) : cfg(std::move(c)) {}

    void start() {
        // [doc TCPS.C1] The folder must exist; here it is made if it does not.
        fs::mkdirSync(cfg.dir);
        removeStaleTemporaries();

        // [pitfall 11] Ctrl-C (SIGINT) and SIGTERM start a graceful shutdown instead of
        // killing every upload in progress.
        process::onSignal(SIGINT, [this] { shutdown(); });
        process::onSignal(SIGTERM, [this] { shutdown(); });

        // [doc TCPS.1] [doc TCPS.C2] createServer; allowHalfOpen: the client's FIN is
        // the end of its data, not of the conversation: the answer comes after it.
        server_ = net::createServer(net::ServerOptions{.allowHalfOpen = true},
                                    [this](const net::SocketPtr& conn) { onConnection(conn); });
        // [doc TCPS.2] [doc TCPS.C5] listening.
        server_->on("listening", [this] {
            const auto a = server_->address();
            console::log("listening on " + a.address + ":" + std::to_string(a.port));
        });
        // [doc TCPS.2] [doc TCPS.C6] [pitfall 12] A listen error (EADDRINUSE, EACCES) is
        // reported once and ends the program with status 1: no endless retry.
        server_->on("error", [](const Error& err) {
            console::error(err.message);
            process::setExitCode(1);
        });
        server_->listen(cfg.port, cfg.host);
    }

    // Called by an Upload when it is over (answered and its file dealt with).
    void finished(const std::shared_ptr<Upload>& u) {
        uploads_.erase(u);
        if (shuttingDown_ && uploads_.empty()) clearTimeout(graceTimer_);
    }

    // Exercise 06_max_total: take n bytes of the budget, if they fit; give them back.
    bool reserve(std::uint64_t n) {
        if (n > cfg.maxTotal - inFlight_) return false;  // no overflow: inFlight_ <= maxTotal
        inFlight_ += n;
        return true;
    }
    void release(std::uint64_t n) { inFlight_ -= n; }
    std::uint64_t inFlight() const { return inFlight_; }

    std::string nextTempPath() { return cfg.dir + "/" + upload::tempName(::getpid(), ++tempCounter_); }

    std::string nextGeneratedName() {
        timeval tv{};
        ::gettimeofday(&tv, nullptr);
        std::tm local{};
        ::localtime_r(&tv.tv_sec, &local);
        return upload::generatedName(local, static_cast<int>(tv.tv_usec / 1000), ++nameCounter_);
    }

    // Uploads in progress (accepted, not yet answered).
    std::size_t inProgress() const { return uploads_.size(); }
    // The most one read(2) of a connection takes, with that many uploads in progress.
    std::size_t readSize() const { return inProgress() > kManyUploads ? kManyReadSize : net::Socket::kReadSize; }

    const Config cfg;

private:
    void onConnection(const net::SocketPtr& conn) {
        // [doc TCPS.C2] One client connected. [pitfall 10] Beyond --max-uploads, refuse
        // at once, with the reason, instead of taking without limit.
        if (uploads_.size() >= cfg.maxUploads || shuttingDown_) {
            const std::string code = shuttingDown_ ? "ESHUTDOWN" : "EBUSY";
            const std::string reason = shuttingDown_ ? "server shutting down"
                                                     : "too many uploads in progress (" + std::to_string(cfg.maxUploads) + ")";
            console::log("rejected " + conn->remoteAddress() + ":" + std::to_string(conn->remotePort()) + " ERR " + code + " " + reason);
            // [pitfall 1] Every socket gets an 'error' listener: a reset ends this
            // connection only, never the server.
            conn->on("error", [](const Error&) {});
            conn->on("timeout", [conn] { conn->destroy(); });
            conn->setTimeout(static_cast<double>(cfg.idleMs));
            conn->end(Buffer::from(upload::errLine(code, reason)));
            conn->resume();  // read and drop what the client is still sending
            return;
        }
        auto u = std::make_shared<Upload>(*this, conn);
        uploads_.insert(u);
        u->start();
    }

    // [pitfall 2] A temporary left by a server that was killed (SIGKILL, a power cut)
    // is an incomplete file: it never got its final name; remove it.
    void removeStaleTemporaries() {
        for (const auto& name : fs::readdirSync(cfg.dir)) {
            if (!upload::isTempName(name)) continue;
            try {
                fs::unlinkSync(cfg.dir + "/" + name);
                console::log("removed stale temporary " + name);
            } catch (const Error& err) {
                console::error(err.message);
            }
        }
    }

    // [pitfall 11] Stop accepting; uploads in progress get --grace ms to finish; then
    // the rest are aborted with ERR ESHUTDOWN and their temporaries removed. The loop,
    // with nothing left, returns: exit status 0.
    void shutdown() {
        if (shuttingDown_) {  // a second Ctrl-C: do not wait any longer
            abortAll();
            return;
        }
        shuttingDown_ = true;
        console::log("shutting down");
        server_->close();
        if (uploads_.empty()) return;
        graceTimer_ = setTimeout([this] { abortAll(); }, static_cast<double>(cfg.graceMs));
    }

    void abortAll() {
        const auto all = uploads_;  // reject() removes from uploads_
        for (const auto& u : all)
            if (!u->committing()) u->reject("ESHUTDOWN", "server shutting down, grace period over");
    }

    std::shared_ptr<net::Server> server_;
    std::set<std::shared_ptr<Upload>> uploads_;
    std::shared_ptr<Timeout> graceTimer_;
    std::uint64_t tempCounter_ = 0, nameCounter_ = 0;
    std::uint64_t inFlight_ = 0;  // Exercise 06_max_total: bytes reserved by uploads in progress
    bool shuttingDown_ = false;
};

Upload::Upload(Server& server, net::SocketPtr conn)
    : server_(server), conn_(std::move(conn)),
      peer_(conn_->remoteAddress() + ":" + std::to_string(conn_->remotePort())),
      framer_(upload::Framer::Events{
          .header = [this](const upload::Header& h) { onHeader(h); return !answered_; },
          .raw = [this](std::string_view held) {
              raw_ = true;
              openTemp();
              if (!held.empty()) writeBody(Buffer::from(held));
          },
          .body = [this](std::size_t offset, std::size_t length) {
              // A view into the chunk read: no copy between the socket and the file.
              writeBody(current_.subarray(offset, offset + length));
          },
          .trailer = [this](const std::string& digest) { onTrailer(digest); },
          .rawEnd = [this] {
              digest_ = "unverified";
              commit();
          },
          .error = [this](std::string_view code, const std::string& reason) { reject(std::string(code), reason); },
      }) {}

void Upload::start() {
    auto self = shared_from_this();
    // [pitfall 1] An 'error' listener on every connection: ECONNRESET ends this upload
    // (its temporary removed), never the server. 'close' follows it.
    conn_->on("error", [self](const Error& err) { self->reject(err.code, err.message); });
    // [pitfall 10] Slowloris: no byte for --idle-timeout ms and the upload is dropped.
    // Node's socket.setTimeout: 'timeout' after that long without activity.
    conn_->setTimeout(static_cast<double>(server_.cfg.idleMs));
    conn_->setReadSize(server_.readSize());  // from the first read(2) on (see writeBody)
    conn_->on("timeout", [self] {
        if (self->answered_) self->conn_->destroy();  // answered, but the client never closes
        else if (self->waitingDrain_) return;         // we paused it: the disk is slow, not the client
        else if (!self->committing_) self->reject("ETIMEDOUT", "no data for " + std::to_string(self->server_.cfg.idleMs) + " ms");
    });
    // [doc TCPS.3] [doc TCPS.C3] Each chunk goes through the framer as it arrives
    // ([pitfall 3]: straight to the file stream, nothing collected in memory).
    conn_->on("data", [self](const Buffer& chunk) {
        if (self->answered_) return;  // after an ERR: drop what still arrives
        self->current_ = chunk;
        self->framer_.feed(chunk.bytes());
        self->current_ = Buffer();
    });
    // The client's FIN: the raw protocol's end, or too early for a framed upload.
    conn_->on("end", [self] { self->framer_.end(); });
    // [doc TCPS.C4] 'close': the connection is gone. If no answer was given (the client
    // vanished), nothing it sent is kept.
    conn_->on("close", [self] {
        if (!self->answered_ && !self->committing_) self->reject("ECONNRESET", "connection closed before the upload ended");
        self->done();
    });
}

void Upload::onHeader(const upload::Header& h) {
    // [pitfall 10] The size is known before any byte of the file: refuse a file over
    // --max-size now, not after it has filled the disk.
    if (h.size > server_.cfg.maxSize) {
        reject("ETOOBIG", std::to_string(h.size) + " bytes is over the limit of " + std::to_string(server_.cfg.maxSize));
        return;
    }
    // Exercise 06_max_total: the announced size is reserved on the header, before
    // anything is opened, and given back when the upload is over (done()).
    if (!server_.reserve(h.size)) {
        reject("EQUOTA", std::to_string(h.size) + " bytes would put the uploads in progress over " +
                             std::to_string(server_.cfg.maxTotal) + " (" + std::to_string(server_.inFlight()) + " taken)");
        return;
    }
    reserved_ = h.size;
    size_ = h.size;
    // [pitfall 5] The client's name, made safe (no path, no "..", no control
    // characters); made unique later, at the rename.
    name_ = upload::sanitizeName(h.name);
    hash_ = Hash(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    if (!hash_ || EVP_DigestInit_ex(hash_.get(), EVP_sha256(), nullptr) != 1) {
        reject("EIO", "SHA-256 unavailable");
        return;
    }
    openTemp();
}

// [pitfall 2] [pitfall 4] The bytes go to a temporary in the target directory, created
// with O_EXCL (it cannot exist already) and O_NOFOLLOW (not through a planted symbolic
// link), readable by nobody else (0600) until it is complete.
void Upload::openTemp() {
    tempPath_ = server_.nextTempPath();
    fs::WriteStreamOptions options{.flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW,
                                   .mode = 0600,
                                   .highWaterMark = kFileHighWaterMark,
                                   .flush = server_.cfg.fsync};
    // SHA-256 as the bytes pass (about 0.7 s of CPU per GiB with SHA-NI), on the pool
    // thread that writes each chunk, just before its write(2): the loop thread goes on
    // reading the socket meanwhile. (Node would hash on its main thread; a framed
    // upload alone then costs the loop thread ~0.7 s per GiB more.)
    if (hash_) {
        options.beforeWrite = [hash = hash_](std::span<const std::uint8_t> bytes) {
            EVP_DigestUpdate(hash.get(), bytes.data(), bytes.size());
        };
    }
    file_ = fs::createWriteStream(tempPath_, std::move(options));
    fileClosed_ = false;
    auto self = shared_from_this();
    // [pitfall 4] A failed write (ENOSPC, EDQUOT, EIO) is an ERR to the client with the
    // errno's code, and the temporary goes: never "success" after a failure.
    file_->on("error", [self](const Error& err) { self->reject(err.code, err.message); });
    file_->on("close", [self] {
        self->fileClosed_ = true;
        if (self->unlinkPending_) self->removeTemp();
    });
}

void Upload::writeBody(const Buffer& chunk) {
    if (answered_ || !file_) return;
    if (raw_ && file_->bytesWritten() + file_->writableLength() + chunk.size() > server_.cfg.maxSize) {
        reject("ETOOBIG", "more than " + std::to_string(server_.cfg.maxSize) + " bytes");
        return;
    }
    // [pitfall 3] Backpressure, as Node's pipe() does it: the file stream says "full"
    // (write() returns false once kFileHighWaterMark bytes wait for the disk), so the
    // socket stops reading until the stream's 'drain'. Memory stays bounded whatever the
    // file's size and however slow the disk.
    //
    // What an upload holds, then: the chunk being written, and the one read(2) a paused
    // socket still makes (Node's too: it reads until its readableHighWaterMark is
    // reached). The chunk is copied, on purpose: it is a view into the socket's read
    // arena (buffer.hpp), which starts again from its first byte only when none of its
    // chunks is alive; kept in the file stream's queue, views would push the arena on
    // through its 2 MiB blocks (100 uploads: 194 MiB measured). With a copy (memcpy,
    // about 0.1 s per GiB), each arena stays one read long. With many uploads at once
    // each read(2) takes less (kManyUploads), so 100 uploads stay under 16 MiB.
    //
    // An upload alone on the server is the exception, for throughput: its chunks go to
    // the file stream as they are (no copy), and it may run ahead of the disk by
    // kSoloQueue, so that reading the next chunks overlaps hashing and writing the last
    // ones. Its arena then holds at most a 2 MiB block and that queue.
    const bool alone = server_.inProgress() == 1;
    conn_->setReadSize(server_.readSize());
    const bool ok = file_->write(alone ? chunk : Buffer(chunk.bytes()));
    if (ok || waitingDrain_) return;
    if (alone && file_->writableLength() < kSoloQueue) return;
    waitingDrain_ = true;
    conn_->pause();
    auto self = shared_from_this();
    file_->onceDrain([self] {
        self->waitingDrain_ = false;
        if (self->answered_) return;
        self->conn_->resume();
        // Paused, the socket had no reason to count idle time: start the count again.
        self->conn_->setTimeout(static_cast<double>(self->server_.cfg.idleMs));
    });
}

void Upload::onTrailer(const std::string& clientDigest) {
    clientDigest_ = clientDigest;
    commit();
}

// [pitfall 2] The digest is checked before the file gets its name: a corrupted or
// tampered upload never becomes visible. Checked once every chunk has been written
// (and hashed, on the pool, just before).
bool Upload::verified() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(hash_.get(), md, &len);
    digest_ = upload::toHex({md, len});
    if (digest_ == clientDigest_) return true;
    reject("EDIGEST", "sha256 mismatch: received bytes hash to " + digest_);
    return false;
}

// All the bytes are in (framed: as many as the header said; the framer counted them):
// write the rest, check the digest, make the file durable and give it its name.
void Upload::commit() {
    committing_ = true;
    conn_->setTimeout(0);  // the client waits for us now
    auto self = shared_from_this();
    file_->once("finish", [self] {  // all written, fsync(2)ed (unless --no-fsync), closed
        if (self->answered_) return;
        if (!self->raw_ && !self->verified()) return;
        fs::chmod(self->tempPath_, 0644, [self](const std::optional<Error>& err) {
            if (err) return self->reject(err->code, err->message);
            self->tryRename(0);
        });
    });
    file_->end();
}

// [pitfall 5] Never overwrite: renameat2(RENAME_NOREPLACE) fails with EEXIST if the
// name is taken (by another upload a microsecond earlier, too: the check and the rename
// are one step in the kernel), and the next name is tried: "notes (1).txt"...
void Upload::tryRename(unsigned attempt) {
    if (attempt > 10000) return reject("EEXIST", "no free name for " + name_);
    const std::string base = name_.empty() || raw_ ? server_.nextGeneratedName() : upload::withSuffix(name_, attempt);
    auto self = shared_from_this();
    fs::renameNoReplace(tempPath_, server_.cfg.dir + "/" + base, [self, base, attempt](const std::optional<Error>& err) {
        if (err && err->code == "EEXIST") return self->tryRename(attempt + 1);
        if (err) return self->reject(err->code, err->message);
        self->tempPath_.clear();  // it has its name now: nothing to remove
        // WRONG: the budget is given back only by an upload that succeeded: every
        // failed or vanished upload keeps its bytes reserved forever.
        self->server_.release(self->reserved_);  // Exercise 06_max_total
        self->reserved_ = 0;
        self->saved_ = base;
        auto reply = [self] {
            const std::string size = std::to_string(self->raw_ ? self->file_->bytesWritten() : self->size_);
            console::log("saved " + self->saved_ + " (" + size + " bytes, " +
                         (self->raw_ ? std::string("unverified") : "sha256 " + self->digest_) + ")");
            self->answer(upload::okLine(self->saved_, self->digest_));
        };
        if (!self->server_.cfg.fsync) return reply();
        // fsync(2) of the directory: the new name itself is on disk before "OK".
        fs::fsyncDir(self->server_.cfg.dir, [self, reply](const std::optional<Error>& e) {
            if (e) console::error(e->message);  // the file is complete and named: still OK
            reply();
        });
    });
}

void Upload::reject(const std::string& code, const std::string& reason) {
    if (answered_) return;
    console::log("rejected " + peer_ + " ERR " + code + " " + reason);
    // [pitfall 2] [pitfall 4] No file and no temporary after any failure.
    if (file_) {
        file_->destroy();
        unlinkPending_ = true;
        if (fileClosed_) removeTemp();
    }
    answer(upload::errLine(code, reason));
}

void Upload::removeTemp() {
    unlinkPending_ = false;
    if (tempPath_.empty()) return;
    fs::unlink(tempPath_, [](const std::optional<Error>&) {});  // ENOENT: never created
    tempPath_.clear();
}

// One line, then our FIN. The client may be gone (EPIPE, ECONNRESET): the 'error'
// listener above takes it. [pitfall 4] The line says what happened, nothing else.
void Upload::answer(const std::string& line) {
    answered_ = true;
    if (!conn_->destroyed()) {
        conn_->end(Buffer::from(line));
        conn_->resume();                 // drop what the client may still send
        conn_->setTimeout(2000);         // then close even if it never sends its FIN
    }
    done();
}

void Upload::done() {
    if (finished_ || (!answered_)) return;
    finished_ = true;
    server_.finished(shared_from_this());
}

} // namespace

int main(int argc, char** argv) {
    Server server(parseArgs(argc, argv));
    try {
        server.start();
    } catch (const Error& err) {  // mkdirSync, readdirSync: the folder is unusable
        console::error(err.message);
        return 1;
    }
    return process::run();
}
