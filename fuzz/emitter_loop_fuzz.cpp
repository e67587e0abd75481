// emitter_loop_fuzz.cpp: libFuzzer target for the EventEmitter, the timers and the loop.
//
//   make fuzz                                   (builds build/fuzz/emitter_loop_fuzz)
//   build/fuzz/emitter_loop_fuzz FILE...        replay inputs (what `make check` does)
//
// The input is decoded, up front, into a small program: a list of operations for the
// main program, where an operation that installs a callback (a listener, a timer, an
// immediate, a nextTick, a pipe's readable callback) carries its own nested list of
// operations, run every time that callback runs. Decoding everything before anything
// runs keeps an input's meaning independent of timing, so a crash replays.
//
// Operations: on / once / off / removeAllListeners / emit (nested up to kMaxEmitDepth)
// on a two-event emitter; setTimeout / clearTimeout / setInterval (which clears itself
// after 1..3 runs) with delays 0..4 ms; setImmediate / clearImmediate; nextTick; and a
// pipe(2) handle (unref'd, so it never keeps the loop alive) that can be written to and
// closed from any callback, its own included. The main program's list runs, then the
// loop runs to completion, then still-open pipes are closed and the loop runs again.
//
// Invariants checked (a failure prints what broke and aborts, which libFuzzer records):
//  * emitter: every listener call is the one a reference model of Node's emit predicts
//    (listeners in registration order over a snapshot taken when emit starts; a once
//    listener removed before it runs and never run twice; a listener removed during an
//    emit still called by it), with the emitted argument; emit's return value; off()'s
//    return value; listenerCount() after every operation;
//  * timers: a cleared timer never fires; a timeout fires exactly once and an interval
//    exactly its count, unless cleared; timeouts with equal delays fire in the order they
//    were scheduled; none fires early (the loop's whole-ms clock has advanced by the
//    delay since it was armed); the delay is clamped as Node clamps it (below 1 -> 1);
//  * immediates run in the order they were queued, each at most once, a cleared one
//    never; nextTick callbacks run in FIFO order, all before the next loop callback
//    (timer, immediate, I/O) starts;
//  * a pipe's close callback runs exactly once, after close(), never before;
//  * at the end the loop is idle: nothing alive, no handle left in its handle list.
#include "events.hpp"
#include "loop.hpp"
#include "process.hpp"
#include "timers.hpp"

#include <fuzzer/FuzzedDataProvider.h>

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <ctime>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <vector>

namespace {

// ---------------------------------------------------------------- limits
constexpr int kMaxDecodeDepth = 3;      // nesting of callbacks' operation lists
constexpr int kMaxMainOps = 24;         // operations of the main program
constexpr int kMaxNestedOps = 6;        // operations of one callback
constexpr std::size_t kMaxEmitDepth = 4;
constexpr int kMaxSteps = 4000;         // operations executed per input
constexpr std::size_t kMaxTimers = 48;  // each costs >= 1 ms of real time
constexpr std::size_t kMaxImmediates = 256;
constexpr std::size_t kMaxTicks = 512;
constexpr std::size_t kMaxPipes = 6;
constexpr unsigned kMaxDelayMs = 4;

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "emitter_loop_fuzz: invariant broken: %s\n", what);
    std::fflush(stderr);
    std::abort();
}
#define CHECK(cond)                       \
    do {                                  \
        if (!(cond)) fail(#cond);         \
    } while (0)

// ---------------------------------------------------------------- the program
enum class Kind : std::uint8_t {
    On, Once, Off, Emit, RemoveAll,
    SetTimeout, ClearTimeout, SetInterval, SetImmediate, ClearImmediate, NextTick,
    PipeOpen, PipeWrite, PipeClose,
    Count
};

struct Op;
using Ops = std::vector<Op>;
struct Op {
    Kind kind;
    std::uint8_t a;  // event index, selector or delay
    std::uint8_t b;  // emitted argument or interval count
    std::unique_ptr<Ops> body;  // what the installed callback runs
};

bool installsCallback(Kind k) {
    return k == Kind::On || k == Kind::Once || k == Kind::SetTimeout || k == Kind::SetInterval ||
           k == Kind::SetImmediate || k == Kind::NextTick || k == Kind::PipeOpen;
}

Ops decode(FuzzedDataProvider& in, int depth) {
    Ops ops;
    const int n = in.ConsumeIntegralInRange<int>(0, depth == 0 ? kMaxMainOps : kMaxNestedOps);
    for (int i = 0; i < n && in.remaining_bytes() > 0; ++i) {
        Op op;
        op.kind = static_cast<Kind>(in.ConsumeIntegralInRange<int>(0, static_cast<int>(Kind::Count) - 1));
        op.a = in.ConsumeIntegral<std::uint8_t>();
        op.b = in.ConsumeIntegral<std::uint8_t>();
        if (installsCallback(op.kind))
            op.body = std::make_unique<Ops>(depth < kMaxDecodeDepth ? decode(in, depth + 1) : Ops{});
        ops.push_back(std::move(op));
    }
    return ops;
}

// ---------------------------------------------------------------- the emitter and its model
using Emitter = kit::EventEmitter<kit::Event<"a", int>, kit::Event<"b", int>>;

struct ModelListener {
    kit::ListenerId id = 0;
    int event = 0;
    bool once = false;
    bool fired = false;  // a once listener that has run
    const Ops* body = nullptr;
};
using ModelPtr = std::shared_ptr<ModelListener>;

struct Frame {  // one emit in progress
    int event;
    int arg;
    std::vector<ModelPtr> snapshot;
    std::size_t next = 0;
};

// ---------------------------------------------------------------- timers, immediates, ticks
// CLOCK_MONOTONIC in whole ms, as the loop reads it (uv_now).
std::uint64_t monotonicMs() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1000 + static_cast<std::uint64_t>(ts.tv_nsec) / 1000000;
}

