/// @file fs.hpp
/// @brief `fs.createReadStream`, `fs.writeFile`, `fs.readFileSync`, `fs.mkdirSync`.
///
/// Mirrors Node's `fs`: file system calls block (there is no readiness for regular
/// files in poll(2)), so Node runs them on libuv's thread pool and delivers the result
/// on the loop thread. The kit does the same with `Loop::queueWork`: open(2), read(2)
/// and write(2) run on a pool thread, the callback runs on the loop. `readFileSync`
/// blocks the loop, exactly as in Node.
///
/// A ReadStream opens the file (`open`, then `ready`), reads 64 KiB chunks (`data`),
/// then emits `end` and `close`. `pause()` stops `data` at once (the read job in
/// flight finishes, and its chunks wait); `resume()` delivers them and reads on. `pipe(dest)` wires backpressure as stream.hpp describes.
///
/// **Read-ahead.** Node asks libuv for one 64 KiB read(2) at a time (`uv_fs_read`):
/// each chunk is one job on the pool, one wake-up of a pool thread and one of the loop
/// (project issue 21 counted 33,000 context switches and 8 system calls per chunk for
/// a 1 GiB upload by lesson 02, against 2 for a plain read/write loop). On a regular
/// file, the kit's job does up to `kReadsPerJob` read(2)s of 64 KiB in a row (a pipe or
/// a FIFO gets one per job, as in Node: a read there waits for its writer, and so does a
/// stream with an `afterRead` hook: see ReadStreamOptions), while the loop sends the
/// chunks read before, and hands them over with one wake-up. The chunks, their order,
/// `data`/`end`/`error`, and pause/resume are Node's; only fewer hand-offs happen, and
/// at most 2 x `kReadsPerJob` chunks (512 KiB) wait in the stream instead of Node's one.
/// Errors (ENOENT...) are emitted on `error` followed by `close`, with Node's message:
/// `` ENOENT: no such file or directory, open './client_files/client.txt' ``.
///
/// A WriteStream (`fs.createWriteStream`, lesson 06) is the other direction: `write()`
/// queues a chunk and returns false once `highWaterMark` bytes wait (then `drain`
/// follows when they are written), `end()` writes what is left, optionally fsync(2)s
/// (Node's `flush` option), closes, and emits `finish` then `close`. The open(2) flags
/// and mode are options, so a program can ask for `O_CREAT|O_EXCL|O_NOFOLLOW` (a
/// temporary file nobody else can have made). Writes run on the pool; one job writes
/// every chunk queued so far with writev(2), so a burst of small chunks costs one
/// hand-off, not one per chunk (Node's `_writev` does the same with its buffered
/// chunks). A failed write (ENOSPC, EDQUOT, EIO) emits `error` then `close`, and no
/// `finish`.
///
/// The small asynchronous calls lesson 06 needs to make a file appear atomically run
/// on the pool too: `renameNoReplace` (renameat2(2) with RENAME_NOREPLACE: never
/// overwrite), `fsyncDir` (make a rename durable), `chmod`, `unlink`, `stat`; and
/// `readdirSync`/`unlinkSync` for start-up clean-up.
///
/// What it leaves out: read options (start/end/encoding/highWaterMark), write stream
/// options other than flags/mode/highWaterMark/flush, `cork`, promises, every other fs
/// function.
#pragma once

#include "buffer.hpp"
#include "errors.hpp"
#include "events.hpp"
#include "fd.hpp"
#include "loop.hpp"
#include "stream.hpp"

#include <fcntl.h>
#include <sys/types.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <span>
#include <memory>
#include <optional>
#include <string>
#include <vector>

