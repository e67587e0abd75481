// Lesson 06: the upload client done right: framed, hashed while it sends, and honest
// about the outcome in its exit status.
//
//   build/lessons/06_upload_client [FILE] [--port N] [--host H]
//
// Lesson 02's client, [doc TCPC.1]-[doc TCPC.C4], pipes a file into a socket and
// prints whatever comes back; docs/pitfalls.md lists what goes wrong (a missing file
// leaves it connected forever, no server kills it with an unhandled 'error', nothing
// tells it whether the server kept the file). This one speaks lesson 06's protocol
// (upload.hpp): a header with the size and name, the bytes, a SHA-256 trailer, then it
// waits for the server's one-line answer. Read it beside client.js, its Node twin.
//
//   fs.stat            ->  stat(2) on the thread pool: the size goes in the header
//   createReadStream   ->  open(2), read(2) of 64 KiB on the pool, and EVP_DigestUpdate
//                          of each chunk right there (afterRead: SHA-256 off the loop)
//   'data' -> write    ->  send(2); write() false: pause the file until the socket's
//                          'drain' (pipe() by hand, counting the bytes for the progress)
//   end(trailer)       ->  the digest line, then shutdown(2): our FIN
//   'data' (answer)    ->  OK <name> <digest> or ERR <code> <reason>
//
// Exit status: 0 only after an OK whose digest is the one computed here; 1 for a
// missing file, a refused connection, a server gone mid-transfer, or an ERR (one line
// on stderr says which); 2 for bad usage. A progress bar on stderr when it is a
// terminal (percent, MiB/s, time left); one plain line at the end otherwise.

#include "console.hpp"
#include "errors.hpp"
#include "fs.hpp"
#include "loop.hpp"
#include "net.hpp"
#include "process.hpp"
#include "upload.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

using namespace kit;

namespace {

struct Config {
    std::string file = "./client_files/client.txt";  // [doc TCPC.C1] the document's file
    int port = 8124;                                  // [doc TCPC.C2]
    std::string host = "127.0.0.1";                   // the server listens on loopback
};

[[noreturn]] void usage(const std::string& why) {
    console::error("usage error: " + why);
    console::error("usage: 06_upload_client [FILE] [--port N] [--host H]");
    std::exit(2);
}

Config parseArgs(int argc, char** argv) {
    Config c;
    bool haveFile = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) usage(a + " needs a value");
            return argv[++i];
        };
        if (a == "--port") {
            const auto n = upload::parseSize(value());
            if (!n || *n < 1 || *n > 65535) usage("--port must be an integer in 1..65535");
            c.port = static_cast<int>(*n);
        } else if (a == "--host") {
            c.host = value();
            if (c.host.empty()) usage("--host must not be empty");
        } else if (a.size() > 1 && a[0] == '-') {
            usage("unknown argument " + a);
        } else if (haveFile) {
            usage("only one FILE, got " + a);
        } else {
            c.file = a;
            haveFile = true;
        }
    }
    if (c.file.empty()) usage("FILE must not be empty");
    return c;
}

// The progress on stderr: a bar redrawn at most ten times a second on a terminal,
// one line at the end otherwise (a log file gets no carriage returns).
class Progress {
public:
    explicit Progress(std::uint64_t total) : total_(total), tty_(::isatty(2) == 1), start_(Clock::now()) {}
    void update(std::uint64_t sent) {
        if (!tty_) return;
        const auto now = Clock::now();
        if (sent != total_ && now - lastDraw_ < std::chrono::milliseconds(100)) return;
        lastDraw_ = now;
        const double secs = seconds(now);
        const double rate = secs > 0 ? static_cast<double>(sent) / secs : 0;
        const double pct = total_ ? 100.0 * static_cast<double>(sent) / static_cast<double>(total_) : 100.0;
        const int filled = static_cast<int>(pct / 5);
        const double left = rate > 0 ? static_cast<double>(total_ - sent) / rate : 0;
        const std::string bar = std::string(static_cast<std::size_t>(filled), '#') + std::string(static_cast<std::size_t>(20 - filled), '.');
        std::fputs(fmt::format("\r[{}] {:3.0f}%  {:7.1f} MiB/s  {:02d}:{:02d} left", bar, pct, rate / 1048576.0,
                               static_cast<int>(left) / 60, static_cast<int>(left) % 60).c_str(), stderr);
        std::fflush(stderr);
        drawn_ = true;
    }
    // The last line: on a terminal it ends the bar; otherwise it is the only one.
    void done(std::uint64_t sent) {
        update(sent);
        const double secs = seconds(Clock::now());
        const double rate = secs > 0 ? static_cast<double>(sent) / secs / 1048576.0 : 0;
        if (drawn_) std::fputs("\n", stderr);
        console::error(fmt::format("sent {} bytes in {:.2f} s ({:.1f} MiB/s)", sent, secs, rate));
    }
    // Leave the bar's line before an error message.
    void interrupt() {
        if (drawn_) std::fputs("\n", stderr);
        drawn_ = false;
    }

private:
    using Clock = std::chrono::steady_clock;
    double seconds(Clock::time_point t) const { return std::chrono::duration<double>(t - start_).count(); }
    std::uint64_t total_;
    bool tty_;
    bool drawn_ = false;
    Clock::time_point start_, lastDraw_{};
};

class Client : public std::enable_shared_from_this<Client> {
public:
    explicit Client(Config c) : cfg_(std::move(c)) {}

