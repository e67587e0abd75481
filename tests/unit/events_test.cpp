// events_test.cpp: EventEmitter's rules, specified by what Node v20's `events` module
// does. Each expected sequence quotes what the node one-liner above it printed (node
// v20.20.2); in the one-liners `E` is require('events') and `e` is `new E()`.
//
// The emitter is synchronous: emit() calls the listeners before it returns, so most of
// these tests need no loop. Each still ends with the loop idle, like every unit test.
#include "test_support.hpp"

#include "events.hpp"
#include "timers.hpp"
#include "console.hpp"
#include "process.hpp"

#include <string>

using Catch::Matchers::Contains;

namespace {
// A small emitter with the three kinds of event the kit's handles have: no argument,
// several arguments, and 'error'.
class Door : public kit::EventEmitter<kit::Event<"open">, kit::Event<"knock", int, std::string>,
                                      kit::Event<"error", kit::Error>> {
public:
    Door() : EventEmitter("Door") {}
};
} // namespace

TEST_CASE("listeners run in the order they were added", "[events]") {
    // node -e "e.on('x',()=>console.log(1)); e.on('x',()=>console.log(2));
    //          e.on('x',()=>console.log(3)); e.emit('x')"  ->  1 2 3
    test::Recorder rec;
    Door door;
    door.on("open", [&] { rec("1"); });
    door.on("open", [&] { rec("2"); });
    door.on("open", [&] { rec("3"); });
    door.emit("open");
    REQUIRE(rec.seen == std::vector<std::string>{"1", "2", "3"});
    test::requireIdle();
}

TEST_CASE("a listener added during an emit is not called by that emit, only by the next", "[events]") {
    // node -e "e.on('x',()=>{console.log('a'); e.on('x',()=>console.log('late'))});
    //          e.on('x',()=>console.log('b')); e.emit('x'); console.log('--'); e.emit('x')"
    //   ->  a b -- a b late
    test::Recorder rec;
    Door door;
    bool added = false;
    door.on("open", [&] {
        rec("a");
        if (!added) door.on("open", [&] { rec("late"); });
        added = true;
    });
    door.on("open", [&] { rec("b"); });
    door.emit("open");
    rec("--");
    door.emit("open");
    REQUIRE(rec.seen == std::vector<std::string>{"a", "b", "--", "a", "b", "late"});
    test::requireIdle();
}

TEST_CASE("a listener with the event's only other listener added during the emit is not called either",
          "[events]") {
    // node -e "e.on('x',()=>{console.log('a'); e.on('x',()=>console.log('late'))}); e.emit('x')"
    //   ->  a
    test::Recorder rec;
    Door door;
    door.on("open", [&] {
        rec("a");
        door.on("open", [&] { rec("late"); });
    });
    door.emit("open");
    REQUIRE(rec.seen == std::vector<std::string>{"a"});
    test::requireIdle();
}

TEST_CASE("a listener removed during an emit is still called by that emit, not by the next", "[events]") {
    // node -e "const b=()=>console.log('b'); e.on('x',()=>{console.log('a'); e.off('x',b)});
    //          e.on('x',b); e.emit('x'); console.log('--'); e.emit('x')"
    //   ->  a b -- a        (emit iterates over a copy of the listener array: arrayClone)
    test::Recorder rec;
    Door door;
    kit::ListenerId b = 0;
    door.on("open", [&] {
        rec("a");
        door.off(b);
    });
    b = door.on("open", [&] { rec("b"); });
    door.emit("open");
    rec("--");
    door.emit("open");
    REQUIRE(rec.seen == std::vector<std::string>{"a", "b", "--", "a"});
    test::requireIdle();
}

TEST_CASE("a once listener removed during an emit is still called by that emit", "[events][once]") {
    // node -e "const b=()=>console.log('b (once)'); e.on('x',()=>{console.log('a removes b');
    //          e.off('x',b)}); e.once('x',b); e.emit('x'); console.log('--'); e.emit('x')"
    //   ->  a removes b   b (once)   --   a removes b
    test::Recorder rec;
    Door door;
    kit::ListenerId b = 0;
    door.on("open", [&] {
        rec("a removes b");
        door.off(b);
    });
    b = door.once("open", [&] { rec("b (once)"); });
    door.emit("open");
    rec("--");
    door.emit("open");
    REQUIRE(rec.seen == std::vector<std::string>{"a removes b", "b (once)", "--", "a removes b"});
    test::requireIdle();
}

TEST_CASE("a once listener is removed before it runs", "[events][once]") {
    // node -e "e.once('x',()=>{console.log('once', e.listenerCount('x')); e.emit('x')}); e.emit('x')"
    //   ->  once 0
    // node -e "e.once('x',()=>{console.log('once', e.listenerCount('x')); e.emit('x')});
    //          e.on('x',()=>console.log('on')); e.emit('x')"
    //   ->  once 1   on   on
    SECTION("as the only listener") {
        test::Recorder rec;
        Door door;
        door.once("open", [&] {
            rec("once " + std::to_string(door.listenerCount("open")));
            door.emit("open");  // re-entrant: the once listener is already gone
        });
        door.emit("open");
        REQUIRE(rec.seen == std::vector<std::string>{"once 0"});
    }
    SECTION("beside another listener") {
        test::Recorder rec;
        Door door;
        door.once("open", [&] {
            rec("once " + std::to_string(door.listenerCount("open")));
            door.emit("open");
        });
        door.on("open", [&] { rec("on"); });
        door.emit("open");
        REQUIRE(rec.seen == std::vector<std::string>{"once 1", "on", "on"});
    }
    test::requireIdle();
}

