// threadpool_test.cpp: the thread pool behind Loop::queueWork, as libuv's behind
// uv_queue_work (which Node uses for fs, dns.lookup, crypto.pbkdf2, zlib): the job runs
// on a worker thread, its completion on the loop thread, and a pending job keeps the
// loop alive.
#include "test_support.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <string>
#include <thread>

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {
// Set or unset an environment variable for one scope, then put back what was there.
class EnvOverride {
public:
    EnvOverride(const char* name, const char* value) : name_(name) {
        if (const char* old = std::getenv(name)) old_ = old;
        if (value) ::setenv(name, value, 1);
        else ::unsetenv(name);
    }
    ~EnvOverride() {
        if (old_) ::setenv(name_, old_->c_str(), 1);
        else ::unsetenv(name_);
    }
    EnvOverride(const EnvOverride&) = delete;
    EnvOverride& operator=(const EnvOverride&) = delete;

private:
    const char* name_;
    std::optional<std::string> old_;
};
} // namespace

TEST_CASE("a thread-pool job runs on another thread and its completion on the loop thread",
          "[threadpool]") {
    const auto loopThread = std::this_thread::get_id();
    std::thread::id jobThread, completionThread;
    kit::Loop::getDefault().queueWork([&] { jobThread = std::this_thread::get_id(); },
                                      [&] { completionThread = std::this_thread::get_id(); });
    kit::Loop::getDefault().run();  // returns only after the completion: the job kept it alive
    REQUIRE(jobThread != std::thread::id());
    REQUIRE(jobThread != loopThread);
    REQUIRE(completionThread == loopThread);
    test::requireIdle();
}

TEST_CASE("the pool has 4 threads by default and UV_THREADPOOL_SIZE changes that", "[threadpool]") {
    // libuv (src/threadpool.c, init_threads): 4 workers unless UV_THREADPOOL_SIZE is set;
    // at most 1024 (MAX_THREADPOOL_SIZE). The size is read once, when the pool starts.
    {
        EnvOverride env("UV_THREADPOOL_SIZE", nullptr);
        REQUIRE(kit::ThreadPool::defaultSize() == 4);
    }
    {
        EnvOverride env("UV_THREADPOOL_SIZE", "8");
        REQUIRE(kit::ThreadPool::defaultSize() == 8);
    }
    {
        EnvOverride env("UV_THREADPOOL_SIZE", "1");
        REQUIRE(kit::ThreadPool::defaultSize() == 1);
    }
    {
        EnvOverride env("UV_THREADPOOL_SIZE", "5000");
        REQUIRE(kit::ThreadPool::defaultSize() == 1024);
    }
    {
        EnvOverride env("UV_THREADPOOL_SIZE", "0");  // libuv: 0 becomes 1
        REQUIRE(kit::ThreadPool::defaultSize() == 1);
    }
    {
        EnvOverride env("UV_THREADPOOL_SIZE", "-3");  // negative: 1024, as in libuv
        REQUIRE(kit::ThreadPool::defaultSize() == 1024);
    }
    test::requireIdle();
}

TEST_CASE("8 jobs of 50 ms on the default pool run at most 4 at a time and finish in 2 rounds",
          "[threadpool]") {
    // node -e "const c=require('crypto'); const t0=Date.now(); let d=0; for (let i=0;i<8;i++)
    //   c.pbkdf2('x','s',300000,32,'sha256',()=>{if(++d===8)console.log(Date.now()-t0)})"
    //   ->  about 4x one job on this 2-core machine; with 4 idle cores, 2 rounds.
    // Measured here without timing races: the highest number of jobs running at once.
    auto& loop = kit::Loop::getDefault();
    const unsigned poolSize = loop.threadPoolSize();
    if (std::getenv("UV_THREADPOOL_SIZE") == nullptr) REQUIRE(poolSize == 4);

    std::atomic<int> running{0}, maxRunning{0};
    int completed = 0;
    const auto start = Clock::now();
    for (int i = 0; i < 8; ++i) {
        loop.queueWork(
            [&] {
                const int now = ++running;
                int seen = maxRunning.load();
                while (now > seen && !maxRunning.compare_exchange_weak(seen, now)) {}
                // Let the round's jobs meet (for at most 2 s), so that a slow thread
                // start on a busy machine cannot hide a worker: with fewer workers
                // than poolSize this waits out the deadline and the maximum is lower.
                const auto deadline = Clock::now() + 2s;
                while (running.load() < static_cast<int>(poolSize) && Clock::now() < deadline)
                    std::this_thread::sleep_for(1ms);
                std::this_thread::sleep_for(50ms);  // a blocking call, as a disk read is
                --running;
            },
            [&] { ++completed; });
    }
    loop.run();
    const auto elapsed = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    REQUIRE(completed == 8);
    REQUIRE(maxRunning.load() == static_cast<int>(std::min(poolSize, 8u)));
    // 8 jobs on 4 threads cannot take less than 2 rounds of 50 ms.
    REQUIRE(elapsed >= 99.0);
    test::requireIdle();
}

TEST_CASE("completions of several jobs each run on the loop thread, one at a time", "[threadpool]") {
    const auto loopThread = std::this_thread::get_id();
    int onLoopThread = 0;
    int inCompletion = 0, overlap = 0;
    for (int i = 0; i < 16; ++i) {
        kit::Loop::getDefault().queueWork([] { std::this_thread::sleep_for(1ms); }, [&] {
            if (++inCompletion > 1) ++overlap;
            if (std::this_thread::get_id() == loopThread) ++onLoopThread;
            --inCompletion;
        });
    }
    kit::Loop::getDefault().run();
    REQUIRE(onLoopThread == 16);
    REQUIRE(overlap == 0);
    test::requireIdle();
}