struct TimerRec {
    std::shared_ptr<kit::Timeout> handle;
    unsigned delay = 1;  // after Node's clamping
    int maxFires = 1;
    int fires = 0;
    bool interval = false;
    bool cleared = false;
    std::uint64_t seq = 0;
    std::uint64_t earliestMs = 0;  // the loop's clock must reach this before it fires
    const Ops* body = nullptr;
};

struct ImmediateRec {
    std::shared_ptr<kit::Immediate> handle;
    bool cleared = false;
    bool fired = false;
    std::uint64_t seq = 0;
};

// ---------------------------------------------------------------- a pipe handle
struct State;

// The read end of a pipe as a loop handle (as the unit tests' PipeReader, and libuv's
// uv_pipe_t): an IoWatcher for readiness; close() closes the descriptors at once and the
// close callback waits for the loop's close phase.
class FuzzPipe final : public kit::Handle {
public:
    static std::shared_ptr<FuzzPipe> open(State& st, const Ops* body);
    void write() {
        if (w_ < 0) return;
        const char c = 'x';
        [[maybe_unused]] const ssize_t n = ::write(w_, &c, 1);  // EAGAIN (full) is fine: it is readable
    }
    void close() {
        if (r_ < 0) return;
        watcher_.stop();
        ::close(r_);
        ::close(w_);
        r_ = w_ = -1;
        closeHandle();
    }
    bool open() const { return r_ >= 0; }
    int closeCallbacks = 0;

private:
    FuzzPipe(kit::Loop& loop, State& st, int r, int w, const Ops* body)
        : Handle(loop, "pipe"), watcher_(loop, [this](short revents) { onReadable(revents); }),
          st_(&st), r_(r), w_(w), body_(body) {}
    void onReadable(short revents);
    void onClose() override {
        CHECK(r_ < 0);  // close() ran first
        ++closeCallbacks;
        CHECK(closeCallbacks == 1);
    }
    void start() {
        watcher_.start(r_, POLLIN);
        setActive(true);
        unref();  // like an unref'd socket: the loop may end while it is open
    }

    kit::IoWatcher watcher_;
    State* st_;
    int r_, w_;
    const Ops* body_;
};

// ---------------------------------------------------------------- the interpreter
struct State {
    Emitter emitter;
    std::vector<ModelPtr> model[2];  // each event's listeners, as Node would hold them
    std::vector<ModelPtr> everyListener;
    std::vector<Frame> frames;

    std::vector<TimerRec> timers;      // deque-like: never shrinks, indices are stable
    std::map<unsigned, std::uint64_t> lastTimeoutSeqByDelay;
    std::uint64_t timerSeq = 0;
    std::vector<ImmediateRec> immediates;
    std::uint64_t lastImmediateSeq = 0;
    std::size_t ticksQueued = 0, ticksRun = 0;
    std::vector<std::shared_ptr<FuzzPipe>> pipes;
    int steps = 0;

    State() { timers.reserve(kMaxTimers); immediates.reserve(kMaxImmediates); }

    // A callback of the loop (not a nextTick) starts: the tick queue must be empty.
    void loopCallbackStarts() const { CHECK(ticksRun == ticksQueued); }

    void checkCounts() const {
        CHECK(emitter.listenerCount("a") == model[0].size());
        CHECK(emitter.listenerCount("b") == model[1].size());
    }

    void run(const Ops& ops) {
        for (const Op& op : ops) {
            if (++steps > kMaxSteps) return;
            exec(op);
            checkCounts();
        }
    }

