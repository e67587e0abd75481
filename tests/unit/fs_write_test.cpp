// fs_write_test.cpp: fs::WriteStream (Node's fs.createWriteStream), the ReadStream's
// afterRead (the twin of the WriteStream's beforeWrite), and the small calls
// lesson 06 makes a file appear with: renameNoReplace, fsyncDir, chmod, unlink, stat,
// readdirSync. Real files in $TMPDIR; the disk-full case uses /dev/full, whose write(2)
// always fails with ENOSPC.
#include "test_support.hpp"

#include "fs.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <span>
#include <string>
#include <thread>
#include <vector>

using namespace kit;

namespace {

std::string tempPath(const std::string& name) {
    const char* dir = std::getenv("TMPDIR");
    return std::string(dir ? dir : "/tmp") + "/kit-fsw-test-" + std::to_string(::getpid()) + "-" + name;
}

Buffer pattern(std::size_t n, int seed) {
    std::vector<std::uint8_t> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>(i * 31 + seed);
    return Buffer(std::move(v));
}

} // namespace

TEST_CASE("a WriteStream writes every chunk in order, then emits finish and close", "[fs]") {
    const std::string path = tempPath("order.bin");
    test::Recorder rec;
    std::vector<Buffer> chunks;
    for (int i = 0; i < 50; ++i) chunks.push_back(pattern(10000 + static_cast<std::size_t>(i), i));
    auto ws = fs::createWriteStream(path);
    ws->on("open", [&](int) { rec("open"); });
    ws->on("finish", rec.note("finish"));
    ws->on("close", rec.note("close"));
    for (const auto& c : chunks) ws->write(c);
    ws->end();
    Loop::getDefault().run();
    CHECK(rec.seen == std::vector<std::string>{"open", "finish", "close"});
    CHECK(fs::readFileSync(path) == Buffer::concat(std::move(chunks)));
    std::remove(path.c_str());
    test::requireIdle();
}

TEST_CASE("WriteStream.write returns false past highWaterMark, and drain follows", "[fs]") {
    const std::string path = tempPath("drain.bin");
    auto ws = fs::createWriteStream(path, {.highWaterMark = 1000});
    CHECK(ws->write(pattern(500, 1)));
    CHECK_FALSE(ws->write(pattern(600, 2)));
    CHECK(ws->writableNeedDrain());
    int drains = 0;
    ws->on("drain", [&] {
        ++drains;
        ws->end();
    });
    Loop::getDefault().run();
    CHECK(drains == 1);
    CHECK(ws->bytesWritten() == 1100);
    std::remove(path.c_str());
    test::requireIdle();
}

TEST_CASE("beforeWrite sees every chunk, in order, off the loop thread, before finish", "[fs]") {
    const std::string path = tempPath("before.bin");
    std::vector<Buffer> chunks;
    for (int i = 0; i < 40; ++i) chunks.push_back(pattern(3000 + static_cast<std::size_t>(i), i));
    // Touched only by the pool jobs (which never overlap), then read after 'finish'.
    auto seen = std::make_shared<std::vector<std::uint8_t>>();
    auto onLoop = std::make_shared<int>(0);
    const auto loopThread = std::this_thread::get_id();
    fs::WriteStreamOptions options;
    options.beforeWrite = [seen, onLoop, loopThread](std::span<const std::uint8_t> bytes) {
        if (std::this_thread::get_id() == loopThread) ++*onLoop;
        seen->insert(seen->end(), bytes.begin(), bytes.end());
    };
    auto ws = fs::createWriteStream(path, std::move(options));
    std::size_t seenAtFinish = 0;
    ws->on("finish", [&] { seenAtFinish = seen->size(); });
    for (const auto& c : chunks) ws->write(c);
    ws->end();
    Loop::getDefault().run();
    const Buffer all = Buffer::concat(std::move(chunks));
    CHECK(seenAtFinish == all.size());
    CHECK(Buffer(std::vector<std::uint8_t>(*seen)) == all);
    CHECK(fs::readFileSync(path) == all);
    CHECK(*onLoop == 0);
    std::remove(path.c_str());
    test::requireIdle();
}

