// fs.cpp: file streams and whole-file calls on the thread pool (see fs.hpp).
#include "fs.hpp"

#include "trace.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
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

ReadStream::ReadStream(Loop& loop, std::string path, ReadStreamOptions options)
    : Handle(loop, "readstream"), EventEmitter("ReadStream"), path_(std::move(path)), options_(std::move(options)) {
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

std::shared_ptr<ReadStream> createReadStream(std::string path, ReadStreamOptions options) {
    Loop& loop = Loop::getDefault();
    auto stream = std::make_shared<ReadStream>(loop, std::move(path), std::move(options));
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
        [result, fd = fd_.get(), afterRead = options_.afterRead] {
            // Only a regular file is read ahead: its read(2) never waits for data. A
            // pipe, a FIFO or a terminal gets one read per job, as in Node: a second
            // read(2) there would hold the first chunk back until the writer writes
            // again (and a writer waiting for that chunk would wait forever).
            //
            // A stream with an afterRead hook reads one chunk per job too: the hook's
            // work dwarfs a hand-off (lesson 06's SHA-256, ~45 us per 64 KiB against a
            // few us), and each chunk then reaches the loop as soon as it is hashed, so
            // the socket gets a steady 64 KiB at a time instead of 256 KiB bursts after
            // waits. Lesson 06's framed 1 GiB upload: median 1.85 s against 2.17 s with
            // four reads per job (5 rounds each, same binaries, docs/performance.md).
            struct stat st {};
            const bool regular = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
            const int reads = regular && !afterRead ? kReadsPerJob : 1;
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
                if (afterRead) afterRead({bytes.get(), static_cast<std::size_t>(n)});
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
// WriteStream: open, then write every queued chunk with one writev(2) per job.
// ===========================================================================

WriteStream::WriteStream(Loop& loop, std::string path, WriteStreamOptions options)
    : Handle(loop, "writestream"), EventEmitter("WriteStream"), path_(std::move(path)), options_(options) {
    setTraceId(handleId());
}

WriteStream::~WriteStream() = default;  // fd_ (a UniqueFd) closes the file if still open

std::shared_ptr<WriteStream> createWriteStream(std::string path, WriteStreamOptions options) {
    Loop& loop = Loop::getDefault();
    auto stream = std::make_shared<WriteStream>(loop, std::move(path), options);
    loop.adopt(stream);
    stream->start();
    return stream;
}

void WriteStream::start() {
    struct Result {
        UniqueFd fd;  // closed here if the stream is gone before it takes it
        int err = 0;
    };
    auto result = std::make_shared<Result>();
    auto self = std::static_pointer_cast<WriteStream>(shared_from_this());
    busy_ = true;
    // open(2) on the pool, as Node's fs.open: the flags decide whether an existing file
    // is truncated (Node's 'w') or refused (O_EXCL: EEXIST).
    loop().queueWork(
        [result, path = path_, flags = options_.flags, mode = options_.mode] {
            result->fd.reset(openRetry(path.c_str(), flags, mode));
            if (!result->fd) result->err = errno;
        },
        [self, result] {
            self->busy_ = false;
            if (self->destroyed_) {  // destroy() waited for the open: close what it opened
                self->closeHandle();
                return;
            }
            if (result->err != 0) {
                self->fail(Error::uv(result->err, "open", self->path_));
                return;
            }
            self->fd_ = std::move(result->fd);
            self->emit("open", self->fd_.get());
            self->emit("ready");
            if (self->destroyed_) {
                self->fd_.reset();
                self->closeHandle();
                return;
            }
            if (!self->queue_.empty()) self->startWrite();
            else if (self->ending_) self->finishUp();
        });
}

bool WriteStream::write(const Buffer& chunk) {
    if (ending_ || destroyed_ || failed_) {
        // Node: 'error' with ERR_STREAM_WRITE_AFTER_END (or ERR_STREAM_DESTROYED), on
        // the next tick; the chunk is dropped.
        if (!destroyed_ && !failed_) {
            auto self = std::static_pointer_cast<WriteStream>(shared_from_this());
            loop().nextTick([self] {
                self->fail(Error::plain("write after end", "ERR_STREAM_WRITE_AFTER_END"));
            });
        }
        return false;
    }
    queue_.push_back(chunk);  // a Buffer is a view: the bytes are not copied
    queued_ += chunk.size();
    if (fd_ && !busy_) startWrite();
    // Node's Writable.write: true while the buffered length is under highWaterMark.
    const bool ok = queued_ < options_.highWaterMark;
    if (!ok) needDrain_ = true;
    return ok;
}

// One pool job writes every chunk queued so far: writev(2) of up to IOV_MAX chunks at
// a time, resumed after partial writes and EINTR (a regular file's write(2) blocks
// until it is done, or fails: ENOSPC, EDQUOT, EIO, EFBIG).
void WriteStream::startWrite() {
    struct Result {
        std::vector<Buffer> chunks;
        std::uint64_t written = 0;
        int err = 0;
    };
    auto result = std::make_shared<Result>();
    result->chunks.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.end()));
    queue_.clear();
    auto self = std::static_pointer_cast<WriteStream>(shared_from_this());
    busy_ = true;
    loop().queueWork(
        [result, fd = fd_.get(), before = options_.beforeWrite] {
            if (before) {
                for (const auto& c : result->chunks) before(c.bytes());
            }
            std::vector<iovec> iov;
            iov.reserve(std::min<std::size_t>(result->chunks.size(), IOV_MAX));
            std::size_t next = 0;      // first chunk not yet (fully) written
            std::size_t offset = 0;    // bytes of chunks[next] already written
            while (next < result->chunks.size()) {
                iov.clear();
                for (std::size_t i = next; i < result->chunks.size() && iov.size() < IOV_MAX; ++i) {
                    const auto& c = result->chunks[i];
                    const std::size_t skip = i == next ? offset : 0;
                    // writev(2) takes non-const pointers; it only reads them.
                    iov.push_back({const_cast<std::uint8_t*>(c.data()) + skip, c.size() - skip});
                }
                const ssize_t n = ::writev(fd, iov.data(), static_cast<int>(iov.size()));
                if (n < 0) {
                    if (errno == EINTR) continue;
                    result->err = errno;
                    return;
                }
                result->written += static_cast<std::uint64_t>(n);
                auto left = static_cast<std::size_t>(n);
                while (next < result->chunks.size() && left >= result->chunks[next].size() - offset) {
                    left -= result->chunks[next].size() - offset;
                    offset = 0;
                    ++next;
                }
                offset += left;
            }
        },
        [self, result] {
            self->busy_ = false;
            self->bytesWritten_ += result->written;
            std::size_t taken = 0;
            for (const auto& c : result->chunks) taken += c.size();
            self->queued_ -= taken;
            // Let the written chunks go now, before 'drain' resumes the producer: a
            // socket's read arena starts again from its start only when none of its
            // chunks is alive (buffer.hpp).
            result->chunks.clear();
            if (self->destroyed_) {
                self->fd_.reset();
                self->closeHandle();
                return;
            }
            if (result->err != 0) {
                // ENOSPC: no space left on device, write. The file keeps what was
                // written before: the program decides (lesson 06 unlinks it).
                self->fail(Error::uv(result->err, "write"));
                return;
            }
            if (!self->queue_.empty()) {
                self->startWrite();  // chunks that came while this job ran
            } else if (self->ending_) {
                self->finishUp();
            }
            // Node emits 'drain' when the buffer is empty again after a write() that
            // returned false; here "empty" is "under the mark", counted with the chunks
            // the new job is writing, so the producer refills while the pool writes.
            if (self->needDrain_ && self->queued_ < self->options_.highWaterMark && !self->failed_) {
                self->needDrain_ = false;
                self->emit("drain");
            }
        });
}

void WriteStream::end() {
    if (ending_ || destroyed_ || failed_) return;
    ending_ = true;
    if (fd_ && !busy_ && queue_.empty()) finishUp();
    // otherwise the open or write in flight calls finishUp() when it completes
}

// The end: fsync(2) if asked (the data is on the disk, not only in the page cache,
// before 'finish' says so), then close(2), both on the pool. close(2) can report a
// delayed write error (NFS, some quota set-ups): it counts as a failure too.
void WriteStream::finishUp() {
    if (finishing_) return;
    finishing_ = true;
    struct Result {
        int err = 0;
        const char* syscall = "fsync";
    };
    auto result = std::make_shared<Result>();
    auto self = std::static_pointer_cast<WriteStream>(shared_from_this());
    busy_ = true;
    loop().queueWork(
        [result, fd = fd_.release(), flush = options_.flush] {
            if (flush && ::fsync(fd) != 0) result->err = errno;
            if (::close(fd) != 0 && result->err == 0 && errno != EINTR) {
                result->err = errno;
                result->syscall = "close";
            }
        },
        [self, result] {
            self->busy_ = false;
            if (self->destroyed_) {
                self->closeHandle();
                return;
            }
            if (result->err != 0) {
                self->fail(Error::uv(result->err, result->syscall));
                return;
            }
            self->emit("finish");
            self->closeHandle();  // then 'close', as Node's autoClose
        });
}

void WriteStream::fail(const Error& err) {
    if (failed_ || destroyed_) return;
    failed_ = true;
    queue_.clear();
    emit("error", err);
    if (busy_) {
        destroyed_ = true;  // the job in flight closes the handle when it returns
        return;
    }
    fd_.reset();
    closeHandle();
}

void WriteStream::onceDrain(std::function<void()> fn) { once("drain", [fn = std::move(fn)] { fn(); }); }

void WriteStream::destroy() {
    if (destroyed_) return;
    destroyed_ = true;
    queue_.clear();
    if (busy_) return;  // the job in flight uses fd_: it closes when it completes
    fd_.reset();
    closeHandle();
}

void WriteStream::onClose() { emit("close"); }

// ===========================================================================
// Small calls on the pool: rename without replacing, fsync of a directory, chmod,
// unlink, stat.
// ===========================================================================

namespace {

// Run @p job (returns 0 or an errno, and the system call's name) on the pool; report a
// Node-style error naming @p path on the loop thread.
void runJob(std::function<int(const char*& syscall)> job, std::string path, Callback cb) {
    struct Result {
        int err = 0;
        const char* syscall = "";
    };
    auto result = std::make_shared<Result>();
    Loop::getDefault().queueWork([result, job = std::move(job)] { result->err = job(result->syscall); },
                                 [result, path = std::move(path), cb = std::move(cb)] {
                                     if (result->err == 0) cb(std::nullopt);
                                     else cb(Error::uv(result->err, result->syscall, path));
                                 });
}

} // namespace

void renameNoReplace(std::string from, std::string to, Callback cb) {
    runJob(
        [from, to](const char*& syscall) {
            syscall = "rename";
            // renameat2(2), Linux 3.15 and glibc 2.28: the check for an existing target
            // and the rename are one atomic step, so two uploads can never take one name.
            if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return 0;
            if (errno != EINVAL && errno != ENOSYS) return errno;
            // A file system without RENAME_NOREPLACE: link(2) fails with EEXIST too,
            // then unlink(2) drops the temporary name.
            syscall = "link";
            if (::link(from.c_str(), to.c_str()) != 0) return errno;
            syscall = "unlink";
            return ::unlink(from.c_str()) == 0 ? 0 : errno;
        },
        from, std::move(cb));
}

void fsyncDir(std::string path, Callback cb) {
    runJob(
        [path](const char*& syscall) {
            syscall = "open";
            const UniqueFd dir(openRetry(path.c_str(), O_RDONLY | O_DIRECTORY));
            if (!dir) return errno;
            syscall = "fsync";
            return ::fsync(dir.get()) == 0 ? 0 : errno;
        },
        path, std::move(cb));
}

void chmod(std::string path, mode_t mode, Callback cb) {
    runJob(
        [path, mode](const char*& syscall) {
            syscall = "chmod";
            return ::chmod(path.c_str(), mode) == 0 ? 0 : errno;
        },
        path, std::move(cb));
}

void unlink(std::string path, Callback cb) {
    runJob(
        [path](const char*& syscall) {
            syscall = "unlink";
            return ::unlink(path.c_str()) == 0 ? 0 : errno;
        },
        path, std::move(cb));
}

void unlinkSync(const std::string& path) {
    if (::unlink(path.c_str()) != 0) throw Error::uv(errno, "unlink", path);
}

void stat(std::string path, std::function<void(const std::optional<Error>& err, const Stats& st)> cb) {
    struct Result {
        int err = 0;
        Stats st;
    };
    auto result = std::make_shared<Result>();
    Loop::getDefault().queueWork(
        [result, path] {
            struct stat st {};
            if (::stat(path.c_str(), &st) != 0) {  // stat(2)
                result->err = errno;
                return;
            }
            result->st = {static_cast<std::uint64_t>(st.st_size), S_ISREG(st.st_mode), S_ISDIR(st.st_mode)};
        },
        [result, path, cb = std::move(cb)] {
            if (result->err != 0) cb(Error::uv(result->err, "stat", path), result->st);
            else cb(std::nullopt, result->st);
        });
}

std::vector<std::string> readdirSync(const std::string& path) {
    const int fd = openRetry(path.c_str(), O_RDONLY | O_DIRECTORY);
    if (fd < 0) throw Error::uv(errno, "scandir", path);
    DIR* dir = ::fdopendir(fd);  // from now on closedir(3) closes fd
    if (dir == nullptr) {
        const int err = errno;
        ::close(fd);
        throw Error::uv(err, "scandir", path);
    }
    std::vector<std::string> names;
    errno = 0;
    while (const dirent* e = ::readdir(dir)) {  // readdir(3) over getdents64(2)
        const std::string_view name = e->d_name;
        if (name != "." && name != "..") names.emplace_back(name);
    }
    const int err = errno;
    ::closedir(dir);
    if (err != 0) throw Error::uv(err, "scandir", path);
    return names;
}

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
