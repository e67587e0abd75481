// errors_test.cpp: Node-style error values. Messages and `console.log(err)` output are
// compared with what node v20.20.2 printed for the same failure; the kit has no
// JavaScript stack, so Node's "    at ..." lines are left out of the expected text.
#include "test_support.hpp"

#include "errors.hpp"

#include <netdb.h>

#include <cerrno>

TEST_CASE("a listen error on a port in use has Node's uvExceptionWithHostPort message", "[errors]") {
    // node -e "const net=require('net'); const s=net.createServer().listen(8124,'::',()=>{
    //   const s2=net.createServer(); s2.on('error',e=>{console.log(e); s.close()}); s2.listen(8124,'::')})"
    const auto err = kit::Error::uvWithHostPort(EADDRINUSE, "listen", "::", 8124);
    REQUIRE(err.message == "listen EADDRINUSE: address already in use :::8124");
    REQUIRE(err.code == "EADDRINUSE");
    REQUIRE(err.errnum == -98);
    REQUIRE(err.syscall == "listen");
    REQUIRE(err.address == "::");
    REQUIRE(err.port == 8124);
    test::requireIdle();
}

TEST_CASE("console.log of a listen error prints code before errno, as Node does", "[errors][inspect]") {
    // Node printed (stack lines removed):
    //   Error: listen EADDRINUSE: address already in use :::8124
    //       at Server.setupListenHandle [as _listen2] (node:net:1908:16)  <- removed
    //       ...                                                          <- removed
    //   {
    //     code: 'EADDRINUSE',        (UVExceptionWithHostPort sets code, then errno)
    //     errno: -98, ...
    const auto err = kit::Error::uvWithHostPort(EADDRINUSE, "listen", "::", 8124);
    REQUIRE(kit::inspect(err) ==
            "Error: listen EADDRINUSE: address already in use :::8124 {\n"
            "  code: 'EADDRINUSE',\n"
            "  errno: -98,\n"
            "  syscall: 'listen',\n"
            "  address: '::',\n"
            "  port: 8124\n"
            "}");
    test::requireIdle();
}

TEST_CASE("a refused connection has Node's exceptionWithHostPort message", "[errors]") {
    // node -e "const c=require('net').connect(8124,'127.0.0.1'); c.on('error',e=>console.log(e.message))"
    //   ->  connect ECONNREFUSED 127.0.0.1:8124
    const auto err = kit::Error::withHostPort(ECONNREFUSED, "connect", "127.0.0.1", 8124);
    REQUIRE(err.message == "connect ECONNREFUSED 127.0.0.1:8124");
    REQUIRE(err.errnum == -111);
    test::requireIdle();
}

TEST_CASE("console.log of a refused connection prints errno before code, as Node does", "[errors][inspect]") {
    // Node printed (stack line removed):
    //   Error: connect ECONNREFUSED 127.0.0.1:8124
    //       at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1611:16) {   <- removed
    //     errno: -111,
    //     code: 'ECONNREFUSED',
    //     syscall: 'connect',
    //     address: '127.0.0.1',
    //     port: 8124
    //   }
    const auto err = kit::Error::withHostPort(ECONNREFUSED, "connect", "127.0.0.1", 8124);
    REQUIRE(kit::inspect(err) ==
            "Error: connect ECONNREFUSED 127.0.0.1:8124 {\n"
            "  errno: -111,\n"
            "  code: 'ECONNREFUSED',\n"
            "  syscall: 'connect',\n"
            "  address: '127.0.0.1',\n"
            "  port: 8124\n"
            "}");
    test::requireIdle();
}

TEST_CASE("a missing file has Node's uvException message", "[errors]") {
    // node -e "require('fs').open('./x','r',(e)=>console.log(e.message))"
    //   ->  ENOENT: no such file or directory, open './x'
    const auto err = kit::Error::uv(ENOENT, "open", "./x");
    REQUIRE(err.message == "ENOENT: no such file or directory, open './x'");
    REQUIRE(err.path == "./x");
    REQUIRE(err.errnum == -2);
    test::requireIdle();
}

TEST_CASE("console.log of a missing-file error prints errno, code, syscall, path", "[errors][inspect]") {
    // node -e "require('fs').open('./x','r',(e)=>console.log(e))"
    //   ->  [Error: ENOENT: no such file or directory, open './x'] {
    //         errno: -2,
    //         code: 'ENOENT',
    //         syscall: 'open',
    //         path: './x'
    //       }
    // Node's asynchronous fs errors carry no stack frames, and util.inspect puts such an
    // error's first line in [brackets]. The kit never has stack frames and always prints
    // the first line without brackets (a known difference).
    const auto err = kit::Error::uv(ENOENT, "open", "./x");
    REQUIRE(kit::inspect(err) ==
            "Error: ENOENT: no such file or directory, open './x' {\n"
            "  errno: -2,\n"
            "  code: 'ENOENT',\n"
            "  syscall: 'open',\n"
            "  path: './x'\n"
            "}");
    test::requireIdle();
}

