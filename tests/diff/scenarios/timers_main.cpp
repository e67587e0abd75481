// Scenario timers_main, the C++ twin of timers_main.js (read that file's comment first).
#include "console.hpp"
#include "process.hpp"
#include "timers.hpp"

#include <cmath>
#include <memory>
#include <string>

using namespace kit;

int main() {
    auto ticksRun = std::make_shared<int>(0);

    console::log("main start");
    setTimeout(
        [ticksRun] {
            console::log("timeout A(1) ticksRun=" + std::to_string(*ticksRun));
            process::nextTick([] { console::log("timeout tick queued by A runs before B"); });
        },
        1);
    setTimeout([] { console::log("timeout B(0)"); }, 0);
    setTimeout([] { console::log("timeout C(-5)"); }, -5);
    setTimeout([] { console::log("timeout D(NaN)"); }, std::nan(""));
    setTimeout([] { console::log("timeout E(2)"); }, 2);
    auto cleared = setTimeout([] { console::log("timeout cleared (unexpected)"); }, 1);
    clearTimeout(cleared);

    auto n = std::make_shared<int>(0);
    auto interval = std::make_shared<std::shared_ptr<Timeout>>();
    *interval = setInterval(
        [n, interval] {
            ++*n;
            console::log("interval run " + std::to_string(*n));
            if (*n == 3) {
                clearInterval(*interval);
                interval->reset();  // break the cycle the lambda and the timer form
            }
        },
        5);

    setImmediate([ticksRun] {
        console::log("immediate I1 ticksRun=" + std::to_string(*ticksRun));
        setImmediate([] { console::log("immediate I3 (queued by I1)"); });
    });
    setImmediate([] { console::log("immediate I2"); });
    auto clearedImmediate = setImmediate([] { console::log("immediate cleared (unexpected)"); });
    clearImmediate(clearedImmediate);

    process::nextTick([ticksRun] {
        ++*ticksRun;
        console::log("tick T1");
        process::nextTick([ticksRun] {
            ++*ticksRun;
            console::log("tick T2 (queued by T1)");
        });
    });
    console::log("main end");
    return process::run();
}
