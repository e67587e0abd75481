// tftp.cpp: one transfer's state machine, tftp::Transfer (see tftp.hpp); the packets
// are in packet.cpp.
#include "tftp.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

namespace tftp {

// ---------------------------------------------------------------- Transfer

Transfer::Transfer(std::shared_ptr<kit::dgram::Socket> socket, Peer peer, Role role, kit::UniqueFd file,
                   std::uint64_t fileSize, Options opts, Done done)
    : socket_(std::move(socket)), peer_(std::move(peer)), role_(role), file_(std::move(file)),
      fileSize_(fileSize), opts_(opts), done_(std::move(done)) {
    // The last block is the first one shorter than blksize: a file of exactly N blocks
    // ends with an empty DATA N+1, or the receiver could not tell "end" from "more".
    totalBlocks_ = fileSize_ / opts_.blksize + 1;
}

void Transfer::sizeReceiveBuffer() {
    // A window arrives as one burst: 16 blocks of 65,464 bytes are 1 MiB, five times
    // Linux's default receive buffer (212,992 bytes). What does not fit is dropped by
    // the kernel (Udp: RcvbufErrors in /proc/net/snmp) and costs a timeout: measured,
    // 1.4 MiB/s instead of 500. TFTP has no flow control to tell the sender; the
    // receiver can only make room. Twice the window, for the kernel's bookkeeping.
    if (role_ != Role::Receiver || opts_.windowsize == 1) return;
    const std::size_t want = std::min<std::size_t>(2 * (opts_.blksize + 4) * opts_.windowsize, 64u << 20);
    if (want <= 212992) return;
    try {
        socket_->setRecvBufferSize(static_cast<int>(want));
    } catch (const kit::Error&) {
        // Not bound (closed meanwhile): nothing to size.
    }
}

void Transfer::start(std::uint16_t ackBlock) {
    if (role_ == Role::Sender) { sendWindow(); return; }
    last_ = makeAck(ackBlock);
    sendPacket(last_);
    arm();
}

void Transfer::startWithOack(kit::Buffer oack) {
    // RFC 2347: after an OACK to a read request, DATA 1 waits for the client's ACK 0,
    // the proof that it accepted the options. Until then the OACK is what we resend.
    last_ = std::move(oack);
    if (role_ == Role::Sender) waitingOackAck_ = true;
    sendPacket(last_);
    arm();
}

void Transfer::sendTo(const kit::Buffer& b, int port, const std::string& address, bool last) {
    // One sendto(2) per packet, right inside send() (the peer's address is a literal
    // and the socket is bound: dgram's fast path, libuv's uv_udp_send). A send error is
    // not fatal: the datagram is simply lost, as on a bad network, and the timer
    // retransmits. So a packet in the middle of a transfer is sent without a callback:
    // like Node's, the kit's dgram then has nothing to queue for a later tick.
    if (closed_) return;
    if (!last) { socket_->send(b, port, address); return; }
    // The final ACK or the ERROR that ends a transfer is followed by close(): its
    // callback (on the next tick) says it left. Closing the socket before then would
    // cancel it (ECANCELED) if the kernel had not taken it yet, and it would never leave.
    ++pendingSends_;
    std::weak_ptr<Transfer> self = weak_from_this();
    socket_->send(b, port, address, [self](const std::optional<kit::Error>&, std::size_t) {
        auto t = self.lock();
        if (t && --t->pendingSends_ == 0 && t->closing_) t->closeNow();
    });
}

void Transfer::closeWhenSent() {
    if (closing_) return;
    closing_ = true;
    if (pendingSends_ == 0) closeNow();
}

void Transfer::closeNow() {
    if (closed_) return;
    closed_ = true;
    socket_->close();
}

void Transfer::onSocketError(const kit::Error& err) {
    // Sends queued behind a failed bind are dropped without a callback (as in Node), so
    // nothing is waited for: record the failure and close.
    closed_ = true;
    if (!finished_) finish({false, kNotDefined, "socket error: " + err.message, false, 0, retransmissions_});
    if (timer_) kit::clearTimeout(timer_);
    try { socket_->close(); } catch (const kit::Error&) {}  // already closed by the failure
}

void Transfer::sendWindow() {
    // RFC 7440: up to windowsize DATA packets in a row, then wait for one ACK. With
    // windowsize 1 this is RFC 1350's lock-step (stop-and-wait).
    const std::uint64_t end = std::min(acked_ + opts_.windowsize, totalBlocks_);
    for (std::uint64_t k = acked_ + 1; k <= end; ++k) {
        // A block sent before is sent again: after a timeout, or after an ACK that
        // stops short of the window (a gap: a block, or its ACK, was lost).
        if (k <= sentUpTo_) ++retransmissions_;
        else sentUpTo_ = k;
        const std::uint64_t offset = blockOffset(k);
        const std::size_t want = blockLength(k);
        // One packet's memory serves block after block: in lock-step the previous
        // DATA's Buffer is gone (sent without a callback: nothing holds it) before its ACK comes, so
        // nothing is allocated or freed per block. While a Buffer of it is still held
        // (the rest of a window in flight, a datagram queued in the socket), changing
        // it would change what is sent: a new packet then, and the old one is freed by
        // whoever holds it last.
        if (k == aheadBlock_ && ahead_.use_count() == 1) {
            // Read ahead while the peer was busy with the block before (readAhead).
            std::swap(packet_, ahead_);
            aheadBlock_ = 0;
        } else {
            if (!packet_ || packet_.use_count() > 1)
                packet_ = std::make_shared_for_overwrite<std::uint8_t[]>(kDataHeader + opts_.blksize);
            putDataHeader(packet_.get(), static_cast<std::uint16_t>(k & 0xffff));
            if (!readBlock(offset, packet_.get() + kDataHeader, want)) return;
        }
        sendPacket(kit::Buffer(packet_, kDataHeader + want));
    }
    arm();
    readAhead(end + 1);
}

// One timer per transfer: the retransmission timeout, or after the final ACK the
// dally (armDally). Either way it ends in onTimeout().
//
// At windowsize 1 the timer is re-armed after every block, thousands of times a
// second, and it almost never fires. So re-arming only moves a number, the deadline,
// computed from the loop's time for this turn (Loop::now(): read once after poll(2)
// returned, no clock read here). The loop's timer stays where it is, due at or before
// the deadline; when it fires early (onTimer) it is set again for what is left (Node's
// timer lists do the same: listOnTimeout re-schedules a list whose first timer is not
// due yet). Moving the timer in the loop on every block instead (timer_->refresh():
// an erase and an insert in the loop's ordered sets, a clock read, a new callback) cost,
// with the copy of each parsed packet (packet.cpp), about a tenth of the server's CPU
// per block at blksize 512 (issue 17; docs/performance.md, "Lesson 07: TFTP").
void Transfer::arm(int ms) {
    deadline_ = kit::Loop::getDefault().now() + static_cast<kit::Loop::Millis>(ms);
    if (timer_ && timer_->pending() && timerDue_ <= deadline_) return;  // it will look at deadline_
    startTimer(static_cast<kit::Loop::Millis>(ms));
}

void Transfer::startTimer(kit::Loop::Millis ms) {
    if (timer_) kit::clearTimeout(timer_);
    timerDue_ = kit::Loop::getDefault().now() + ms;
    std::weak_ptr<Transfer> self = weak_from_this();
    timer_ = kit::setTimeout([self] { if (auto t = self.lock()) t->onTimer(); }, static_cast<double>(ms));
}

void Transfer::onTimer() {
    const kit::Loop::Millis now = kit::Loop::getDefault().now();
    if (now < deadline_) { startTimer(deadline_ - now); return; }  // re-armed since: not yet
    onTimeout();
}

void Transfer::arm() { arm(opts_.timeoutMs); }

// The dally lasts kDallyTimeouts of the peer's retransmission timeouts: its copy of
// the last DATA comes one timeout after the original, and it may be lost on the way
// too. One timeout only would race the peer's own timer and lose.
void Transfer::armDally() { arm(opts_.timeoutMs * kDallyTimeouts); }

void Transfer::onTimeout() {
    if (finished_) { closeWhenSent(); return; }  // the dally after the final ACK is over
    // Whoever waits retransmits: the sender its window, the receiver its last ACK (so a
    // lost ACK is recovered even when the sender's timer is slower). Bounded: a peer
    // that is gone must not keep us sending forever.
    if (++retries_ > kMaxRetries) {
        abort(kNotDefined, fmt::format("timed out after {} retries", kMaxRetries));
        return;
    }
    if (role_ == Role::Sender && !waitingOackAck_) { sendWindow(); return; }  // counts the blocks it resends
    ++retransmissions_;
    sendPacket(last_);
    arm();
}

void Transfer::onMessage(const kit::Buffer& msg, const kit::dgram::RemoteInfo& rinfo) {
    if (closing_) return;
    const auto r = parse(std::span<const std::uint8_t>(msg.data(), msg.size()));
    // RFC 1350 section 4: a packet from another TID (port) is an error *for that
    // sender*, not for this transfer: it gets ERROR 5 and changes nothing here. This is
    // what keeps a stray or forged datagram from corrupting a transfer.
    if (rinfo.port != peer_.port || rinfo.address != peer_.address) {
        if (!r.packet || r.packet->op != Op::ERROR)  // never answer an ERROR with one
            sendTo(makeError(kUnknownTid, "Unknown transfer ID"), rinfo.port, rinfo.address);
        return;
    }
    if (!r.packet) { if (!finished_) abort(kIllegal, "Illegal TFTP operation: " + r.error); return; }
    handle(*r.packet);
}

void Transfer::handle(const Packet& p) {
    if (finished_) {
        // Dallying after our final ACK: the peer did not get it and sent its last DATA
        // again. Answer with the same ACK, and dally again from now: that ACK may be
        // lost too.
        if (role_ == Role::Receiver && p.op == Op::DATA && dally_) { sendPacket(last_); armDally(); }
        return;
    }
    switch (p.op) {
    case Op::ERROR:
        finish({false, p.code, p.message, true, 0, retransmissions_});
        return;
    case Op::ACK:
        if (role_ == Role::Sender) { onAck(p.block); return; }
        break;
    case Op::DATA:
        if (role_ == Role::Receiver) { onData(p.block, p.data); return; }
        break;
    case Op::OACK:
        // The server's OACK again: our answer to it (ACK 0 on a get, DATA 1 on a put)
        // was lost, and its timer resent the OACK. A duplicate, not an error: the
        // receiver repeats its ACK 0, the sender lets its own timer resend DATA 1.
        if (role_ == Role::Receiver && received_ == 0) { sendPacket(last_); return; }
        if (role_ == Role::Sender && acked_ == 0 && !waitingOackAck_) return;
        break;
    default:
        break;
    }
    abort(kIllegal, "Illegal TFTP operation");
}

void Transfer::onAck(std::uint16_t wire) {
    if (waitingOackAck_) {
        if (wire != 0) return;
        waitingOackAck_ = false;
        retries_ = 0;
        sendWindow();
        return;
    }
    // Which block does this 16-bit number acknowledge? One of those in flight:
    // acked_+1 .. acked_+windowsize. Anything else is old (a duplicate, or late).
    std::uint64_t k = 0;
    for (std::uint64_t j = 1; j <= opts_.windowsize && acked_ + j <= totalBlocks_; ++j)
        if (((acked_ + j) & 0xffff) == wire) { k = acked_ + j; break; }
    // The sorcerer's apprentice (RFC 1123 4.2.3.1): if a duplicate ACK made us send the
    // next DATA again, every duplicated packet would be doubled forever after. So a
    // duplicate ACK is ignored; only the timer ever retransmits.
    if (k == 0) return;
    acked_ = k;
    retries_ = 0;
    if (progress_) progress_(std::min(acked_ * opts_.blksize, fileSize_));
    if (acked_ == totalBlocks_) {
        finish({true, 0, {}, false, fileSize_, retransmissions_});
        return;
    }
    sendWindow();  // RFC 7440: a new window starts after the block acknowledged
}

void Transfer::onData(std::uint16_t wire, std::span<const std::uint8_t> data) {
    const std::uint64_t expected = received_ + 1;
    if (wire != (expected & 0xffff)) {
        // A duplicate (our ACK was lost) or a block after a gap (one was lost): say
        // again what we have, once per gap with a window, so the sender restarts there.
        if (opts_.windowsize == 1 || !gapAcked_) {
            gapAcked_ = true;
            last_ = makeAck(static_cast<std::uint16_t>(received_ & 0xffff));
            sendPacket(last_);
        }
        return;
    }
    if (data.size() > opts_.blksize) { abort(kIllegal, "DATA larger than blksize"); return; }
    received_ = expected;
    fileSize_ += data.size();
    gapAcked_ = false;
    retries_ = 0;
    const bool lastBlock = data.size() < opts_.blksize;
    if (!lastBlock && ++inWindow_ >= opts_.windowsize) {
        // An ACK goes out before its block is written, as tftpd-hpa does (its "write
        // behind"): the peer reads and sends its next block while we write this one,
        // instead of waiting for our write(2) (64 KiB blocks put: 0.75x in.tftpd's speed
        // with the write first, same CPU). An ACK says "received", not "on disk": if the
        // write fails, the next DATA is answered with an ERROR and the file goes.
        inWindow_ = 0;
        last_ = makeAck(static_cast<std::uint16_t>(received_ & 0xffff));
        sendPacket(last_);
    }
    // The last block, though, is written (and the buffer flushed) before its ACK.
    if (!writeBlock(data) || (lastBlock && !flushWrites())) return;
    if (progress_) progress_(fileSize_);
    if (lastBlock) {
        // The final ACK tells the peer "your file is here": it leaves only after the
        // owner has put the file in place (finish runs done first). sendto(2) runs
        // inside send(), so the peer may act on that ACK before our next line.
        inWindow_ = 0;
        last_ = makeAck(static_cast<std::uint16_t>(received_ & 0xffff));
        finish({true, 0, {}, false, fileSize_, retransmissions_}, true);
        return;
    }
    arm();
}

// ---------------------------------------------------------------- the file
// A regular file is read and written inline, on the loop's thread: poll(2) cannot wait
// on a disk, and Node would send each call to the thread pool (fs.read, fs.write), but
// a file in the page cache answers in microseconds, so the lesson keeps it readable.
// Not one system call per block, though: at blksize 512 that was a third of the
// server's system calls (strace -c: pread64, sendto and recvmsg, one each per block),
// where in.tftpd reads and writes through stdio's buffer. The file moves in pieces of
// kFileChunk: pread(2) of the next 64 KiB when a block is not in the piece read ahead,
// write(2) when the blocks received fill one. Blocks larger than half a piece go
// straight between the file and the packet.
namespace {
constexpr std::size_t kFileChunk = 64 * 1024;

// pread(2) of exactly @p length bytes at @p offset (a retransmitted window reads its
// blocks again from wherever they are). False with errno set, or with errno 0 when the
// file ended first (it shrank while being sent).
bool preadAll(int fd, std::uint8_t* into, std::size_t length, std::uint64_t offset) {
    std::size_t got = 0;
    while (got < length) {
        const ssize_t n = ::pread(fd, into + got, length - got, static_cast<off_t>(offset + got));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            if (n == 0) errno = 0;
            return false;
        }
        got += static_cast<std::size_t>(n);
    }
    return true;
}
}  // namespace

