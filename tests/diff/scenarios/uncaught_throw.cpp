// Scenario uncaught_throw, the C++ twin of uncaught_throw.js (read that file's comment
// first: the report's header is a known difference).
#include "console.hpp"
#include "errors.hpp"
#include "process.hpp"
#include "timers.hpp"

using namespace kit;

int main() {
    setTimeout(
        [] {
            console::log("timer 1 throws");
            throw Error::plain("boom", "E_BOOM");
        },
        1);
    setTimeout([] { console::log("timer 2 (never printed)"); }, 20);
    return process::run();
}