/// @brief Node's `fs` module: the file calls of the lessons, run on the thread pool.
namespace kit::fs {

/// @brief Options of `createReadStream` (none of Node's: it reads 64 KiB chunks).
struct ReadStreamOptions {
    /// @brief Not in Node: called on a pool thread with each chunk, in order, right
    /// after its read(2), for work on the bytes that should not hold up the loop (lesson
    /// 06's client computes the SHA-256 there). The calls for one stream never overlap
    /// and each comes before its chunk's `data`; the function must not touch what the
    /// loop thread uses meanwhile. The twin of WriteStreamOptions::beforeWrite. With
    /// it, each job reads one chunk (not `kReadsPerJob`): the hook's work outweighs a
    /// hand-off, and each chunk goes out as soon as its hook has run.
    std::function<void(std::span<const std::uint8_t>)> afterRead = {};
};

/// @brief A file read in chunks (Node's `fs.ReadStream`).
class ReadStream
    : public Handle,
      public EventEmitter<Event<"open", int>, Event<"ready">, Event<"data", Buffer>, Event<"end">,
                          Event<"close">, Event<"error", Error>> {
public:
    /// @brief Use `createReadStream`.
    ReadStream(Loop& loop, std::string path, ReadStreamOptions options = {});
    ~ReadStream() override;
    /// @brief Stop emitting `data` (chunks read ahead are kept for resume).
    void pause();
    /// @brief Start emitting `data` again.
    void resume();
    /// @brief Whether the stream is paused.
    bool isPaused() const { return paused_; }
    /// @brief Send every chunk to @p dest with backpressure, then `dest.end()`.
    /// @p dest must stay alive until then (a Socket does: the loop owns it).
    void pipe(std::shared_ptr<Writable> dest);
    /// @brief Close the file now; emits `close`.
    void destroy();
    /// @brief The path given to `createReadStream`.
    const std::string& path() const { return path_; }
    /// @brief Bytes delivered so far (`bytesRead`).
    std::size_t bytesRead() const { return bytesRead_; }

    /// @brief Size of each read, as Node's default highWaterMark for fs streams.
    static constexpr std::size_t kChunkSize = 64 * 1024;
    /// @brief Reads (of kChunkSize each) one pool job does before it hands them over
    /// (Node: 1). A job stops early at a short read, the end of the file or an error.
    static constexpr int kReadsPerJob = 4;

private:
    friend std::shared_ptr<ReadStream> createReadStream(std::string path, ReadStreamOptions options);
    void start();
    void readNext();
    void startRead();
    void onClose() override;
    void releaseListeners() override { removeAllListeners(); dest_.reset(); }
    void closeFile();

    std::string path_;
    ReadStreamOptions options_;
    UniqueFd fd_;  // closed by closeFile() or, at the latest, by the destructor
    bool paused_ = false;
    bool reading_ = false;     // a read is on the thread pool
    bool ended_ = false;       // 'end' emitted
    bool eofSeen_ = false;     // read(2) returned 0
    bool destroyed_ = false;
    std::deque<Buffer> held_;  // chunks read ahead, delivered in order while flowing
    std::size_t bytesRead_ = 0;
    std::shared_ptr<Writable> dest_;
};

/// @brief `fs.createReadStream(path)`: open and read the file asynchronously.
std::shared_ptr<ReadStream> createReadStream(std::string path, ReadStreamOptions options = {});

/// @brief Callback of `writeFile`: empty on success, the error otherwise.
using WriteCallback = std::function<void(const std::optional<Error>& err)>;

/// @brief `fs.writeFile(path, data, cb)`: create or truncate @p path and write @p data
/// on the thread pool; @p cb runs on the loop thread. Like Node, a failed write can
/// leave a partial file behind.
void writeFile(std::string path, Buffer data, WriteCallback cb);

/// @brief `fs.readFileSync(path)`: the whole file; throws `Error` (ENOENT...) on failure.
Buffer readFileSync(const std::string& path);

/// @brief Options of `createWriteStream` (a subset of Node's).
struct WriteStreamOptions {
    /// @brief open(2) flags; Node's default 'w' is O_WRONLY|O_CREAT|O_TRUNC. O_CLOEXEC
    /// is always added.
    int flags = O_WRONLY | O_CREAT | O_TRUNC;
    /// @brief Permissions of a created file, before the umask (Node's default 0o666).
    mode_t mode = 0666;
    /// @brief `write()` returns false once this many bytes wait (Node's default 16 KiB).
    std::size_t highWaterMark = 16 * 1024;
    /// @brief fsync(2) the file before closing it (Node 21's `flush` option).
    bool flush = false;
    /// @brief Not in Node: called on a pool thread with each chunk, in order, just
    /// before the chunk's write(2), for work on the bytes that should not hold up the
    /// loop (lesson 06 computes the SHA-256 there). The calls for one stream never
    /// overlap and all come before `finish`; the function must not touch what the loop
    /// thread uses meanwhile.
    std::function<void(std::span<const std::uint8_t>)> beforeWrite = {};
};

/// @brief A file written in chunks (Node's `fs.WriteStream`).
class WriteStream
    : public Handle,
      public Writable,
      public EventEmitter<Event<"open", int>, Event<"ready">, Event<"drain">, Event<"finish">,
                          Event<"close">, Event<"error", Error>> {
public:
    /// @brief Use `createWriteStream`.
    WriteStream(Loop& loop, std::string path, WriteStreamOptions options);
    ~WriteStream() override;
    /// @brief Queue @p chunk for writing; false once `highWaterMark` bytes or more wait
    /// (stop writing until `drain`). Chunks written before the file is open wait too.
    bool write(const Buffer& chunk) override;
    /// @brief No more writes: write what waits, fsync(2) if `flush`, close(2); then
    /// `finish` and `close`. A write after end() emits `error` (ERR_STREAM_WRITE_AFTER_END).
    void end() override;
    /// @brief Call @p fn once at the next `drain`.
    void onceDrain(std::function<void()> fn) override;
    /// @brief Stop now: queued chunks are dropped, the file is closed once the write in
    /// flight (if any) returns; emits `close` only. The file stays on disk (unlink it).
    void destroy();
    /// @brief `writeStream.bytesWritten`: bytes the kernel has accepted so far.
    std::uint64_t bytesWritten() const { return bytesWritten_; }
    /// @brief `writable.writableLength`: bytes queued, not yet written.
    std::size_t writableLength() const { return queued_; }
    /// @brief `writable.writableNeedDrain`: write() returned false and `drain` is due.
    bool writableNeedDrain() const { return needDrain_; }
    /// @brief `writeStream.pending`: the file is still being opened.
    bool pending() const { return !fd_ && !failed_ && !destroyed_; }
    /// @brief The path given to `createWriteStream`.
    const std::string& path() const { return path_; }

private:
    friend std::shared_ptr<WriteStream> createWriteStream(std::string path, WriteStreamOptions options);
    void start();
    void startWrite();
    void finishUp();
    void fail(const Error& err);
    void onClose() override;
    void releaseListeners() override { removeAllListeners(); }

    std::string path_;
    WriteStreamOptions options_;
    UniqueFd fd_;                // open between 'open' and the end (or destroy)
    std::deque<Buffer> queue_;   // chunks waiting for the next job
    std::size_t queued_ = 0;     // bytes in queue_ and in the job in flight
    std::uint64_t bytesWritten_ = 0;
    bool busy_ = false;          // a job (open, write, fsync+close) is on the pool
    bool ending_ = false;        // end() called
    bool finishing_ = false;     // the fsync+close job has started
    bool needDrain_ = false;
    bool destroyed_ = false;
    bool failed_ = false;        // 'error' emitted
};

/// @brief `fs.createWriteStream(path, options)`: open (on the pool) and write asynchronously.
std::shared_ptr<WriteStream> createWriteStream(std::string path, WriteStreamOptions options = {});

/// @brief Callback of the small asynchronous calls: empty on success, the error otherwise.
using Callback = std::function<void(const std::optional<Error>& err)>;

/// @brief Rename @p from to @p to unless @p to exists: renameat2(2) with
/// RENAME_NOREPLACE (EEXIST if it does: nothing is ever overwritten). Where the file
/// system has no RENAME_NOREPLACE (EINVAL), link(2) then unlink(2), which fail the same way.
void renameNoReplace(std::string from, std::string to, Callback cb);

/// @brief fsync(2) the directory @p path: a rename or a new name in it survives a crash.
void fsyncDir(std::string path, Callback cb);

/// @brief `fs.chmod(path, mode, cb)`.
void chmod(std::string path, mode_t mode, Callback cb);

/// @brief `fs.unlink(path, cb)`.
void unlink(std::string path, Callback cb);

/// @brief `fs.unlinkSync(path)`; throws `Error` on failure.
void unlinkSync(const std::string& path);

/// @brief What `stat` reports (a subset of Node's `fs.Stats`).
struct Stats {
    std::uint64_t size = 0;    ///< `stats.size` in bytes.
    bool isFile = false;       ///< `stats.isFile()`.
    bool isDirectory = false;  ///< `stats.isDirectory()`.
};

/// @brief `fs.stat(path, cb)`: @p cb receives the error, or none and the Stats.
void stat(std::string path, std::function<void(const std::optional<Error>& err, const Stats& st)> cb);

/// @brief `fs.readdirSync(path)`: the names in a directory (without "." and ".."),
/// in the order the kernel gives them; throws `Error` on failure.
std::vector<std::string> readdirSync(const std::string& path);

/// @brief `fs.mkdirSync(path, {recursive: true})`: create a directory and its parents.
/// Existing directories are fine; throws `Error` on failure: EEXIST when @p path is an
/// existing file that is not a directory, ENOTDIR when a parent is one, ENOENT for "".
void mkdirSync(const std::string& path);

} // namespace kit::fs
