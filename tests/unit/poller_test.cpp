// poller_test.cpp: the loop's poller (poller.hpp) on its own, without the loop. Every
// case runs twice, once per backend (GENERATE: "poll", then "epoll"), and asserts the
// same thing of both: the loop cannot tell them apart. The loop's own tests
// (loop_test.cpp and the rest) run with whichever backend KIT_POLLER names; `make test`
// runs them under each.
#include "test_support.hpp"

#include "poller.hpp"
#include "timers.hpp"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

using namespace std::chrono_literals;
using Catch::Matchers::Contains;
using Clock = std::chrono::steady_clock;
using kit::PollEvent;
using kit::Poller;

namespace {

double msSince(Clock::time_point t) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

std::string backendUnderTest() {
    std::string name = GENERATE(as<std::string>{}, "poll", "epoll");
    return name;
}

std::unique_ptr<Poller> make(const std::string& name, std::size_t batch = Poller::kDefaultBatch) {
    auto p = Poller::create(name, batch);
    REQUIRE(p != nullptr);
    REQUIRE(p->name() == name);
    return p;
}

// One wait; the ready descriptors sorted by number (the epoll backend reports them in
// the kernel's order, poll in the array's).
std::vector<PollEvent> waitSorted(Poller& p, int timeoutMs) {
    std::vector<PollEvent> ready;
    const int n = p.wait(timeoutMs, ready);
    REQUIRE(n == static_cast<int>(ready.size()));
    std::sort(ready.begin(), ready.end(), [](const PollEvent& a, const PollEvent& b) { return a.fd < b.fd; });
    return ready;
}

std::vector<int> fdsOf(const std::vector<PollEvent>& ready) {
    std::vector<int> fds;
    for (const auto& e : ready) fds.push_back(e.fd);
    return fds;
}

} // namespace

TEST_CASE("a descriptor is reported once it is ready, with the event it asked for", "[poller]") {
    const std::string name = backendUnderTest();
    INFO("backend: " << name);
    auto p = make(name);
    test::Pipe pipe;
    p->add(pipe.r, POLLIN);
    CHECK(waitSorted(*p, 0).empty());  // nothing written yet
    pipe.write("x");
    const auto ready = waitSorted(*p, 1000);
    REQUIRE(ready.size() == 1);
    CHECK(ready[0].fd == pipe.r);
    CHECK(ready[0].revents == POLLIN);
    // Level-triggered: still unread, so reported again on the next wait.
    CHECK(waitSorted(*p, 0).size() == 1);
    p->remove(pipe.r);
}

TEST_CASE("modify changes the events reported, and 0 reports nothing", "[poller]") {
    const std::string name = backendUnderTest();
    INFO("backend: " << name);
    auto p = make(name);
    test::Pipe pipe;  // its write end is writable at once
    p->add(pipe.w, 0);
    CHECK(waitSorted(*p, 0).empty());
    p->modify(pipe.w, POLLOUT);
    auto ready = waitSorted(*p, 1000);
    REQUIRE(ready.size() == 1);
    CHECK(ready[0].fd == pipe.w);
    CHECK(ready[0].revents == POLLOUT);
    p->modify(pipe.w, POLLIN);  // a pipe's write end never becomes readable
    CHECK(waitSorted(*p, 0).empty());
    p->modify(pipe.w, 0);
    CHECK(waitSorted(*p, 0).empty());
    p->modify(pipe.w, POLLOUT);  // and back: epoll adds it to its set again
    CHECK(waitSorted(*p, 0).size() == 1);
    p->remove(pipe.w);
}

TEST_CASE("a removed descriptor is not reported, even when ready", "[poller]") {
    const std::string name = backendUnderTest();
    INFO("backend: " << name);
    auto p = make(name);
    test::Pipe a, b;
    p->add(a.r, POLLIN);
    p->add(b.r, POLLIN);
    a.write("a");
    b.write("b");
    p->remove(a.r);
    const auto ready = waitSorted(*p, 1000);
    CHECK(fdsOf(ready) == std::vector<int>{b.r});
    p->remove(b.r);
    CHECK(waitSorted(*p, 0).empty());
}

TEST_CASE("a hung-up pipe is reported while it wants input, and not at all while it wants nothing", "[poller]") {
    // poll(2) and epoll(7) report a hang-up whatever the events asked for; interest 0
    // must hide it, or a paused socket whose peer left would wake the loop forever.
    const std::string name = backendUnderTest();
    INFO("backend: " << name);
    auto p = make(name);
    test::Pipe pipe;
    pipe.closeWrite();
    p->add(pipe.r, POLLIN);
    auto ready = waitSorted(*p, 1000);
    REQUIRE(ready.size() == 1);
    CHECK((ready[0].revents & POLLHUP) != 0);
    p->modify(pipe.r, 0);
    const auto start = Clock::now();
    CHECK(waitSorted(*p, 50).empty());  // slept its 50 ms: no spurious POLLHUP
    CHECK(msSince(start) >= 45);
    p->remove(pipe.r);
}

