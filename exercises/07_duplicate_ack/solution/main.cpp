// Exercise 07.2 (solution): a read-only TFTP server that never answers a duplicate ACK
// and retransmits only on its timer.
//
// RFC 1350 in its simplest form: octet mode, 512-byte blocks, one block per ACK, files
// from ./server_files, one new socket (TID) per transfer. Run:
//   build/exercises/07_duplicate_ack/solution --port 16969
//   tftp -m binary 127.0.0.1 16969 -c get FILE
#include "args.hpp"
#include "buffer.hpp"
#include "console.hpp"
#include "dgram.hpp"
#include "process.hpp"
#include "timers.hpp"

#include <cstdint>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

using namespace kit;

constexpr std::size_t kBlock = 512;
constexpr double kTimeoutMs = 200;
constexpr int kMaxSends = 10;

static Buffer packet(std::uint16_t op, std::uint16_t n, const std::uint8_t* data, std::size_t size) {
    std::vector<std::uint8_t> b{static_cast<std::uint8_t>(op >> 8), static_cast<std::uint8_t>(op & 0xff),
                                static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n & 0xff)};
    b.insert(b.end(), data, data + size);
    return Buffer(std::move(b));
}

static Buffer errorPacket(std::uint16_t code, const std::string& message) {
    std::vector<std::uint8_t> m(message.begin(), message.end());
    m.push_back(0);
    return packet(5, code, m.data(), m.size());
}

// One transfer: its socket (TID), the file, the block in flight, its timer.
struct Transfer : std::enable_shared_from_this<Transfer> {
    std::shared_ptr<dgram::Socket> socket = dgram::createSocket("udp4");
    dgram::RemoteInfo peer;
    std::vector<std::uint8_t> file;
    std::uint64_t block = 1;  // the block in flight (64 bits; 16 on the wire)
    int sends = 0;
    std::shared_ptr<Timeout> timer;

    std::uint64_t blocks() const { return file.size() / kBlock + 1; }  // the last one is short

    void sendBlock() {
        const std::size_t off = (block - 1) * kBlock;
        const std::size_t n = std::min(kBlock, file.size() - off);
        socket->send(packet(3, static_cast<std::uint16_t>(block), file.data() + off, n), peer.port, peer.address);
        ++sends;
        // The timer is the only thing that retransmits: when it fires, the DATA or its
        // ACK was lost (or is late). After kMaxSends tries, give up with an ERROR.
        if (timer) clearTimeout(timer);
        std::weak_ptr<Transfer> self = weak_from_this();
        timer = setTimeout([self] {
            auto t = self.lock();
            if (!t) return;
            if (t->sends >= kMaxSends) {
                t->socket->send(errorPacket(0, "timed out"), t->peer.port, t->peer.address);
                t->socket->close();
                return;
            }
            t->sendBlock();
        }, kTimeoutMs);
    }

    void onMessage(const Buffer& msg, const dgram::RemoteInfo& from) {
        if (from.port != peer.port || from.address != peer.address) {
            socket->send(errorPacket(5, "Unknown transfer ID"), from.port, from.address);
            return;
        }
        if (msg.size() < 4) return;
        const std::uint16_t op = static_cast<std::uint16_t>(msg.data()[0] << 8 | msg.data()[1]);
        const std::uint16_t n = static_cast<std::uint16_t>(msg.data()[2] << 8 | msg.data()[3]);
        if (op == 5) { clearTimeout(timer); socket->close(); return; }
        if (op != 4) return;
        // A duplicate ACK (of the block before): the peer got that block twice, or our
        // ACK'd DATA crossed its retransmission. Answering it with DATA again would
        // double every later block: the sorcerer's apprentice. Ignore it.
        if (n != static_cast<std::uint16_t>(block)) return;
        if (block == blocks()) { clearTimeout(timer); socket->close(); return; }
        ++block;
        sends = 0;
        sendBlock();
    }
};

int main(int argc, char** argv) {
    const auto flags = args::parse(argc, argv, 6969);
    auto server = dgram::createSocket("udp4");
    server->on("message", [server](const Buffer& msg, const dgram::RemoteInfo& rinfo) {
        const std::string text(reinterpret_cast<const char*>(msg.data()), msg.size());
        const auto nul = text.find('\0', 2);
        if (msg.size() < 4 || msg.data()[1] != 1 || nul == std::string::npos) {
            server->send(errorPacket(4, "only RRQ here"), rinfo.port, rinfo.address);
            return;
        }
        const std::string name = text.substr(2, nul - 2);
        if (name.find('/') != std::string::npos) {
            server->send(errorPacket(2, "Access violation"), rinfo.port, rinfo.address);
            return;
        }
        std::ifstream in("server_files/" + name, std::ios::binary);
        if (!in) { server->send(errorPacket(1, "File not found"), rinfo.port, rinfo.address); return; }
        auto t = std::make_shared<Transfer>();
        t->file.assign(std::istreambuf_iterator<char>(in), {});
        t->peer = rinfo;
        t->socket->on("message", [t](const Buffer& m, const dgram::RemoteInfo& r) { t->onMessage(m, r); });
        t->socket->bind(0, "127.0.0.1");
        t->sendBlock();
    });
    server->on("listening", [server] { console::log("listening on " + std::to_string(server->address().port)); });
    server->bind(flags.port, flags.host.value_or("127.0.0.1"));
    return process::run();
}
