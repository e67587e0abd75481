// Exercise 00_interval (lesson 00): a timer that repeats, then lets the program end.
//
// This is lessons/00_event_loop/main.cpp with one task added (see the TODO in Part 1
// and exercises/README.md). Edit this file in place, then check it:
//
//   make check-exercise E=00_interval
//
// The task: print "tick 1", "tick 2" and "tick 3", 100 ms apart, from one timer that
// repeats (posix_impl/timers.hpp has Node's timers), and no fourth tick.
// Done means: the three ticks come after the main program's lines, the program still
// ends by itself (status 0) with "exit: nothing left to wait for" as its last line,
// and every line the lesson printed is still printed once. Find out for yourself what
// keeps a loop alive and what lets it end.
//
// Lesson 00: one thread, events, callbacks.
//
// [doc INTRO.1] Node's model: code is bound to events as callbacks, and one thread
// notices the events and runs the callbacks, one at a time (opening or reading a file,
// a TCP or UDP connection are the document's examples). This program makes that
// visible: every callback prints one line, and the order of the lines is the order in
// which the single thread ran them. main.js beside it is the same program in Node.js
// and prints the same lines in the same order.
//
// What runs, in order:
//   Part 1  the main program: schedules a nextTick and a thread-pool job, then ends;
//   Part 2  the nextTick callback: before the loop's first phase;
//   Part 3  the thread-pool job on a worker thread, its callback on the main thread;
//   Part 4  an I/O callback: the loop sleeps in poll(2) until a pipe is readable;
//   Part 5  inside that I/O callback: setTimeout 0, setImmediate and nextTick, whose
//           order is fixed because of the phase the I/O callback runs in;
//   Part 6  the loop finds nothing left to wait for and run() returns.
//
// Run it with KIT_TRACE=1 to see the loop's phases and each poll(2) between the lines.
#include "console.hpp"
#include "loop.hpp"
#include "process.hpp"
#include "timers.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

namespace {

const std::thread::id kMainThread = std::this_thread::get_id();

std::string whichThread(std::thread::id id) {
    return id == kMainThread ? "the main thread" : "a pool thread";
}

// The words the I/O part reads back; main.js writes the same ones to a file.
constexpr std::string_view kMessage = "one thread, events and callbacks";

} // namespace