TEST_CASE("a descriptor added with no events is not reported when it hangs up", "[poller]") {
    const std::string name = backendUnderTest();
    INFO("backend: " << name);
    auto p = make(name);
    test::Pipe pipe;
    p->add(pipe.r, 0);  // as a socket accepted while the server is paused
    pipe.closeWrite();
    CHECK(waitSorted(*p, 20).empty());
    p->remove(pipe.r);
}

TEST_CASE("a wait with nothing ready returns 0 once its timeout has passed", "[poller]") {
    const std::string name = backendUnderTest();
    INFO("backend: " << name);
    auto p = make(name);
    test::Pipe pipe;
    p->add(pipe.r, POLLIN);
    const auto start = Clock::now();
    std::vector<PollEvent> ready{PollEvent{99, POLLIN}};  // cleared by wait
    CHECK(p->wait(60, ready) == 0);
    CHECK(ready.empty());
    const double elapsed = msSince(start);
    INFO("slept " << elapsed << " ms");
    CHECK(elapsed >= 55);
    CHECK(elapsed < 1000);
    p->remove(pipe.r);
}

TEST_CASE("holes left by removed, closed descriptors: the others are reported, and the number can be added again",
          "[poller]") {
    const std::string name = backendUnderTest();
    INFO("backend: " << name);
    auto p = make(name);
    test::Pipe a, c;
    auto b = std::make_unique<test::Pipe>();
    p->add(a.r, POLLIN);
    const int bNumber = b->r;
    p->add(bNumber, POLLIN);
    p->add(c.r, POLLIN);
    b->write("b");
    p->remove(bNumber);  // before close(2), as the loop does
    b.reset();           // close(2): the number is free, and the next pipe(2) takes it
    test::Pipe d;
    if (d.r != bNumber) {  // pipe(2) hands out the lowest free number, usually b's...
        REQUIRE(::dup2(d.r, bNumber) == bNumber);  // ...else we put it there
        ::close(d.r);
        d.r = bNumber;
    }
    p->add(d.r, POLLIN);  // the same number, another file: no "already there" (EEXIST)
    a.write("a");
    c.write("c");
    d.write("d");
    std::vector<PollEvent> ready;
    REQUIRE(p->wait(1000, ready) == 3);
    if (name == "poll") {
        // poll(2) keeps the array in the order descriptors were added: a, c, then d.
        CHECK(fdsOf(ready) == std::vector<int>{a.r, c.r, d.r});
    } else {
        std::sort(ready.begin(), ready.end(), [](auto& x, auto& y) { return x.fd < y.fd; });
        auto expected = std::vector<int>{a.r, c.r, d.r};
        std::sort(expected.begin(), expected.end());
        CHECK(fdsOf(ready) == expected);
    }
    for (int fd : {a.r, c.r, d.r}) p->remove(fd);
}

TEST_CASE("a descriptor removed before close(2) is not reported while a dup(2) of it stays open", "[poller]") {
    // epoll watches the open file, not the number: closed without a remove, a
    // descriptor whose file lives on in a dup would still be reported, under a number
    // that now means nothing (or something else). The loop removes first.
    const std::string name = backendUnderTest();
    INFO("backend: " << name);
    auto p = make(name);
    test::Pipe pipe;
    const int copy = ::dup(pipe.r);
    REQUIRE(copy >= 0);
    p->add(pipe.r, POLLIN);
    p->remove(pipe.r);
    ::close(pipe.r);
    pipe.r = -1;
    pipe.write("x");  // the file is readable, through `copy`
    CHECK(waitSorted(*p, 20).empty());
    ::close(copy);
}

TEST_CASE("a regular file is always ready, as poll(2) says, although epoll_ctl(2) refuses it", "[poller]") {
    const std::string name = backendUnderTest();
    INFO("backend: " << name);
    auto p = make(name);
    char path[] = "/tmp/kit-poller-XXXXXX";
    const int fd = ::mkstemp(path);
    REQUIRE(fd >= 0);
    ::unlink(path);
    p->add(fd, POLLIN);
    const auto start = Clock::now();
    auto ready = waitSorted(*p, 1000);
    CHECK(msSince(start) < 500);  // did not sleep
    REQUIRE(ready.size() == 1);
    CHECK(ready[0].fd == fd);
    CHECK(ready[0].revents == POLLIN);
    p->modify(fd, 0);
    CHECK(waitSorted(*p, 0).empty());
    p->remove(fd);
    ::close(fd);
}