bool Transfer::fillChunk(std::uint64_t offset) {
    if (!chunk_) chunk_ = std::make_unique_for_overwrite<std::uint8_t[]>(kFileChunk);
    const auto length = static_cast<std::size_t>(std::min<std::uint64_t>(kFileChunk, fileSize_ - offset));
    chunkLength_ = 0;  // nothing valid while it is being refilled
    if (!preadAll(file_.get(), chunk_.get(), length, offset)) return false;
    chunkOffset_ = offset;
    chunkLength_ = length;
    return true;
}

bool Transfer::inChunk(std::uint64_t offset, std::size_t want) const {
    return chunkLength_ > 0 && offset >= chunkOffset_ && offset + want <= chunkOffset_ + chunkLength_;
}

bool Transfer::readBlock(std::uint64_t offset, std::uint8_t* to, std::size_t want) {
    bool ok = true;
    if (inChunk(offset, want)) {
        std::memcpy(to, chunk_.get() + (offset - chunkOffset_), want);
    } else if (want > kFileChunk / 2) {
        // A large block not read ahead: straight into the packet after its header (the
        // only copy is the kernel's; memory not zeroed first, as Buffer.allocUnsafe).
        ok = preadAll(file_.get(), to, want, offset);
    } else if ((ok = fillChunk(offset))) {
        std::memcpy(to, chunk_.get(), want);
    }
    if (!ok) abort(kNotDefined, errno != 0 ? fmt::format("read error: {}", std::strerror(errno)) : "file changed while read");
    return ok;
}