    void addListener(const Op& op, bool once) {
        auto m = std::make_shared<ModelListener>();
        m->event = op.a % 2;
        m->once = once;
        m->body = op.body.get();
        auto fn = [this, m](int arg) { onListener(m, arg); };
        if (m->event == 0) m->id = once ? emitter.once("a", fn) : emitter.on("a", fn);
        else m->id = once ? emitter.once("b", fn) : emitter.on("b", fn);
        model[m->event].push_back(m);
        everyListener.push_back(m);
    }

    static bool eraseFrom(std::vector<ModelPtr>& list, const ModelListener* m) {
        for (auto it = list.begin(); it != list.end(); ++it)
            if (it->get() == m) {
                list.erase(it);
                return true;
            }
        return false;
    }

    // The real emitter called listener m: it must be the model's next one.
    void onListener(const ModelPtr& m, int arg) {
        CHECK(!frames.empty());
        Frame& f = frames.back();
        ModelPtr expected;
        while (f.next < f.snapshot.size()) {
            ModelPtr c = f.snapshot[f.next++];
            if (c->once) {
                if (c->fired) continue;  // already ran in a nested emit
                c->fired = true;
                eraseFrom(model[c->event], c.get());  // removed before it runs
            }
            expected = std::move(c);
            break;
        }
        CHECK(expected != nullptr);  // called, but the model expected no more calls
        CHECK(expected == m);        // registration order
        CHECK(arg == f.arg);
        checkCounts();
        run(*m->body);
    }

    void emit(int event, int arg) {
        if (frames.size() >= kMaxEmitDepth) return;
        frames.push_back(Frame{event, arg, model[event], 0});
        const bool hadListeners = !frames.back().snapshot.empty();
        const bool result = event == 0 ? emitter.emit("a", arg) : emitter.emit("b", arg);
        CHECK(result == hadListeners);
        Frame& f = frames.back();
        for (; f.next < f.snapshot.size(); ++f.next) {
            const auto& c = f.snapshot[f.next];
            CHECK(c->once && c->fired);  // anything else should have been called
        }
        frames.pop_back();
    }

    void off(std::uint8_t selector) {
        kit::ListenerId id = 0;  // never handed out: off() must say false
        if (!everyListener.empty() && selector % 8 != 7) id = everyListener[selector % everyListener.size()]->id;
        bool inModel = false;
        for (auto& list : model)
            for (auto it = list.begin(); it != list.end(); ++it)
                if ((*it)->id == id) {
                    list.erase(it);
                    inModel = true;
                    break;
                }
        CHECK(emitter.off(id) == inModel);
    }

    void setTimer(const Op& op, bool interval) {
        if (timers.size() >= kMaxTimers) return;
        const unsigned requested = op.a % (kMaxDelayMs + 1);
        TimerRec rec;
        rec.delay = requested < 1 ? 1 : requested;  // Node: below 1 ms becomes 1 ms
        rec.interval = interval;
        rec.maxFires = interval ? 1 + op.b % 3 : 1;
        rec.seq = ++timerSeq;
        rec.body = op.body.get();
        // The timer is armed after this instant, so it is due delay ms after it at least.
        rec.earliestMs = monotonicMs() + rec.delay;
        const std::size_t index = timers.size();
        timers.push_back(std::move(rec));
        auto cb = [this, index] { onTimer(index); };
        timers[index].handle = interval ? kit::setInterval(cb, requested) : kit::setTimeout(cb, requested);
        CHECK(timers[index].handle->delay() == timers[index].delay);
    }

    void onTimer(std::size_t index) {
        loopCallbackStarts();
        TimerRec& t = timers[index];
        CHECK(!t.cleared);
        CHECK(t.fires < t.maxFires);
        ++t.fires;
        // Never early. Measured on the loop's own clock (whole ms), not with a clock read
        // here: on a loaded machine the process can be descheduled between the loop's
        // re-arming of an interval and this callback, so a time read here can be late.
        const kit::Loop::Millis now = kit::Loop::getDefault().now();
        if (now < t.earliestMs) {
            std::fprintf(stderr, "timer #%zu (%s, delay %u ms, run %d of %d) fired at loop time %llu, before %llu\n",
                         index, t.interval ? "interval" : "timeout", t.delay, t.fires, t.maxFires,
                         static_cast<unsigned long long>(now), static_cast<unsigned long long>(t.earliestMs));
            fail("a timer fired before its delay");
        }
        if (!t.interval) {
            auto& last = lastTimeoutSeqByDelay[t.delay];
            CHECK(t.seq > last);  // equal delays: scheduling order
            last = t.seq;
        } else {
            // The loop re-armed it before this callback, within this turn: its next run
            // is due delay ms after the turn's time at least (Node re-arms an interval
            // from the time its callback starts).
            t.earliestMs = now + t.delay;
            if (t.fires == t.maxFires) {
                t.cleared = true;
                kit::clearInterval(t.handle);  // closes the handle from its own callback
            }
        }
        run(*t.body);
    }

