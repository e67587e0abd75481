// fs.cpp: file streams and whole-file calls on the thread pool (see fs.hpp).
#include "fs.hpp"

#include "trace.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <utility>
#include <vector>

namespace kit::fs {

namespace {

// open(2), retried if a signal interrupts it.
int openRetry(const char* path, int flags, mode_t mode = 0) {
    int fd;
    do {
        fd = ::open(path, flags | O_CLOEXEC, mode);
    } while (fd < 0 && errno == EINTR);
    return fd;
}

// Write all of @p data, resuming after partial writes and EINTR. Returns 0 or errno.
int writeAll(int fd, const std::uint8_t* data, std::size_t size) {
    while (size > 0) {
        const ssize_t n = ::write(fd, data, size);
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        data += n;
        size -= static_cast<std::size_t>(n);
    }
    return 0;
}

} // namespace

// ===========================================================================
// ReadStream: open, then read 64 KiB at a time on the thread pool.
// ===========================================================================

ReadStream::ReadStream(Loop& loop, std::string path)
    : Handle(loop, "readstream"), EventEmitter("ReadStream"), path_(std::move(path)) {
    setTraceId(handleId());
    // Node's Readable.on: a 'data' listener added once the file is open starts the
    // flow (one added before 'open' is seen when the open completes, in start()). The
    // flow starts on the next tick, so on() never emits from inside itself.
    onListenerAdded([this](std::string_view event) {
        if (event != "data" || paused_ || !fd_ || destroyed_) return;
        auto self = std::static_pointer_cast<ReadStream>(weak_from_this().lock());
        if (self) this->loop().nextTick([self] { self->readNext(); });
    });
}

ReadStream::~ReadStream() = default;  // fd_ (a UniqueFd) closes the file if still open

std::shared_ptr<ReadStream> createReadStream(std::string path) {
    Loop& loop = Loop::getDefault();
    auto stream = std::make_shared<ReadStream>(loop, std::move(path));
    loop.adopt(stream);
    stream->start();
    return stream;
}

void ReadStream::start() {
    struct Result {
        UniqueFd fd;  // closed here if the stream is gone before it takes it
        int err = 0;
    };
    auto result = std::make_shared<Result>();
    auto self = std::static_pointer_cast<ReadStream>(shared_from_this());
    reading_ = true;
    // open(2) may block (a network file system, a slow disk): Node runs it in the pool.
    loop().queueWork(
        [result, path = path_] {
            result->fd.reset(openRetry(path.c_str(), O_RDONLY));
            if (!result->fd) result->err = errno;
        },
        [self, result] {
            self->reading_ = false;
            if (result->err != 0) {
                // Node: 'error' (ENOENT: no such file or directory, open '<path>'), then 'close'.
                self->destroyed_ = true;
                self->emit("error", Error::uv(result->err, "open", self->path_));
                self->closeHandle();
                return;
            }
            self->fd_ = std::move(result->fd);
            if (self->destroyed_) {
                self->closeFile();
                self->closeHandle();
                return;
            }
            self->emit("open", self->fd_.get());
            self->emit("ready");
            // Like a Node stream, data flows once someone reads it: a 'data' listener
            // or a pipe(); otherwise the stream waits for resume().
            if (self->listenerCount("data") > 0 || self->dest_) self->readNext();
        }, "open");
}

// Deliver what is buffered, keeping one pool job of reads in flight. Like Node's
// Readable, the stream reads ahead while the consumer is busy (or paused) but buffers
// a bounded amount: one job's chunks waiting here and one job's being read. The next
// job is queued *before* the chunks in hand are emitted, so a pool thread reads the
// next chunks while this thread sends these: the two overlap instead of taking turns.
void ReadStream::readNext() {
    if (destroyed_ || !fd_) return;
    while (!paused_ && !held_.empty()) {
        Buffer chunk = std::move(held_.front());
        held_.pop_front();
        if (!reading_ && !ended_ && !eofSeen_) startRead();
        emit("data", chunk);
        if (destroyed_) return;
    }
    if (!paused_ && eofSeen_ && !ended_ && !reading_ && held_.empty()) {  // EOF reached and all delivered
        ended_ = true;
        emit("end");  // then autoClose gives 'close', as in Node
        closeFile();
        closeHandle();
        return;
    }
    if (held_.empty() && !reading_ && !eofSeen_) startRead();
}

// One pool job: up to kReadsPerJob read(2)s of 64 KiB, each into its own Buffer (a
// 'data' chunk, as Node's one read per request gives). libuv queues one request per
// read, and each costs a pool thread's wake-up (a futex) and the loop's (the eventfd
// the pool writes to, poll(2) returning): four of the eight system calls and both
// context switches that issue 21 counted per chunk. Here a job goes on reading while
// the file gives whole chunks, so one hand-off brings up to four chunks.
void ReadStream::startRead() {
    struct Result {
        std::vector<Buffer> chunks;
        bool eof = false;
        int err = 0;
    };
    auto result = std::make_shared<Result>();
    auto self = std::static_pointer_cast<ReadStream>(shared_from_this());
    reading_ = true;
    loop().queueWork(
        [result, fd = fd_.get()] {
            // Only a regular file is read ahead: its read(2) never waits for data. A
            // pipe, a FIFO or a terminal gets one read per job, as in Node: a second
            // read(2) there would hold the first chunk back until the writer writes
            // again (and a writer waiting for that chunk would wait forever).
            struct stat st {};
            const bool regular = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
            const int reads = regular ? kReadsPerJob : 1;
            for (int i = 0; i < reads; ++i) {
                // Not zeroed first (Node's allocUnsafe): read(2) overwrites what it returns.
                auto bytes = std::make_unique_for_overwrite<std::uint8_t[]>(kChunkSize);
                ssize_t n;
                do {
                    n = ::read(fd, bytes.get(), kChunkSize);  // read(2), blocking
                } while (n < 0 && errno == EINTR);
                if (n < 0) {
                    // Reported only by a job that read nothing: the chunks before it go
                    // out first, and the next job's read(2), at the same offset, fails
                    // again and reports it (the order Node's one-read jobs give).
                    if (result->chunks.empty()) result->err = errno;
                    return;
                }
                if (n == 0) {
                    result->eof = true;
                    return;
                }
                result->chunks.emplace_back(std::move(bytes), static_cast<std::size_t>(n));
                // A short read: the end of the file is near (or the file is not a
                // regular one). Stop, so that the end is found by a job of its own, as
                // in Node, where the read after a short one returns 0.
                if (static_cast<std::size_t>(n) < kChunkSize) return;
            }
        },
        [self, result] {
            self->reading_ = false;
            if (self->destroyed_) {  // destroy() waited for this job to finish
                self->closeFile();
                self->closeHandle();
                return;
            }
            if (result->err != 0) {
                self->destroyed_ = true;
                self->emit("error", Error::uv(result->err, "read"));
                self->closeFile();
                self->closeHandle();
                return;
            }
            for (auto& chunk : result->chunks) {
                self->bytesRead_ += chunk.size();
                self->held_.push_back(std::move(chunk));
            }
            if (result->eof) self->eofSeen_ = true;
            self->readNext();
        }, "read");
}

void ReadStream::pause() {
    if (!paused_) tracing::line("readstream paused: {}", path_);
    paused_ = true;
}

void ReadStream::resume() {
    if (paused_) tracing::line("readstream resumed: {}", path_);
    paused_ = false;
    readNext();
}

void ReadStream::pipe(std::shared_ptr<Writable> dest) {
    dest_ = dest;
    std::weak_ptr<ReadStream> weak = std::static_pointer_cast<ReadStream>(shared_from_this());
    std::weak_ptr<Writable> weakDest = dest;
    // Node's pipe: write each chunk; a false return means the destination's buffer is
    // full, so pause until it emits 'drain'. That is backpressure: memory stays bounded
    // however fast the file is read and however slow the peer is.
    on("data", [weak, weakDest](const Buffer& chunk) {
        auto self = weak.lock();
        auto d = weakDest.lock();
        if (!self || !d) return;
        if (!d->write(chunk)) {
            self->pause();
            d->onceDrain([weak] {
                if (auto s = weak.lock()) s->resume();
            });
        }
    });
    on("end", [weakDest] {
        if (auto d = weakDest.lock()) d->end();
    });
    resume();
}

void ReadStream::destroy() {
    if (destroyed_) return;
    destroyed_ = true;
    if (reading_) return;  // the read in flight uses fd_: close when it completes
    closeFile();
    closeHandle();
}

void ReadStream::closeFile() {
    fd_.reset();  // close(2), once (see fd.hpp)
}

void ReadStream::onClose() { emit("close"); }

// ===========================================================================
// Whole-file calls.
// ===========================================================================

void writeFile(std::string path, Buffer data, WriteCallback cb) {
    struct Result {
        int err = 0;
        const char* syscall = "open";
    };
    auto result = std::make_shared<Result>();
    auto payload = std::make_shared<Buffer>(std::move(data));
    Loop::getDefault().queueWork(
        [result, payload, path] {
            // O_TRUNC: writeFile replaces an existing file, as Node's 'w' flag does.
            const UniqueFd f(openRetry(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0666));
            if (!f) {
                result->err = errno;
                return;
            }
            if (int e = writeAll(f.get(), payload->data(), payload->size()); e != 0) {
                result->err = e;  // the bytes written so far stay on disk, as in Node
                result->syscall = "write";
            }
        },
        [result, path, cb = std::move(cb)] {
            if (result->err == 0) {
                cb(std::nullopt);
            } else if (std::string_view(result->syscall) == "open") {
                cb(Error::uv(result->err, "open", path));
            } else {
                cb(Error::uv(result->err, "write"));
            }
        }, "writeFile");
}

Buffer readFileSync(const std::string& path) {
    const UniqueFd f(openRetry(path.c_str(), O_RDONLY));
    if (!f) throw Error::uv(errno, "open", path);
    std::vector<std::uint8_t> bytes;
    struct stat st{};
    if (::fstat(f.get(), &st) == 0 && st.st_size > 0) bytes.reserve(static_cast<std::size_t>(st.st_size));
    std::uint8_t chunk[64 * 1024];
    for (;;) {
        const ssize_t n = ::read(f.get(), chunk, sizeof chunk);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw Error::uv(errno, "read");
        }
        if (n == 0) break;
        bytes.insert(bytes.end(), chunk, chunk + n);
    }
    return Buffer(std::move(bytes));
}

// libuv's uv_fs_mkdir one component at a time, as Node's MKDirpSync: an existing
// component is fine only if it is a directory. A regular file in its place fails with
// EEXIST when it is the path asked for, ENOTDIR when it is a parent; "" is ENOENT.
// The error names the whole path, as Node's does.
void mkdirSync(const std::string& path) {
    if (path.empty()) throw Error::uv(ENOENT, "mkdir", path);
    for (std::size_t pos = 1; pos <= path.size(); ++pos) {
        if (pos != path.size() && path[pos] != '/') continue;
        const std::string prefix = path.substr(0, pos);
        if (::mkdir(prefix.c_str(), 0777) == 0) continue;  // mkdir(2)
        const int err = errno;
        if (err != EEXIST) throw Error::uv(err, "mkdir", path);
        struct stat st{};
        if (::stat(prefix.c_str(), &st) != 0) throw Error::uv(errno, "mkdir", path);  // stat(2)
        if (S_ISDIR(st.st_mode)) continue;
        const bool last = path.find_first_not_of('/', pos) == std::string::npos;
        throw Error::uv(last ? EEXIST : ENOTDIR, "mkdir", path);
    }
}

} // namespace kit::fs
