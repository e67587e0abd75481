// Scenario timers_list_order, the C++ twin of timers_list_order.js (read that file's
// comment first).
#include "console.hpp"
#include "process.hpp"
#include "timers.hpp"

#include <chrono>

using namespace kit;

namespace {
// Busy-wait, as the JavaScript twin does with Date.now().
void block(int ms) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (std::chrono::steady_clock::now() < end) {
    }
}
} // namespace

int main() {
    setTimeout([] { console::log("c 1ms"); }, 1);
    setTimeout(
        [] {
            console::log("a 2ms");
            setTimeout([] { console::log("f 1ms"); }, 1);
            setTimeout([] { console::log("d 2ms"); }, 2);
            block(3);
            setTimeout([] { console::log("e 1ms, 3 ms after d"); }, 1);
            block(10);
        },
        2);
    block(3);
    setTimeout([] { console::log("b 1ms, 3 ms after a"); }, 1);
    block(10);
    return process::run();
}