    void start() {
        auto self = shared_from_this();
        // The size goes in the header, so it is asked first (stat(2) on the pool).
        // [pitfall 6] A missing file is a clear error and exit status 1, before any
        // connection (lesson 02 stays connected forever, and an empty file is saved).
        fs::stat(cfg_.file, [self](const std::optional<Error>& err, const fs::Stats& st) {
            if (err) return self->fail(err->message);
            if (!st.isFile) return self->fail("not a regular file: " + self->cfg_.file);
            self->size_ = st.size;
            self->connect();
        });
    }

private:
    void connect() {
        auto self = shared_from_this();
        hash_.reset(EVP_MD_CTX_new(), EVP_MD_CTX_free);
        if (!hash_ || EVP_DigestInit_ex(hash_.get(), EVP_sha256(), nullptr) != 1) return fail("SHA-256 unavailable");
        progress_ = std::make_unique<Progress>(size_);
        // [doc TCPC.C1] [doc TCPC.C2] A socket, connected to the server; the answer is text.
        client_ = net::createSocket();
        client_->setEncoding("utf8");
        // [pitfall 7] Unlike lesson 02, an 'error' listener: a refused connection or a
        // server that goes away is one line and exit status 1, not an unhandled 'error'.
        client_->on("error", [self](const Error& err) { self->fail(err.message); });
        // [doc TCPC.1] [doc TCPC.C3] The server's answer: one line.
        client_->on("data", [self](const std::string& text) { self->onAnswer(text); });
        // [doc TCPC.C4] 'close' with no answer: the server went away mid-transfer.
        client_->on("close", [self] {
            if (!self->over_) self->fail("the server closed the connection without answering");
        });
        client_->connect(cfg_.port, cfg_.host, [self] { self->send(); });
    }

    void send() {
        auto self = shared_from_this();
        // The header: magic, size, base name (the server reduces it further).
        const auto slash = cfg_.file.rfind('/');
        const std::string name = slash == std::string::npos ? cfg_.file : cfg_.file.substr(slash + 1);
        client_->write(std::string(upload::kMagic) + std::to_string(size_) + " " + name + "\n");
        // Each chunk is hashed as it is read, on the pool thread that read it (the
        // kit's afterRead; Node's twin hashes on its main thread, in a Transform): the
        // digest is ready when the last byte has been read, in one pass over the file,
        // and this thread is left to send while the next chunks are read and hashed.
        fs::ReadStreamOptions options;
        options.afterRead = [hash = hash_](std::span<const std::uint8_t> bytes) {
            EVP_DigestUpdate(hash.get(), bytes.data(), bytes.size());
        };
        // [doc TCPC.C2] [pitfall 8] The file as a stream, over TCP: never read whole.
        file_ = fs::createReadStream(cfg_.file, std::move(options));
        file_->on("error", [self](const Error& err) { self->fail(err.message); });
        // pipe() by hand, for the progress bar and to check the size at the end.
        file_->on("data", [self](const Buffer& chunk) {
            self->sent_ += chunk.size();
            self->progress_->update(self->sent_);
            // Backpressure: the socket's queue is full (16 KiB waiting): stop reading
            // the file until it has drained. Memory stays flat for any file size.
            if (!self->client_->write(chunk)) {
                self->file_->pause();
                self->client_->onceDrain([self] {
                    if (!self->over_) self->file_->resume();
                });
            }
        });
        file_->on("end", [self] {
            if (self->sent_ != self->size_) {
                return self->fail(fmt::format("{} changed while it was sent ({} bytes, {} announced)", self->cfg_.file,
                                              self->sent_, self->size_));
            }
            unsigned char md[EVP_MAX_MD_SIZE];
            unsigned int len = 0;
            EVP_DigestFinal_ex(self->hash_.get(), md, &len);
            self->digest_ = upload::toHex({md, len});
            // The trailer, then our FIN (shutdown(2)); the server answers after it.
            self->client_->end(Buffer::from(std::string(upload::kTrailerTag) + self->digest_ + "\n"));
        });
    }

    // [pitfall 2] [pitfall 4] Success is the server's word that it has the whole file,
    // verified: OK with the digest computed here. Anything else is a failure, said.
    void onAnswer(const std::string& text) {
        if (over_) return;
        answer_ += text;
        const auto nl = answer_.find('\n');
        if (nl == std::string::npos) {
            if (answer_.size() > 4096) fail("the server's answer is not a line of the protocol");
            return;
        }
        const auto reply = upload::parseReply(answer_.substr(0, nl));
        if (!reply) return fail("unexpected answer from the server: " + answer_.substr(0, nl));
        if (!reply->ok) return fail("the server refused the upload: " + answer_.substr(0, nl));
        if (reply->digest != digest_) {
            return fail("the server's sha256 " + reply->digest + " is not ours, " + (digest_.empty() ? "(not sent yet)" : digest_));
        }
        over_ = true;
        progress_->done(sent_);
        console::log("saved as " + reply->name + " (" + std::to_string(size_) + " bytes, sha256 " + digest_ + ")");
        client_->destroy();
    }

    // One clear line on stderr, exit status 1, everything closed.
    void fail(const std::string& why) {
        if (over_) return;
        over_ = true;
        if (progress_) progress_->interrupt();
        console::error("error: " + why);
        process::setExitCode(1);
        if (file_) file_->destroy();
        if (client_) client_->destroy();
    }

    Config cfg_;
    std::uint64_t size_ = 0, sent_ = 0;
    // Shared with the read jobs that hash on the pool: freed when the last lets go.
    std::shared_ptr<EVP_MD_CTX> hash_;
    std::unique_ptr<Progress> progress_;
    net::SocketPtr client_;
    std::shared_ptr<fs::ReadStream> file_;
    std::string digest_, answer_;
    bool over_ = false;
};

} // namespace

int main(int argc, char** argv) {
    auto client = std::make_shared<Client>(parseArgs(argc, argv));
    client->start();
    return process::run();
}