int main() {
    // =======================================================================
    // Part 1: the main program.
    //
    // Node runs the whole script first, top to bottom, before its event loop turns
    // even once: nothing scheduled here can run until main() has finished scheduling.
    // =======================================================================
    kit::console::log("main program: starts, on the main thread");

    // The pipe for Part 4. pipe(2) gives two descriptors: bytes written to w can be
    // read from r. We write the words now; the loop will notice them in Part 4.
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
        std::perror("pipe2");
        return 1;
    }
    const int readEnd = fds[0], writeEnd = fds[1];
    if (::write(writeEnd, kMessage.data(), kMessage.size()) != static_cast<ssize_t>(kMessage.size())) {
        std::perror("write");
        return 1;
    }
    ::close(writeEnd);  // the reader will see the words, then end-of-file

    // Part 2 is scheduled here: process.nextTick queues a callback that runs as soon
    // as the current piece of JavaScript (here: the main program) has finished.
    kit::process::nextTick([] {
        kit::console::log("nextTick: after the main program, before the loop's first phase");
    });

    auto& loop = kit::Loop::getDefault();
    std::unique_ptr<kit::IoWatcher> pipeWatcher;  // Part 4 creates it

    // =======================================================================
    // Part 3: a job for the thread pool.
    //
    // A blocking call (reading a disk file, a DNS lookup, hashing a password with
    // pbkdf2) would stop the one thread that runs every callback. libuv gives such
    // work to a pool of 4 worker threads (UV_THREADPOOL_SIZE changes that) and, when
    // a worker is done, wakes the loop by writing to an eventfd(2) that the loop
    // watches with poll(2); the job's callback then runs on the main thread, in the
    // poll phase. Node's fs.readFile, crypto.pbkdf2 and dns.lookup all work this way:
    // main.js uses crypto.pbkdf2. The pending job keeps the loop alive.
    // =======================================================================
    std::thread::id jobThread;
    loop.queueWork(
        [&jobThread] {
            // On a worker thread. It must not touch the loop or print (its line could
            // land anywhere among the main thread's); it only records where it ran.
            jobThread = std::this_thread::get_id();
            std::this_thread::sleep_for(std::chrono::milliseconds(20));  // "blocking work"
        },
        [&] {
            // Back on the main thread: queueWork's completion, libuv's after_work_cb.
            kit::console::log("thread-pool job: ran on " + whichThread(jobThread));
            kit::console::log("thread-pool callback: runs on " + whichThread(std::this_thread::get_id()) +
                              ", in the poll phase");

            // =============================================================
            // Part 4: wait for I/O.
            //
            // Started from here, so that it comes after Part 3 in Node too (two
            // independent I/O operations could finish in either order). The loop
            // adds the pipe to the descriptors it passes to poll(2), the one system
            // call in which the whole program sleeps; poll(2) returns when the pipe
            // is readable, and the loop calls the watcher's callback. libuv does the
            // same with epoll(7) for sockets and pipes (lesson 01's TCP sockets).
            //
            // main.js cannot make a pipe, so it reads the same words from a file with
            // fs.readFile: poll(2) cannot wait for a disk file (a file is always
            // "ready"), so Node reads files on the thread pool, as in Part 3. Either
            // way the callback runs in the poll phase, which is what Part 5 needs.
            // =============================================================
            loop.beginRequest();  // a pending read keeps the loop alive (a uv_pipe_t
                                  // handle would, in libuv)
            pipeWatcher = std::make_unique<kit::IoWatcher>(loop, [&, readEnd](short) {
                char buf[64];
                const ssize_t n = ::read(readEnd, buf, sizeof buf);  // does not block: poll said ready
                pipeWatcher->stop();
                ::close(readEnd);
                loop.endRequest();
                const std::string text(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
                kit::console::log("I/O callback: read '" + text + "' in the poll phase");

                // =========================================================
                // Part 5: setTimeout 0, setImmediate and nextTick from an I/O callback.
                //
                // One turn of the loop runs its phases in this order:
                //   timers -> pending -> poll -> check -> close
                // We are in the poll phase. nextTick runs as soon as this callback
                // returns, before the loop moves on. The check phase, where
                // setImmediate callbacks run, comes next in this same turn. The
                // timers phase comes at the start of the next turn at the earliest,
                // and a timeout of 0 is really 1 ms (Node turns any delay below 1
                // into 1): if the next turn starts sooner, the timeout waits one more
                // turn, with poll(2) sleeping the 1 ms. So: nextTick, immediate,
                // timeout, every time, in Node as here.
                //
                // From the main program the timeout/immediate order is NOT fixed: the
                // loop starts with the timers phase, and whether 1 ms has already
                // passed by then depends on how fast the process started.
                // =========================================================
                kit::setTimeout([] { kit::console::log("setTimeout 0: timers phase of a later turn"); }, 0);
                kit::setImmediate([] { kit::console::log("setImmediate: check phase of the same turn"); });
                kit::process::nextTick([] { kit::console::log("nextTick: right after the I/O callback"); });
            });
            pipeWatcher->start(readEnd, POLLIN);
        });

    // TODO (exercise 00_interval): the ticks start here, before the main program ends.

    kit::console::log("main program: ends; now the event loop runs");

    // =======================================================================
    // Part 6: run the loop until nothing is left.
    //
    // node runs its loop after the script; the kit's program does it explicitly.
    // run() returns when no timer, handle, request or queued callback is left: that
    // is when a Node process exits by itself.
    // =======================================================================
    const int code = kit::process::run();
    kit::console::log("exit: nothing left to wait for");
    return code;
}