TEST_CASE("a once listener runs only once even when an emit re-enters", "[events][once]") {
    // node -e "e.on('x',()=>{console.log('a'); if(!global.d){global.d=1; e.emit('x')}});
    //          e.once('x',()=>console.log('b (once)')); e.emit('x')"
    //   ->  a   a   b (once)
    test::Recorder rec;
    Door door;
    bool reentered = false;
    door.on("open", [&] {
        rec("a");
        if (!reentered) {
            reentered = true;
            door.emit("open");
        }
    });
    door.once("open", [&] { rec("b (once)"); });
    door.emit("open");
    REQUIRE(rec.seen == std::vector<std::string>{"a", "a", "b (once)"});
    test::requireIdle();
}

TEST_CASE("off(id) removes exactly that listener and reports whether it was there", "[events]") {
    test::Recorder rec;
    Door door;
    door.on("open", [&] { rec("kept"); });
    const kit::ListenerId removed = door.on("open", [&] { rec("removed"); });
    REQUIRE(door.listenerCount("open") == 2);
    REQUIRE(door.off(removed));
    REQUIRE_FALSE(door.off(removed));  // already gone
    REQUIRE(door.listenerCount("open") == 1);
    door.emit("open");
    REQUIRE(rec.seen == std::vector<std::string>{"kept"});
    test::requireIdle();
}

TEST_CASE("a listener may take fewer parameters than the event passes", "[events]") {
    // node -e "e.on('knock',(n)=>console.log('n',n)); e.on('knock',()=>console.log('none'));
    //          e.on('knock',(n,who)=>console.log(n,who)); e.emit('knock',3,'ana')"
    //   ->  n 3   none   3 ana
    test::Recorder rec;
    Door door;
    door.on("knock", [&](int n) { rec("n " + std::to_string(n)); });
    door.on("knock", [&] { rec("none"); });
    door.on("knock", [&](int n, const std::string& who) { rec(std::to_string(n) + " " + who); });
    door.emit("knock", 3, std::string("ana"));
    REQUIRE(rec.seen == std::vector<std::string>{"n 3", "none", "3 ana"});
    test::requireIdle();
}

TEST_CASE("emit returns false when the event has no listener, true when it has one", "[events]") {
    // node -e "console.log(e.emit('x'), (e.on('x',()=>{}), e.emit('x')))"  ->  false true
    Door door;
    REQUIRE_FALSE(door.emit("open"));
    door.on("open", [] {});
    REQUIRE(door.emit("open"));
    test::requireIdle();
}

TEST_CASE("an 'error' event with a listener is delivered like any other event", "[events][error]") {
    Door door;
    std::string got;
    door.on("error", [&](const kit::Error& err) { got = err.code; });
    REQUIRE(door.emit("error", kit::Error::plain("boom", "EBOOM")));
    REQUIRE(got == "EBOOM");
    test::requireIdle();
}

TEST_CASE("an 'error' event with no listener ends the process with status 1", "[events][error][fatal]") {
    // node -e "class Door extends E {}; const d=new Door(); const e=new Error('boom');
    //          e.code='EBOOM'; d.emit('error', e); console.log('not reached')"
    //   ->  stderr: node:events:502 / throw er; // Unhandled 'error' event / ... /
    //       (the kit's first line names posix_impl/events.cpp instead) /
    //       Error: boom / at ... / Emitted 'error' event on Door instance at: / ... {
    //       code: 'EBOOM' }       stdout: nothing        exit status 1
    auto child = test::runInChild([] {
        Door door;
        door.emit("error", kit::Error::plain("boom", "EBOOM"));
        kit::console::log("not reached");
    });
    REQUIRE(child.exited);
    REQUIRE(child.exitCode == 1);
    // The first line names the C++ function that ends the process, not Node's source.
    REQUIRE(child.err.rfind("posix_impl/events.cpp, EventEmitter::emit: Unhandled 'error' event\n", 0) == 0);
    REQUIRE_THAT(child.err, Contains("Error: boom"));
    REQUIRE_THAT(child.err, Contains("Emitted 'error' event on Door instance at:"));
    REQUIRE_THAT(child.err, Contains("code: 'EBOOM'"));
    REQUIRE(child.out.empty());
}

TEST_CASE("an emit from a loop callback calls its listeners inside that callback", "[events][loop]") {
    // What the kit's handles do: the loop calls the handle, the handle emits, the
    // listeners run before the callback returns, and nextTick callbacks after them.
    test::Recorder rec;
    Door door;
    door.on("knock", [&](int n) { rec("listener " + std::to_string(n)); });
    kit::setImmediate([&] {
        kit::process::nextTick(rec.note("nextTick"));
        door.emit("knock", 1, std::string("loop"));
        rec("emit returned");
    });
    kit::Loop::getDefault().run();
    REQUIRE(rec.seen == std::vector<std::string>{"listener 1", "emit returned", "nextTick"});
    test::requireIdle();
}