// Large blocks bypass the 64 KiB piece, so each one would be read only once its ACK
// came: pread(2) between the ACK and the next DATA, on the round trip's critical path,
// while the peer waits (blksize 65464, windowsize 1: 0.6-0.7x in.tftpd's get). in.tftpd
// reads its next block while it waits for the ACK. So does this: the block after the
// window goes straight into a second packet (a double buffer, no copy), and sendWindow
// sends it as it is when its turn comes. A failed read here is forgotten: the block is
// read again in its turn, and that read reports the error.
void Transfer::readAhead(std::uint64_t k) {
    if (opts_.blksize <= kFileChunk / 2 || k > totalBlocks_ || k == aheadBlock_) return;
    if (!ahead_ || ahead_.use_count() > 1)
        ahead_ = std::make_shared_for_overwrite<std::uint8_t[]>(kDataHeader + opts_.blksize);
    putDataHeader(ahead_.get(), static_cast<std::uint16_t>(k & 0xffff));
    aheadBlock_ = preadAll(file_.get(), ahead_.get() + kDataHeader, blockLength(k), blockOffset(k)) ? k : 0;
}

bool Transfer::writeBlock(std::span<const std::uint8_t> data) {
    if (data.size() > kFileChunk / 2) return flushWrites() && writeAll(data);
    if (chunkLength_ + data.size() > kFileChunk && !flushWrites()) return false;
    if (!chunk_) chunk_ = std::make_unique_for_overwrite<std::uint8_t[]>(kFileChunk);
    std::memcpy(chunk_.get() + chunkLength_, data.data(), data.size());
    chunkLength_ += data.size();
    return true;
}