TEST_CASE("a failed name lookup has Node's dnsException message and properties", "[errors][inspect]") {
    // node -e "require('dns').lookup('nosuchhost.invalid',(e)=>console.log(e))"
    //   ->  Error: getaddrinfo ENOTFOUND nosuchhost.invalid
    //           at GetAddrInfoReqWrap.onlookup [as oncomplete] (node:dns:111:26) {   <- removed
    //         errno: -3008,
    //         code: 'ENOTFOUND',
    //         syscall: 'getaddrinfo',
    //         hostname: 'nosuchhost.invalid'
    //       }
    const auto err = kit::Error::dns(EAI_NONAME, "getaddrinfo", "nosuchhost.invalid");
    REQUIRE(kit::inspect(err) ==
            "Error: getaddrinfo ENOTFOUND nosuchhost.invalid {\n"
            "  errno: -3008,\n"
            "  code: 'ENOTFOUND',\n"
            "  syscall: 'getaddrinfo',\n"
            "  hostname: 'nosuchhost.invalid'\n"
            "}");
    test::requireIdle();
}

TEST_CASE("console.log of a plain error with no properties prints only its first line", "[errors][inspect]") {
    // node -e "console.log(new Error('boom'))"  ->  Error: boom  (then "    at" lines)
    REQUIRE(kit::inspect(kit::Error::plain("boom")) == "Error: boom");
    test::requireIdle();
}

TEST_CASE("libuv's names and descriptions of errno values", "[errors]") {
    // node -e "const u=require('util'); for (const n of [-104,-32,-90]) console.log(u.getSystemErrorName(n),
    //          u.getSystemErrorMap().get(n)[1])"
    //   ->  ECONNRESET connection reset by peer / EPIPE broken pipe / EMSGSIZE message too long
    REQUIRE(kit::errorCode(ECONNRESET) == "ECONNRESET");
    REQUIRE(kit::errorDescription(ECONNRESET) == "connection reset by peer");
    REQUIRE(kit::errorCode(EPIPE) == "EPIPE");
    REQUIRE(kit::errorDescription(EPIPE) == "broken pipe");
    REQUIRE(kit::errorCode(EMSGSIZE) == "EMSGSIZE");
    REQUIRE(kit::errorDescription(EMSGSIZE) == "message too long");
    test::requireIdle();
}

TEST_CASE("an AggregateError prints as Node prints it: code in the first line, [errors] nested",
          "[errors]") {
    // node (docs/node-oracle.md 1.3, stack frames left out as everywhere in the kit):
    // console.log of the error connect() gives when localhost is ::1 and 127.0.0.1.
    const kit::Error agg = kit::Error::aggregate({kit::Error::withHostPort(ECONNREFUSED, "connect", "::1", 8124),
                                                  kit::Error::withHostPort(ECONNREFUSED, "connect", "127.0.0.1", 8124)});
    CHECK(agg.name == "AggregateError");
    CHECK(agg.message.empty());
    CHECK(agg.code == "ECONNREFUSED");
    CHECK(kit::inspect(agg) ==
          "AggregateError [ECONNREFUSED]:  {\n"
          "  code: 'ECONNREFUSED',\n"
          "  [errors]: [\n"
          "    Error: connect ECONNREFUSED ::1:8124 {\n"
          "      errno: -111,\n"
          "      code: 'ECONNREFUSED',\n"
          "      syscall: 'connect',\n"
          "      address: '::1',\n"
          "      port: 8124\n"
          "    },\n"
          "    Error: connect ECONNREFUSED 127.0.0.1:8124 {\n"
          "      errno: -111,\n"
          "      code: 'ECONNREFUSED',\n"
          "      syscall: 'connect',\n"
          "      address: '127.0.0.1',\n"
          "      port: 8124\n"
          "    }\n"
          "  ]\n"
          "}");
}

TEST_CASE("Node's own errors (ERR_* codes) show the code in their first line", "[errors]") {
    // node: util.inspect of socket.write() after end() and of connect({port: 'abc'}),
    // stack frames left out: "Error [ERR_STREAM_WRITE_AFTER_END]: write after end {".
    CHECK(kit::inspect(kit::Error::plain("write after end", "ERR_STREAM_WRITE_AFTER_END")) ==
          "Error [ERR_STREAM_WRITE_AFTER_END]: write after end {\n  code: 'ERR_STREAM_WRITE_AFTER_END'\n}");
    CHECK(kit::inspect(kit::Error::plain("Port should be >= 0 and < 65536. Received type string ('abc').",
                                         "ERR_SOCKET_BAD_PORT", "RangeError")) ==
          "RangeError [ERR_SOCKET_BAD_PORT]: Port should be >= 0 and < 65536. Received type string ('abc'). {\n"
          "  code: 'ERR_SOCKET_BAD_PORT'\n}");
    // An error whose code came from the system (errno) keeps the plain first line.
    CHECK(kit::inspect(kit::Error::errnoException(ECONNRESET, "read")).rfind("Error: read ECONNRESET {", 0) == 0);
}
