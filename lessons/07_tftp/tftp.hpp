// tftp.hpp: TFTP packets (packet.cpp) and one transfer's state machine (tftp.cpp),
// shared by server.cpp and client.cpp (lesson 07).
//
// The document's UDP client (lesson 04) sends a whole file in one datagram and hopes.
// TFTP (RFC 1350) is the smallest real protocol that turns UDP into a reliable file
// transfer, and it does it with exactly the pieces TCP hides inside the kernel:
//
//   - the file is cut into numbered blocks (DATA n), so a receiver can tell a new block
//     from a duplicate and put them in order;
//   - every block (or every window of blocks, RFC 7440) is acknowledged (ACK n);
//   - whoever waits too long retransmits (a timer per transfer) and gives up after a
//     bounded number of tries, telling the peer with an ERROR packet;
//   - the end of the file is a block shorter than the block size (0 bytes if the size
//     is an exact multiple), since UDP has no FIN.
//
// What TFTP still lacks next to TCP: congestion control (a sender never slows down for
// a loaded network), flow control beyond one fixed window, and any integrity check
// beyond UDP's 16-bit checksum. README.md shows each with this lesson's traces.
#pragma once

#include "buffer.hpp"
#include "dgram.hpp"
#include "fd.hpp"
#include "timers.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tftp {

// ---------------------------------------------------------------- packets
/// @brief The opcodes: the first two bytes of every packet, big-endian.
enum class Op : std::uint16_t { RRQ = 1, WRQ = 2, DATA = 3, ACK = 4, ERROR = 5, OACK = 6 };

/// @brief RFC 1350's error codes (and 8 from RFC 2347).
enum Code : std::uint16_t {
    kNotDefined = 0, kNotFound = 1, kAccess = 2, kDiskFull = 3, kIllegal = 4,
    kUnknownTid = 5, kExists = 6, kNoUser = 7, kBadOption = 8,
};

/// @brief RRQ/WRQ: filename, mode and the RFC 2347 options, in the order sent.
struct Request {
    Op op = Op::RRQ;
    std::string filename;
    std::string mode;
    std::vector<std::pair<std::string, std::string>> options;
};

/// @brief Any packet, decoded. Only the fields of its opcode are set.
struct Packet {
    Op op = Op::ERROR;
    Request request;                  // RRQ, WRQ
    std::uint16_t block = 0;          // DATA, ACK
    std::span<const std::uint8_t> data;  // DATA (a view into the datagram)
    std::uint16_t code = 0;           // ERROR
    std::string message;              // ERROR
    std::vector<std::pair<std::string, std::string>> options;  // OACK
};

/// @brief Decode one datagram. A malformed one (too short, unknown opcode, a string
/// without its NUL) gives the reason instead of a packet: never an exception, never a
/// read past the end, because every byte of it came from someone we do not trust.
struct ParseResult {
    std::optional<Packet> packet;
    std::string error;  ///< why it was refused, when packet is empty
};
ParseResult parse(std::span<const std::uint8_t> bytes);

kit::Buffer makeRequest(const Request& r);
kit::Buffer makeData(std::uint16_t block, std::span<const std::uint8_t> data);
kit::Buffer makeAck(std::uint16_t block);
/// @brief Write DATA's 4-byte header (opcode 3, @p block) at @p out: the sender reads
/// each block straight into its packet, after this header (no copy of the block).
constexpr std::size_t kDataHeader = 4;
void putDataHeader(std::uint8_t* out, std::uint16_t block);
kit::Buffer makeError(std::uint16_t code, std::string_view message);
kit::Buffer makeOack(const std::vector<std::pair<std::string, std::string>>& options);

/// @brief Human-readable one-line summary ("DATA 7 (512 B)") for KIT_TRACE and logs.
std::string describe(const Packet& p);

