// tftp_transfer_fuzz.cpp: libFuzzer target for lesson 07's state machine, one
// tftp::Transfer (lessons/07_tftp/tftp.cpp), fed a sequence of datagrams "from the
// peer", as the server's TID socket would receive them.
//
//   make fuzz                                   (builds build/fuzz/tftp_transfer_fuzz)
//   build/fuzz/tftp_transfer_fuzz FILE...       replay inputs (what `make check` does)
//
// tftp.cpp and packet.cpp are compiled into this target (included below): lesson files,
// not the library's. The Transfer needs a real dgram socket (it has no other way to
// send), so each input gets one bound to 127.0.0.1:0 on the kit's loop, and the peer is
// a plain UDP "sink" socket the target reads at the end. The datagrams are not sent
// through the kernel: they go straight to Transfer::onMessage with the rinfo the input
// chooses (the peer's TID, or a stranger's), so an input replays the same way every time.
//
// Input (FuzzedDataProvider): the role (sender: the server on RRQ; receiver: the server
// on WRQ), blksize (8..2048 or 65464), windowsize (1..8), the file's size for a sender
// (0..8 KiB), whether it starts with an OACK, then up to 48 steps, each one of:
// a raw datagram of 0..64 bytes; a DATA (block near the next expected one, 0..blksize+1
// bytes); an ACK (block near the window); an ERROR; an OACK; any of these from a wrong
// TID; or "wait" (2 ms: the 1 ms retransmission timer fires, retransmits, counts a retry).
// Steps run one per setImmediate, so send callbacks and timers interleave as on a wire.
// After the last step the transfer is aborted if still running, and the loop runs dry.
//
// Invariants (a failure prints what broke and aborts, which libFuzzer records):
//  * no crash, no sanitizer report, no hang (libFuzzer's -timeout);
//  * `done` runs exactly once, and the socket is closed when the loop is done;
//  * no descriptor leaked: /proc/self/fd has as many entries after as before;
//  * receiver: on success the file holds exactly the in-order payloads of the DATA
//    packets a model accepts (block == next expected, size <= blksize, until a short
//    one), and the outcome's byte count is the file's size; on failure it holds a
//    prefix of them (blocks are written 64 KiB at a time, and what was not written yet
//    goes with the file, which the server and the client remove);
//  * sender: every DATA it sent carries the file's bytes for its block number, and
//    success needs an ACK of the last block from the peer;
//  * every datagram sent to a stranger is ERROR 5, and the peer never gets ERROR 5.
#include "../lessons/07_tftp/packet.cpp"
#include "../lessons/07_tftp/tftp.cpp"

#include "loop.hpp"
#include "timers.hpp"

#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <functional>
#include <vector>

namespace {

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "tftp_transfer_fuzz: invariant broken: %s\n", what);
    std::fflush(stderr);
    std::abort();
}

int openFds() {
    int n = 0;
    if (DIR* d = ::opendir("/proc/self/fd")) {
        while (::readdir(d) != nullptr) ++n;
        ::closedir(d);
    }
    return n;
}

// A UDP socket bound to 127.0.0.1:0 that nobody reads until the input is over.
struct Sink {
    kit::UniqueFd fd;
    int port = 0;
    Sink() : fd(::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) {
        if (!fd) fail("sink socket(2)");
        int big = 8 << 20;
        ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), len) < 0 ||
            ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&a), &len) < 0)
            fail("sink bind(2)");
        port = ntohs(a.sin_port);
    }
    std::vector<std::vector<std::uint8_t>> drain() const {
        std::vector<std::vector<std::uint8_t>> out;
        std::vector<std::uint8_t> buf(70000);
        for (;;) {
            const ssize_t n = ::recv(fd.get(), buf.data(), buf.size(), 0);
            if (n < 0) break;
            out.emplace_back(buf.begin(), buf.begin() + n);
        }
        return out;
    }
};

std::uint16_t be16(const std::vector<std::uint8_t>& d, std::size_t at) {
    return static_cast<std::uint16_t>(d[at] << 8 | d[at + 1]);
}

