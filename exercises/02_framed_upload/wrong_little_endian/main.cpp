// Exercise 02_framed_upload, wrong_little_endian: a WRONG solution, kept so that the check is proved to refuse it.
//
// The mistake: the length goes out in the CPU's own byte order, least significant byte
// first on x86 (what a memcpy of the integer gives). Against a server written on the
// same machine by the same person it "works"; against any other it announces 2^56
// bytes for a 1-byte file. Network byte order is big-endian.

#include "args.hpp"
#include "buffer.hpp"
#include "console.hpp"
#include "fs.hpp"
#include "net.hpp"
#include "process.hpp"

#include <openssl/evp.h>

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

using namespace kit;

namespace {

// Exercise 02_framed_upload: SHA-256 with OpenSSL's EVP interface (libcrypto, linked
// with -lcrypto): a context, the algorithm, as many updates as there are pieces (one
// here), the final digest. Returns it as 64 lowercase hex characters, as sha256sum(1)
// and Node's hash.digest('hex') write it; "" if OpenSSL fails.
std::string sha256Hex(std::span<const std::uint8_t> bytes) {
    const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned int size = 0;
    if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1 ||
        EVP_DigestUpdate(ctx.get(), bytes.data(), bytes.size()) != 1 ||
        EVP_DigestFinal_ex(ctx.get(), md.data(), &size) != 1)
        return "";
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    for (unsigned int i = 0; i < size; ++i) {
        hex += kHex[md[i] >> 4];
        hex += kHex[md[i] & 0x0f];
    }
    return hex;
}

// Exercise 02_framed_upload: the frame's header. Network byte order is big-endian: the
// most significant byte first, whatever the CPU's own order (x86 and most ARM are
// little-endian: a plain memcpy of the integer would put the least significant first).
// Shifts say it on every machine, as htonl(3) does for 32 bits.
Buffer lengthHeader(std::uint64_t n) {
    std::array<std::uint8_t, 8> header{};
    for (int i = 0; i < 8; ++i) header[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(n >> (8 * i));  // wrong: little-endian
    return Buffer(std::span<const std::uint8_t>(header));
}

} // namespace

int main(int argc, char** argv) {
    const auto flags = args::parse(argc, argv, 8124);
    const std::string PORT = std::to_string(flags.port);
    const std::string HOST = flags.host.value_or("localhost");
    const std::string FILEPATH = "./client_files/client.txt";

    // Exercise 02_framed_upload: the whole file first, to know its length and digest
    // before the first byte goes out. (readFileSync blocks the loop; nothing else runs
    // yet. A file too large for memory would be hashed piece by piece as it is read.)
    Buffer file;
    try {
        file = fs::readFileSync(FILEPATH);
    } catch (const Error& err) {
        console::error(err);
        return 1;
    }
    const std::string digest = sha256Hex(file.bytes());
    if (digest.empty()) {
        console::error("falha ao calcular o SHA-256 (OpenSSL)");
        return 1;
    }

    auto client = net::createSocket();
    client->setEncoding("utf8");
    client->connect(PORT, HOST, [client, file] {
        // Exercise 02_framed_upload: the frame, then our FIN. The answer can still
        // arrive after end(): end() closes our sending side only.
        client->write(lengthHeader(file.size()));
        client->write(file);
        client->end();
    });

    // Exercise 02_framed_upload: the answer may come in several pieces: keep them all.
    auto answer = std::make_shared<std::string>();
    client->on("data", [answer](const std::string& data) { *answer += data; });

    // No server, a reset...: say it, and fail.
    client->on("error", [](const Error& err) {
        console::error(err);
        process::setExitCode(1);
    });

    // Exercise 02_framed_upload: the connection is over: compare.
    client->on("close", [answer, digest] {
        if (process::exitCode() != 0) return;  // the error was printed
        if (*answer == digest + "\n") {
            console::log(digest);
            return;
        }
        process::setExitCode(1);
        if (answer->empty())
            console::error("o servidor fechou a conexao sem responder");
        else
            console::error("o servidor recebeu outra coisa: SHA-256 dele " + answer->substr(0, answer->find('\n')) +
                           ", do arquivo enviado " + digest);
    });

    return process::run();
}
