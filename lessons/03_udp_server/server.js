'use strict';
// Lesson 03 - UDP file-upload server (the kit's own Node.js reference program).
//
// Rebuilt from the description in the Portuguese tutorial; the statements run in
// the tutorial's order, with its constants and its console lines.
// [doc INTRO.1] one thread; each function below is a callback run by the event loop.
// [doc INTRO.2] UDP has no connection: the server only reacts to datagrams.
//
// Flaws kept on purpose (the lessons discuss them):
//   - one datagram = one file: a file larger than one datagram never arrives, and a
//     lost datagram is lost silently;
//   - the writeFile callback has no `else` (error line, then success line);
//   - the file name has a one-second, 12-hour resolution (two uploads can collide).
//
// Kit additions: `--port N` (default 8124), `--host H` (default: none, so the
// socket binds the wildcard address: 0.0.0.0 for udp4, '::' for udp6), and
// `--family udp6` (or `--udp6`) to create an IPv6 socket instead of 'udp4'.
// A bad flag prints one line "usage error: ..." to stderr and exits with status 2.
//
// Usage: node server.js [--port N] [--host H] [--family udp4|udp6 | --udp6]
//        (run it where ./server_files/ exists)

// [doc UDPS.1] [doc UDPS.C1] modules: `dgram` (UDP sockets), `moment`, `fs`.
const dgram = require('dgram');
const moment = require('moment');
const fs = require('fs');

// Kit addition: command-line flags, parsed before the socket is created.
const cli = parseFlags(process.argv.slice(2));

// [doc UDPS.1] [doc UDPS.C1] a UDP socket object of the chosen family ('udp4' as in
// the tutorial, or 'udp6'); the fd itself is only created by bind() below.
const server = dgram.createSocket(cli.family);

// [doc UDPS.C1] port and the relative path prefix of the saved files.
const PORT = cli.port;
const HOST = cli.host; // undefined = wildcard address
const FILEPATH = './server_files/server_';

// [doc UDPS.1] [doc UDPS.C2] 'message' fires once per received datagram (one
// recvmsg()): `msg` is the whole payload as a Buffer, `rinfo` holds the sender's
// address, family, port and size. Each datagram becomes one file.
server.on('message', (msg, rinfo) => {
  // 'h' is the 12-hour clock with no AM/PM marker (1 am and 1 pm look alike).
  const now = moment().format('DD-MM-YYYY h-mm-ss');
  const path = FILEPATH + now + '_UDP.txt';

  // fs.writeFile opens, writes and closes on libuv's thread pool, then calls back.
  fs.writeFile(path, msg, (err) => {
    if (err)
      console.log('erro ao salvar arquivo');

    // No `else` on purpose: this line also follows the error line.
    console.log('arquivo salvo com sucesso!');
  });
});

// [doc UDPS.C3] 'listening' fires once bind() succeeded. The address is fetched
// (getsockname) but, as in the tutorial, not used.
server.on('listening', () => {
  const address = server.address();
  console.log('aguardando dados do cliente...');
});

// [doc UDPS.C4] bind(): socket() + bind() to the port; for an IPv6 socket with no
// host, '::' without IPV6_V6ONLY (also receives IPv4, as ::ffff:a.b.c.d). A bind
// failure (EADDRINUSE, EACCES) is an 'error' event; with no listener it crashes.
server.bind(PORT, HOST);

// ---------------------------------------------------------------------------
// Kit addition: flag parsing. Accepted: --port N, --host H, --family udp4|udp6,
// --udp6 (last one wins).
function parseFlags(argv) {
  const opts = { port: 8124, host: undefined, family: 'udp4' };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '--udp6') {
      opts.family = 'udp6';
      continue;
    }
    if (flag !== '--port' && flag !== '--host' && flag !== '--family') {
      usageError("unknown argument '" + flag + "'");
    }
    if (i + 1 >= argv.length) usageError(flag + ' needs a value');
    const value = argv[++i];
    if (flag === '--port') {
      opts.port = parsePort(value);
    } else if (flag === '--family') {
      if (value !== 'udp4' && value !== 'udp6') {
        usageError("--family must be udp4 or udp6, got '" + value + "'");
      }
      opts.family = value;
    } else if (value === '') {
      usageError('--host must not be empty');
    } else {
      opts.host = value;
    }
  }
  return opts;
}

function parsePort(text) {
  const n = /^[0-9]+$/.test(text) ? Number(text) : NaN;
  if (!(n >= 1 && n <= 65535)) {
    usageError("--port must be an integer in 1..65535, got '" + text + "'");
  }
  return n;
}

function usageError(message) {
  process.stderr.write('usage error: ' + message + '\n');
  process.exit(2);
}