kit::UniqueFd memfd(const std::vector<std::uint8_t>& content) {
    kit::UniqueFd fd(::memfd_create("tftp_transfer_fuzz", MFD_CLOEXEC));
    if (!fd) fail("memfd_create(2)");
    if (!content.empty() && ::write(fd.get(), content.data(), content.size()) != static_cast<ssize_t>(content.size()))
        fail("write(2) to the memfd");
    return fd;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const Sink peer, stranger;  // live for the whole run, like the loop
    // The loop opens its own descriptors (the poll wake-up) on its first run: run it
    // once, empty, before counting.
    static const bool warm = [] { kit::setImmediate([] {}); kit::Loop::getDefault().run(); return true; }();
    (void)warm;
    (void)peer.drain();
    (void)stranger.drain();
    const int fdsBefore = openFds();
    FuzzedDataProvider in(data, size);

    const bool sender = in.ConsumeBool();
    tftp::Options opts;
    opts.blksize = in.ConsumeBool() ? tftp::kMaxBlksize : in.ConsumeIntegralInRange<std::size_t>(8, 2048);
    opts.windowsize = in.ConsumeIntegralInRange<std::size_t>(1, 8);
    opts.timeoutMs = 1;
    const bool withOack = in.ConsumeBool();
    std::vector<std::uint8_t> content(sender ? in.ConsumeIntegralInRange<std::size_t>(0, 8192) : 0);
    for (std::size_t i = 0; i < content.size(); ++i) content[i] = static_cast<std::uint8_t>(i * 131 + 7);

    // The file: the sender's content, or an empty one the receiver writes. A dup(2) of
    // the receiver's memfd stays here, to read back what it wrote.
    kit::UniqueFd file = memfd(content);
    kit::UniqueFd readBack(sender ? -1 : ::dup(file.get()));

    // The steps, decoded up front, so the input's meaning does not depend on timing.
    struct Step { int kind; bool wrongTid; std::uint16_t block; std::size_t len; std::vector<std::uint8_t> raw; };
    std::deque<Step> steps;
    while (in.remaining_bytes() > 0 && steps.size() < 48) {
        Step s{in.ConsumeIntegralInRange<int>(0, 5), false, 0, 0, {}};
        s.wrongTid = in.ConsumeIntegralInRange<int>(0, 7) == 0;
        if (s.kind == 0) s.raw = in.ConsumeBytes<std::uint8_t>(in.ConsumeIntegralInRange<std::size_t>(0, 64));
        s.block = in.ConsumeIntegral<std::uint16_t>();
        s.len = in.ConsumeIntegralInRange<std::size_t>(0, opts.blksize + 1);
        steps.push_back(std::move(s));
    }

    auto sock = kit::dgram::createSocket("udp4");
    int doneCalls = 0;
    tftp::Outcome outcome;
    auto t = std::make_shared<tftp::Transfer>(
        sock, tftp::Peer{"127.0.0.1", peer.port},
        sender ? tftp::Transfer::Role::Sender : tftp::Transfer::Role::Receiver, std::move(file), content.size(), opts,
        [&](const tftp::Outcome& o) { ++doneCalls; outcome = o; });
    sock->on("message", [t](const kit::Buffer& m, const kit::dgram::RemoteInfo& ri) { t->onMessage(m, ri); });
    sock->on("error", [t](const kit::Error& e) { t->onSocketError(e); });

    // The receiver model: which DATA packets it must accept, and the bytes they make.
    std::vector<std::uint8_t> expectedFile;
    std::uint64_t next = 1;
    bool modelDone = false, peerAckedLast = false;
    const std::uint64_t totalBlocks = content.size() / opts.blksize + 1;
    std::uint64_t expectedBlock = 1;  // near which block numbers the steps aim

    std::function<void()> runStep;
    runStep = [&] {
        if (steps.empty()) {
            t->abort(tftp::kNotDefined, "fuzz input over");  // no-op once finished
            return;
        }
        Step s = std::move(steps.front());
        steps.pop_front();
        // Block numbers: mostly near the next expected block, sometimes anything.
        const std::uint16_t block = s.block < 0xf000
            ? static_cast<std::uint16_t>(expectedBlock + (s.block % 5) - 2)
            : s.block;
        std::vector<std::uint8_t> payload(s.len);
        for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<std::uint8_t>(block + i);
        kit::Buffer msg;
        switch (s.kind) {
        case 0: msg = kit::Buffer(std::span<const std::uint8_t>(s.raw)); break;
        case 1: msg = tftp::makeData(block, payload); break;
        case 2: msg = tftp::makeAck(block); break;
        case 3: msg = tftp::makeError(static_cast<std::uint16_t>(s.block % 9), "peer says no"); break;
        case 4: msg = tftp::makeOack({{"blksize", std::to_string(opts.blksize)}}); break;
        default: break;  // wait
        }
        if (s.kind == 5) {
            kit::setTimeout([&] { kit::setImmediate(runStep); }, 2);
            return;
        }
        const kit::dgram::RemoteInfo ri{"127.0.0.1", "IPv4", s.wrongTid ? stranger.port : peer.port, msg.size()};
        if (!s.wrongTid && doneCalls == 0 && !modelDone) {
            // What the receiver must do with it, before it sees it.
            const auto r = tftp::parse(std::span<const std::uint8_t>(msg.data(), msg.size()));
            if (!sender && r.packet && r.packet->op == tftp::Op::DATA && r.packet->block == (next & 0xffff) &&
                r.packet->data.size() <= opts.blksize) {
                expectedFile.insert(expectedFile.end(), r.packet->data.begin(), r.packet->data.end());
                ++next;
                expectedBlock = next;
                if (r.packet->data.size() < opts.blksize) modelDone = true;
            }
            if (sender && r.packet && r.packet->op == tftp::Op::ACK) {
                if (r.packet->block == (totalBlocks & 0xffff)) peerAckedLast = true;
                expectedBlock = r.packet->block + 1u;
            }
        }
        t->onMessage(msg, ri);
        kit::setImmediate(runStep);
    };

    sock->bind(0, "127.0.0.1", [&] {
        if (withOack) t->startWithOack(tftp::makeOack({{"blksize", std::to_string(opts.blksize)}}));
        else t->start(0);
        kit::setImmediate(runStep);
    });
    kit::Loop::getDefault().run();

    if (doneCalls != 1) fail("done did not run exactly once");
    if (sock->fd() != -1) fail("the transfer's socket is still open");
    if (!sender) {
        std::vector<std::uint8_t> got(expectedFile.size() + 70000);
        const ssize_t n = ::pread(readBack.get(), got.data(), got.size(), 0);
        if (n < 0) fail("pread(2) of the receiver's file");
        got.resize(static_cast<std::size_t>(n));
        if (outcome.ok && got != expectedFile) fail("the receiver's file is not the in-order DATA payloads");
        if (!outcome.ok && (got.size() > expectedFile.size() || !std::equal(got.begin(), got.end(), expectedFile.begin())))
            fail("the failed receiver's file is not a prefix of the in-order DATA payloads");
        if (outcome.ok && outcome.bytes != got.size()) fail("success with a byte count that is not the file's size");
        if (outcome.ok && !modelDone) fail("receiver succeeded before a short DATA");
    } else {
        if (outcome.ok && !peerAckedLast) fail("sender succeeded without an ACK of the last block");
    }
    for (const auto& d : peer.drain()) {
        if (d.size() >= 4 && be16(d, 0) == 5 && be16(d, 2) == tftp::kUnknownTid) fail("the peer got ERROR 5");
        if (sender && d.size() >= 4 && be16(d, 0) == 3) {
            const std::uint64_t off = (static_cast<std::uint64_t>(be16(d, 2)) - 1) * opts.blksize;
            if (be16(d, 2) == 0 || off > content.size()) fail("DATA with a block number outside the file");
            const std::size_t len = std::min<std::size_t>(opts.blksize, content.size() - off);
            if (d.size() - 4 != len || (len != 0 && std::memcmp(d.data() + 4, content.data() + off, len) != 0))
                fail("DATA whose bytes are not the file's for its block");
        }
    }
    for (const auto& d : stranger.drain())
        if (d.size() < 4 || be16(d, 0) != 5 || be16(d, 2) != tftp::kUnknownTid) fail("a stranger got something else than ERROR 5");
    readBack.reset();
    if (openFds() != fdsBefore) fail("a descriptor leaked");
    return 0;
}