// ---------------------------------------------------------------- options
/// @brief The negotiated parameters of one transfer (defaults: RFC 1350's).
struct Options {
    std::size_t blksize = 512;     ///< RFC 2348: 8..65464 bytes per DATA
    std::size_t windowsize = 1;    ///< RFC 7440: DATA packets per ACK, 1..65535
    int timeoutMs = 1000;          ///< RFC 2349 "timeout" (seconds on the wire)
    std::optional<std::uint64_t> tsize;  ///< RFC 2349: the file's size, when known
};
constexpr std::size_t kMinBlksize = 8, kMaxBlksize = 65464;
// Retransmissions of one packet (or window) before giving up. With 20% of the packets
// lost each way, a block and its ACK both arrive with probability 0.8 x 0.8 = 0.64, so
// 9 failures in a row happen with probability 0.36^9, about 1e-4 per block: 5 tries
// (0.36^6, 2e-3) would abort one 128-block transfer in four.
constexpr int kMaxRetries = 8;
/// How many retransmission timeouts the receiver dallies after its final ACK (RFC 1350 section 6).
constexpr int kDallyTimeouts = 3;
// Sends of the request before the client gives up (nobody answering at all): as many
// as of any other packet, or 20% loss each way would end one transfer in 170 here
// (0.36^5; seen in tests/integration/tftp.test.js's loss case, 1 run in 14).
constexpr int kRequestTries = kMaxRetries + 1;

/// @brief Parse a decimal option value; nullopt for anything else (empty, a sign,
/// letters, more digits than fit): a huge or negative value is refused here.
std::optional<std::uint64_t> parseNumber(std::string_view s);

/// @brief Compare option names as RFC 2347 asks: case-insensitively.
bool sameName(std::string_view a, std::string_view b);

// ---------------------------------------------------------------- one transfer
/// @brief Where the other end of a transfer is: its address and its TID (port).
struct Peer {
    std::string address;
    int port = 0;
};

/// @brief How a transfer ended: ok, or the TFTP error (ours or the peer's).
struct Outcome {
    bool ok = false;
    std::uint16_t code = 0;
    std::string message;
    bool fromPeer = false;  ///< the peer sent the ERROR (else we gave up and sent it)
    std::uint64_t bytes = 0;
    /// Packets sent again: by the sender, each DATA block sent a second time (after a
    /// timeout, or after an ACK that stopped short of its window); by the receiver, each
    /// ACK (or OACK) its timer resent.
    std::uint64_t retransmissions = 0;
};

/// @brief One side of one transfer, on its own socket (its TID): the sender of the
/// blocks (server on RRQ, client on put) or their receiver (server on WRQ, client on
/// get). Owns the file descriptor and the retransmission timer; `done` runs once.
///
/// It never answers a duplicate ACK with data (the sorcerer's apprentice bug, RFC
/// 1123 4.2.3.1): only the timer retransmits. A datagram from any other address or
/// port gets ERROR 5 and changes nothing.
class Transfer : public std::enable_shared_from_this<Transfer> {
public:
    enum class Role { Sender, Receiver };
    using Done = std::function<void(const Outcome&)>;
    /// @brief Called with the bytes transferred so far: after each block written in
    /// order (Receiver), after each ACK that moves the window (Sender).
    using Progress = std::function<void(std::uint64_t bytes)>;

    Transfer(std::shared_ptr<kit::dgram::Socket> socket, Peer peer, Role role, kit::UniqueFd file,
             std::uint64_t fileSize, Options opts, Done done);