TEST_CASE("afterRead sees every chunk, in order, off the loop thread, before its data", "[fs]") {
    const std::string path = tempPath("after.bin");
    // Several pool jobs' worth (4 reads of 64 KiB each) and a short last chunk.
    const Buffer all = pattern(9 * fs::ReadStream::kChunkSize + 1000, 7);
    bool written = false;
    fs::writeFile(path, all, [&](const std::optional<Error>& err) { written = !err; });
    Loop::getDefault().run();
    REQUIRE(written);
    // The bytes are appended by the pool jobs (which never overlap) and read after
    // 'end'; the count is atomic because 'data' reads it while the next job runs.
    auto seen = std::make_shared<std::vector<std::uint8_t>>();
    auto counted = std::make_shared<std::atomic<std::size_t>>(0);
    auto onLoop = std::make_shared<std::atomic<int>>(0);
    const auto loopThread = std::this_thread::get_id();
    fs::ReadStreamOptions options;
    options.afterRead = [seen, counted, onLoop, loopThread](std::span<const std::uint8_t> bytes) {
        if (std::this_thread::get_id() == loopThread) ++*onLoop;
        seen->insert(seen->end(), bytes.begin(), bytes.end());
        *counted += bytes.size();
    };
    auto rs = fs::createReadStream(path, std::move(options));
    std::size_t delivered = 0;
    int dataBeforeItsRead = 0;
    bool ended = false;
    rs->on("data", [&](const Buffer& chunk) {
        delivered += chunk.size();
        if (counted->load() < delivered) ++dataBeforeItsRead;
    });
    rs->on("end", [&] { ended = true; });
    Loop::getDefault().run();
    REQUIRE(ended);
    CHECK(delivered == all.size());
    CHECK(dataBeforeItsRead == 0);
    CHECK(Buffer(std::vector<std::uint8_t>(*seen)) == all);
    CHECK(*onLoop == 0);
    std::remove(path.c_str());
    test::requireIdle();
}

TEST_CASE("with afterRead, each chunk is handed over as soon as its hook has run", "[fs]") {
    // One chunk per pool job: when a chunk's 'data' comes, the hook has run for it and
    // at most for the next one (the job started just before that 'data'), never for
    // the three more that a job of kReadsPerJob reads would hold back.
    const std::string path = tempPath("after-steady.bin");
    const Buffer all = pattern(12 * fs::ReadStream::kChunkSize, 3);
    bool written = false;
    fs::writeFile(path, all, [&](const std::optional<Error>& err) { written = !err; });
    Loop::getDefault().run();
    REQUIRE(written);
    auto hooked = std::make_shared<std::atomic<std::size_t>>(0);
    fs::ReadStreamOptions options;
    options.afterRead = [hooked](std::span<const std::uint8_t> bytes) { *hooked += bytes.size(); };
    auto rs = fs::createReadStream(path, std::move(options));
    std::size_t delivered = 0, mostAhead = 0;
    rs->on("data", [&](const Buffer& chunk) {
        delivered += chunk.size();
        mostAhead = std::max(mostAhead, hooked->load() - delivered);
    });
    bool ended = false;
    rs->on("end", [&] { ended = true; });
    Loop::getDefault().run();
    REQUIRE(ended);
    CHECK(delivered == all.size());
    CHECK(mostAhead <= fs::ReadStream::kChunkSize);
    std::remove(path.c_str());
    test::requireIdle();
}

TEST_CASE("a WriteStream with O_EXCL on an existing file emits EEXIST with the path, then close", "[fs]") {
    const std::string path = tempPath("excl.bin");
    bool created = false;
    fs::writeFile(path, Buffer::from("x"), [&](const std::optional<Error>& err) { created = !err; });
    Loop::getDefault().run();
    REQUIRE(created);
    std::optional<Error> seen;
    bool closed = false;
    auto ws = fs::createWriteStream(path, {.flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, .mode = 0600});
    ws->on("error", [&](const Error& e) { seen = e; });
    ws->on("close", [&] { closed = true; });
    ws->write(Buffer::from("never"));
    Loop::getDefault().run();
    REQUIRE(seen);
    CHECK(seen->code == "EEXIST");
    CHECK(seen->message == "EEXIST: file already exists, open '" + path + "'");
    CHECK(closed);
    CHECK(fs::readFileSync(path) == Buffer::from("x"));
    std::remove(path.c_str());
    test::requireIdle();
}