bool Transfer::flushWrites() {
    const std::size_t n = chunkLength_;
    chunkLength_ = 0;
    return n == 0 || writeAll({chunk_.get(), n});
}

bool Transfer::writeAll(std::span<const std::uint8_t> bytes) {
    // write(2), in order, to the file we own. A full disk ends the transfer with ERROR 3
    // (the owner removes the partial file): the blocks already acknowledged are lost
    // with it, which the peer learns from the ERROR.
    std::size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::write(file_.get(), bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            abort(errno == ENOSPC ? kDiskFull : kNotDefined, fmt::format("write error: {}", std::strerror(errno)));
            return false;
        }
        done += static_cast<std::size_t>(n);
    }
    return true;
}

void Transfer::abort(std::uint16_t code, std::string message) {
    if (finished_) return;
    sendPacket(makeError(code, message), true);
    finish({false, code, std::move(message), false, 0, retransmissions_});
}

void Transfer::finish(Outcome o, bool sendLast) {
    if (finished_) return;
    finished_ = true;
    if (timer_) kit::clearTimeout(timer_);
    timer_.reset();
    file_.reset();  // close(2) before the owner renames or unlinks it
    auto done = std::move(done_);
    if (done) done(o);
    if (sendLast) sendPacket(last_, true);  // the receiver's final ACK, once the file is in place
    // RFC 1350 section 6: the side that sends the final ACK should wait a while
    // ("dally") in case that ACK is lost and the last DATA comes again. The sender of
    // the final ACK is the receiver; everybody else closes the TID now.
    if (o.ok && role_ == Role::Receiver && dally_) armDally();
    else closeWhenSent();
}

}  // namespace tftp