    void clearTimer(std::uint8_t selector) {
        if (timers.empty()) return;
        TimerRec& t = timers[selector % timers.size()];
        if (t.fires < t.maxFires) t.cleared = true;
        kit::clearTimeout(t.handle);
    }

    void setImmediate(const Op& op) {
        if (immediates.size() >= kMaxImmediates) return;
        const std::size_t index = immediates.size();
        immediates.push_back(ImmediateRec{});
        immediates[index].seq = index + 1;
        const Ops* body = op.body.get();
        immediates[index].handle = kit::setImmediate([this, index, body] {
            loopCallbackStarts();
            ImmediateRec& im = immediates[index];
            CHECK(!im.cleared);
            CHECK(!im.fired);
            im.fired = true;
            CHECK(im.seq > lastImmediateSeq);  // FIFO
            lastImmediateSeq = im.seq;
            run(*body);
        });
    }

    void clearImmediate(std::uint8_t selector) {
        if (immediates.empty()) return;
        ImmediateRec& im = immediates[selector % immediates.size()];
        if (!im.fired) im.cleared = true;
        kit::clearImmediate(im.handle);
    }

    void nextTick(const Op& op) {
        if (ticksQueued >= kMaxTicks) return;
        const std::size_t seq = ticksQueued++;
        const Ops* body = op.body.get();
        kit::process::nextTick([this, seq, body] {
            CHECK(seq == ticksRun);  // FIFO, each once
            ++ticksRun;
            run(*body);
        });
    }

    FuzzPipe* pickPipe(std::uint8_t selector) {
        if (pipes.empty()) return nullptr;
        return pipes[selector % pipes.size()].get();
    }

    void exec(const Op& op) {
        switch (op.kind) {
        case Kind::On: addListener(op, false); break;
        case Kind::Once: addListener(op, true); break;
        case Kind::Off: off(op.a); break;
        case Kind::Emit: emit(op.a % 2, op.b); break;
        case Kind::RemoveAll:
            emitter.removeAllListeners();
            model[0].clear();
            model[1].clear();
            break;
        case Kind::SetTimeout: setTimer(op, false); break;
        case Kind::SetInterval: setTimer(op, true); break;
        case Kind::ClearTimeout: clearTimer(op.a); break;
        case Kind::SetImmediate: setImmediate(op); break;
        case Kind::ClearImmediate: clearImmediate(op.a); break;
        case Kind::NextTick: nextTick(op); break;
        case Kind::PipeOpen:
            if (pipes.size() < kMaxPipes) {
                auto p = FuzzPipe::open(*this, op.body.get());
                if (p) pipes.push_back(std::move(p));
            }
            break;
        case Kind::PipeWrite:
            if (auto* p = pickPipe(op.a)) p->write();
            break;
        case Kind::PipeClose:
            if (auto* p = pickPipe(op.a)) p->close();
            break;
        case Kind::Count: break;
        }
    }

    void finish() {
        auto& loop = kit::Loop::getDefault();
        CHECK(frames.empty());
        CHECK(!loop.alive());
        CHECK(ticksRun == ticksQueued);
        for (const auto& t : timers) CHECK(t.cleared || t.fires == t.maxFires);
        for (const auto& im : immediates) CHECK(im.cleared != im.fired);
        // The pipes are unref'd: close the ones still open and let the close phase run.
        for (auto& p : pipes) p->close();
        loop.run();
        for (const auto& p : pipes) CHECK(p->closeCallbacks == 1);
        CHECK(!loop.alive());
        CHECK(loop.handleCount() == 0);
        emitter.removeAllListeners();
    }
};

std::shared_ptr<FuzzPipe> FuzzPipe::open(State& st, const Ops* body) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) return nullptr;
    auto& loop = kit::Loop::getDefault();
    std::shared_ptr<FuzzPipe> p(new FuzzPipe(loop, st, fds[0], fds[1], body));
    loop.adopt(p);
    p->start();
    return p;
}

void FuzzPipe::onReadable(short revents) {
    auto keep = shared_from_this();  // the body may close this very handle
    st_->loopCallbackStarts();
    CHECK(r_ >= 0);  // a closed pipe's watcher never fires
    CHECK((revents & POLLIN) != 0);
    char buf[256];
    while (::read(r_, buf, sizeof buf) > 0) {
    }
    st_->run(*body_);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in(data, size);
    const Ops program = decode(in, 0);
    // On the heap, not the stack: a callback left behind in the loop by one input would
    // otherwise find the next input's State at the same address and corrupt it quietly;
    // this way ASan reports it as a heap-use-after-free.
    auto st = std::make_unique<State>();
    st->run(program);  // the main program
    kit::Loop::getDefault().run();
    st->finish();
    return 0;
}
