// timers_close.cpp: the kit's side of `make bench`'s timer row (bench/timers_close.js is
// Node's side, bench/timers-bench.js runs both). N timeouts with the same delay, all
// due in the same timers pass: each fires, and the close phase of that turn releases
// N handles at once (the phase that was quadratic, issue 20 item 4). Prints the
// milliseconds from the first setTimeout to run() returning.
//
// Usage: build/bench/timers_close [N]   (default 1000000)
#include "process.hpp"
#include "timers.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
    const long count = argc > 1 ? std::atol(argv[1]) : 1000000;
    const auto start = std::chrono::steady_clock::now();
    long fired = 0;
    for (long i = 0; i < count; ++i) kit::setTimeout([&fired] { ++fired; }, 1);
    kit::Loop::getDefault().run();
    const std::chrono::duration<double, std::milli> took = std::chrono::steady_clock::now() - start;
    std::printf("%ld %.1f\n", fired, took.count());
    return fired == count ? 0 : 1;
}