    /// @brief Sender: send the first window (DATA 1...). Receiver: send ACK @p ackBlock
    /// (ACK 0 after a WRQ without options, or after our OACK was answered) and wait.
    void start(std::uint16_t ackBlock = 0);
    /// @brief Sender only: wait for ACK 0 after an OACK went out (the OACK is what the
    /// timer retransmits until then).
    void startWithOack(kit::Buffer oack);
    /// @brief Receiver only: the first DATA already arrived with the peer's TID (the
    /// client's get without options: DATA 1 answers the RRQ).
    void handle(const Packet& p);
    /// @brief A datagram arrived on this transfer's socket.
    void onMessage(const kit::Buffer& msg, const kit::dgram::RemoteInfo& rinfo);
    /// @brief The socket failed (its `error` event: the bind found no free port, no
    /// descriptor left...): end the transfer without sending anything.
    void onSocketError(const kit::Error& err);
    /// @brief Receiver: ask the kernel for a receive buffer that holds a whole window
    /// (SO_RCVBUF, capped by net.core.rmem_max). Call once the socket is bound.
    void sizeReceiveBuffer();
    /// @brief Abort with an ERROR sent to the peer (e.g. the user interrupted).
    void abort(std::uint16_t code, std::string message);
    /// @brief Progress callback (bytes so far), e.g. for a terminal's progress line.
    void onProgress(Progress p) { progress_ = std::move(p); }
    const Options& options() const { return opts_; }
    /// @brief Receiver: after the final ACK, keep the socket one timeout longer to
    /// answer a repeated last DATA (RFC 1350 section 6). The server does; the client
    /// exits at once, as tftp-hpa's does.
    void setDally(bool on) { dally_ = on; }

private:
    void sendWindow();
    /// @p last: the packet that ends the transfer (final ACK, ERROR): close waits for it.
    void sendPacket(const kit::Buffer& b, bool last = false) { sendTo(b, peer_.port, peer_.address, last); }
    void sendTo(const kit::Buffer& b, int port, const std::string& address, bool last = false);
    void closeWhenSent();
    void closeNow();
    void arm(int ms);
    void arm();
    void startTimer(kit::Loop::Millis ms);
    void onTimer();
    void armDally();
    void onTimeout();
    void finish(Outcome o, bool sendLast = false);
    void onAck(std::uint16_t wire);
    void onData(std::uint16_t wire, std::span<const std::uint8_t> data);
    bool readBlock(std::uint64_t offset, std::uint8_t* to, std::size_t want);
    void readAhead(std::uint64_t block);
    /// Block k's place in the file and its length (the last one is short, maybe empty).
    std::uint64_t blockOffset(std::uint64_t k) const { return (k - 1) * opts_.blksize; }
    std::size_t blockLength(std::uint64_t k) const {
        const std::uint64_t offset = blockOffset(k);
        return static_cast<std::size_t>(std::min<std::uint64_t>(opts_.blksize, fileSize_ > offset ? fileSize_ - offset : 0));
    }
    bool fillChunk(std::uint64_t offset);
    bool inChunk(std::uint64_t offset, std::size_t want) const;
    bool writeBlock(std::span<const std::uint8_t> data);
    bool flushWrites();
    bool writeAll(std::span<const std::uint8_t> bytes);

    std::shared_ptr<kit::dgram::Socket> socket_;
    Peer peer_;
    Role role_;
    kit::UniqueFd file_;
    std::uint64_t fileSize_;
    Options opts_;
    Done done_;
    Progress progress_;
    std::shared_ptr<kit::Timeout> timer_;
    kit::Loop::Millis deadline_ = 0;  // when the retransmission (or the dally's end) is due
    kit::Loop::Millis timerDue_ = 0;  // when timer_ fires: at or before deadline_
    kit::Buffer last_;            // what the timer retransmits (Receiver: last ACK; OACK)
    std::shared_ptr<std::uint8_t[]> packet_;  // Sender: the DATA packet, reused (sendWindow)
    std::shared_ptr<std::uint8_t[]> ahead_;   // Sender, large blocks: the next DATA, read ahead
    std::uint64_t aheadBlock_ = 0;            // which block ahead_ holds (0: none)
    // The file in pieces of kFileChunk, not a system call per block (readBlock, writeBlock).
    std::unique_ptr<std::uint8_t[]> chunk_;
    std::uint64_t chunkOffset_ = 0;  // Sender: where the bytes read ahead start in the file
    std::size_t chunkLength_ = 0;    // Sender: bytes read ahead; Receiver: bytes not yet written
    bool waitingOackAck_ = false;
    bool finished_ = false;
    bool dally_ = false;
    int pendingSends_ = 0;      // sends not yet called back
    bool closing_ = false;      // close once they are
    bool closed_ = false;       // the socket is closed: nothing more is sent
    int retries_ = 0;
    std::uint64_t retransmissions_ = 0;
    // Block numbers are counted in 64 bits here and cut to 16 bits on the wire: block
    // 65,536 goes out as 0 (rollover, as tftp-hpa, atftp and curl all do).
    std::uint64_t totalBlocks_ = 0;  // Sender: size / blksize + 1 (the last one is short)
    std::uint64_t acked_ = 0;        // Sender: blocks acknowledged
    std::uint64_t sentUpTo_ = 0;     // Sender: highest block sent (a lower one again is a retransmission)
    std::uint64_t received_ = 0;     // Receiver: blocks written, in order
    std::uint64_t inWindow_ = 0;     // Receiver: blocks since the last ACK
    bool gapAcked_ = false;          // Receiver: already answered this gap with an ACK
};

}  // namespace tftp
