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
/// a FIFO gets one per job, as in Node: a read there waits for its writer), while the loop sends the
/// chunks read before, and hands them over with one wake-up. The chunks, their order,
/// `data`/`end`/`error`, and pause/resume are Node's; only fewer hand-offs happen, and
/// at most 2 x `kReadsPerJob` chunks (512 KiB) wait in the stream instead of Node's one.
/// Errors (ENOENT...) are emitted on `error` followed by `close`, with Node's message:
/// `` ENOENT: no such file or directory, open './client_files/client.txt' ``.
///
/// What it leaves out: options (start/end/encoding/highWaterMark), write streams,
/// promises, every other fs function.
#pragma once

#include "buffer.hpp"
#include "errors.hpp"
#include "events.hpp"
#include "fd.hpp"
#include "loop.hpp"
#include "stream.hpp"

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>

/// @brief Node's `fs` module: the file calls of the lessons, run on the thread pool.
namespace kit::fs {

/// @brief A file read in chunks (Node's `fs.ReadStream`).
class ReadStream
    : public Handle,
      public EventEmitter<Event<"open", int>, Event<"ready">, Event<"data", Buffer>, Event<"end">,
                          Event<"close">, Event<"error", Error>> {
public:
    /// @brief Use `createReadStream`.
    ReadStream(Loop& loop, std::string path);
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
    friend std::shared_ptr<ReadStream> createReadStream(std::string path);
    void start();
    void readNext();
    void startRead();
    void onClose() override;
    void releaseListeners() override { removeAllListeners(); dest_.reset(); }
    void closeFile();

    std::string path_;
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
std::shared_ptr<ReadStream> createReadStream(std::string path);

/// @brief Callback of `writeFile`: empty on success, the error otherwise.
using WriteCallback = std::function<void(const std::optional<Error>& err)>;

/// @brief `fs.writeFile(path, data, cb)`: create or truncate @p path and write @p data
/// on the thread pool; @p cb runs on the loop thread. Like Node, a failed write can
/// leave a partial file behind.
void writeFile(std::string path, Buffer data, WriteCallback cb);

/// @brief `fs.readFileSync(path)`: the whole file; throws `Error` (ENOENT...) on failure.
Buffer readFileSync(const std::string& path);

/// @brief `fs.mkdirSync(path, {recursive: true})`: create a directory and its parents.
/// Existing directories are fine; throws `Error` on failure: EEXIST when @p path is an
/// existing file that is not a directory, ENOTDIR when a parent is one, ENOENT for "".
void mkdirSync(const std::string& path);

} // namespace kit::fs