TEST_CASE("more ready descriptors than one call's events array: each is reported once", "[poller]") {
    // The epoll backend here gets 4 events per epoll_wait(2) call; a full array means
    // call again with timeout 0 (libuv does), and level-triggered descriptors reported
    // once come back at the end of the kernel's list: reported once per wait anyway.
    const std::string name = backendUnderTest();
    INFO("backend: " << name);
    auto p = make(name, 4);
    std::vector<std::unique_ptr<test::Pipe>> pipes;
    for (int i = 0; i < 10; ++i) {
        pipes.push_back(std::make_unique<test::Pipe>());
        p->add(pipes.back()->r, POLLIN);
        pipes.back()->write("x");
    }
    const auto ready = waitSorted(*p, 1000);
    std::vector<int> expected;
    for (auto& pipe : pipes) expected.push_back(pipe->r);
    std::sort(expected.begin(), expected.end());
    CHECK(fdsOf(ready) == expected);
    for (auto& pipe : pipes) p->remove(pipe->r);
}

namespace {
volatile sig_atomic_t gInterrupted = 0;
void onSignal(int) { gInterrupted = 1; }
} // namespace

TEST_CASE("a signal handler interrupts a wait: -1 with errno EINTR, nothing reported", "[poller]") {
    const std::string name = backendUnderTest();
    INFO("backend: " << name);
    auto p = make(name);
    test::Pipe pipe;
    p->add(pipe.r, POLLIN);
    struct sigaction action {}, previous{};
    action.sa_handler = onSignal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;  // neither poll(2) nor epoll_wait(2) is restarted anyway
    REQUIRE(::sigaction(SIGALRM, &action, &previous) == 0);
    gInterrupted = 0;
    const pthread_t waiter = ::pthread_self();
    std::thread signaller([&] {
        std::this_thread::sleep_for(50ms);
        ::pthread_kill(waiter, SIGALRM);
    });
    std::vector<PollEvent> ready;
    errno = 0;
    const int n = p->wait(5000, ready);
    const int err = errno;
    signaller.join();
    ::sigaction(SIGALRM, &previous, nullptr);
    CHECK(gInterrupted == 1);
    CHECK(n == -1);
    CHECK(err == EINTR);
    CHECK(ready.empty());
    p->remove(pipe.r);
}

TEST_CASE("an unknown KIT_POLLER ends the process with status 9 and names the two backends", "[poller]") {
    auto child = test::runInChild([] {
        ::setenv("KIT_POLLER", "kqueue", 1);
        auto p = Poller::fromEnvironment();  // does not return
        std::printf("returned a poller: %s\n", p ? "yes" : "no");
    });
    REQUIRE(child.exited);
    CHECK(child.exitCode == 9);
    CHECK(child.out.empty());
    CHECK_THAT(child.err, Contains("KIT_POLLER=kqueue: unknown poller") && Contains("KIT_POLLER=epoll"));
}

TEST_CASE("KIT_POLLER unset or empty picks poll(2)", "[poller]") {
    auto child = test::runInChild([] {
        ::unsetenv("KIT_POLLER");
        const bool unset = Poller::fromEnvironment()->name() == "poll";
        ::setenv("KIT_POLLER", "", 1);
        const bool empty = Poller::fromEnvironment()->name() == "poll";
        ::setenv("KIT_POLLER", "epoll", 1);
        const bool epoll = Poller::fromEnvironment()->name() == "epoll";
        std::printf("unset:%d empty:%d epoll:%d\n", unset, empty, epoll);
    });
    REQUIRE(child.exited);
    CHECK(child.exitCode == 0);
    CHECK(child.out == "unset:1 empty:1 epoll:1\n");
}

// Run by the next test in a fresh process (KIT_TRACE and KIT_POLLER are read when the
// default loop is created): one short timer, so the loop waits once with a timeout.
TEST_CASE("child - one timer under KIT_TRACE", "[.][child]") {
    kit::setTimeout([] { std::printf("timer fired\n"); }, 10);
    kit::Loop::getDefault().run();
    std::fflush(stdout);
}

TEST_CASE("KIT_TRACE names the backend in the poll phase's lines", "[poller][trace]") {
    const std::string name = backendUnderTest();
    auto child = test::runSelfTest("child - one timer under KIT_TRACE", {"KIT_TRACE=1", "KIT_POLLER=" + name});
    REQUIRE(child.exited);
    REQUIRE(child.exitCode == 0);
    CHECK_THAT(child.out, Contains("timer fired"));
    if (name == "poll") {
        CHECK_THAT(child.err, Contains("poll([ ") && Contains("], timeout=") && Contains("poll -> 0 ready"));
        CHECK_THAT(child.err, !Contains("epoll"));
    } else {
        CHECK_THAT(child.err, Contains("epoll_wait(timeout=") && Contains(") on [ ") &&
                                  Contains("epoll_wait -> 0 ready"));
    }
}