TEST_CASE("a write that fails with ENOSPC emits error then close, and no finish", "[fs]") {
    test::Recorder rec;
    auto ws = fs::createWriteStream("/dev/full", {.flags = O_WRONLY});
    ws->on("error", [&](const Error& e) { rec("error " + e.code + " " + e.syscall); });
    ws->on("finish", rec.note("finish"));
    ws->on("close", rec.note("close"));
    ws->write(pattern(4096, 3));
    ws->end();
    Loop::getDefault().run();
    CHECK(rec.seen == std::vector<std::string>{"error ENOSPC write", "close"});
    test::requireIdle();
}

TEST_CASE("WriteStream.destroy before the open completes emits close only, and closes the file", "[fs]") {
    const std::string path = tempPath("destroy.bin");
    test::Recorder rec;
    auto ws = fs::createWriteStream(path, {.flush = true});
    ws->on("finish", rec.note("finish"));
    ws->on("close", rec.note("close"));
    ws->write(pattern(100, 4));
    ws->destroy();
    Loop::getDefault().run();
    CHECK(rec.seen == std::vector<std::string>{"close"});
    std::remove(path.c_str());
    test::requireIdle();
}

TEST_CASE("renameNoReplace moves a file, and refuses with EEXIST when the target exists", "[fs]") {
    const std::string a = tempPath("rn-a"), b = tempPath("rn-b"), c = tempPath("rn-c");
    int made = 0;
    for (const auto& [p, text] : {std::pair{a, "A"}, std::pair{b, "B"}})
        fs::writeFile(p, Buffer::from(text), [&](const std::optional<Error>& err) { made += err ? 0 : 1; });
    Loop::getDefault().run();
    REQUIRE(made == 2);
    std::optional<Error> first, second = Error{};
    // One after the other: submitted together, the pool may run a -> c first, and
    // a -> b then fails with ENOENT instead (seen once in make test-epoll).
    fs::renameNoReplace(a, b, [&](const std::optional<Error>& err) {
        first = err;
        fs::renameNoReplace(a, c, [&](const std::optional<Error>& err2) { second = err2; });
    });
    Loop::getDefault().run();
    REQUIRE(first);
    CHECK(first->code == "EEXIST");
    CHECK_FALSE(second);
    CHECK(fs::readFileSync(b) == Buffer::from("B"));
    CHECK(fs::readFileSync(c) == Buffer::from("A"));
    bool unlinked = false, dirSynced = false;
    fs::unlink(c, [&](const std::optional<Error>& err) { unlinked = !err; });
    fs::fsyncDir(std::string(std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp"),
                 [&](const std::optional<Error>& err) { dirSynced = !err; });
    Loop::getDefault().run();
    CHECK(unlinked);
    CHECK(dirSynced);
    fs::unlinkSync(b);
    CHECK_THROWS_AS(fs::unlinkSync(b), Error);
    test::requireIdle();
}

TEST_CASE("stat gives the size; chmod changes the mode; readdirSync lists the names", "[fs]") {
    const std::string dir = tempPath("dir");
    fs::mkdirSync(dir);
    const std::string file = dir + "/f.bin";
    fs::writeFile(file, pattern(1234, 5), [](const std::optional<Error>&) {});
    Loop::getDefault().run();
    fs::Stats st;
    std::optional<Error> statErr, chmodErr, missing;
    fs::stat(file, [&](const std::optional<Error>& err, const fs::Stats& s) {
        statErr = err;
        st = s;
    });
    fs::chmod(file, 0600, [&](const std::optional<Error>& err) { chmodErr = err; });
    fs::stat(dir + "/nope", [&](const std::optional<Error>& err, const fs::Stats&) { missing = err; });
    Loop::getDefault().run();
    CHECK_FALSE(statErr);
    CHECK(st.size == 1234);
    CHECK(st.isFile);
    CHECK_FALSE(chmodErr);
    struct stat raw {};
    REQUIRE(::stat(file.c_str(), &raw) == 0);
    CHECK((raw.st_mode & 0777) == 0600);
    REQUIRE(missing);
    CHECK(missing->message == "ENOENT: no such file or directory, stat '" + dir + "/nope'");
    CHECK(fs::readdirSync(dir) == std::vector<std::string>{"f.bin"});
    fs::unlinkSync(file);
    ::rmdir(dir.c_str());
    CHECK_THROWS_AS(fs::readdirSync(dir), Error);
    test::requireIdle();
}
