'use strict';
// Lesson 04 - UDP file-upload client (the kit's own Node.js reference program).
//
// Rebuilt from the description in the Portuguese tutorial; the statements run in
// the tutorial's order, with its constants and its console lines.
// [doc INTRO.1] one thread; the send callback is run by the event loop.
//
// Flaws kept on purpose (the lessons discuss them):
//   - the whole file goes out as ONE datagram: over 65,507 bytes (IPv4) the send
//     fails with EMSGSIZE, and the callback re-throws it, so Node prints the
//     uncaught exception and exits with status 1;
//   - a missing file makes readFileSync throw at start-up (uncaught, exit 1);
//   - nothing confirms that the datagram arrived.
//
// Kit additions: `--port N` (default 8124), `--host H` (default '127.0.0.1'; with
// udp6 and no --host the default is '::1', because a udp6 socket cannot send to
// an IPv4 literal: Node reports EINVAL), and `--family udp6` (or `--udp6`).
// A bad flag prints one line "usage error: ..." to stderr and exits with status 2.
//
// Usage: node client.js [--port N] [--host H] [--family udp4|udp6 | --udp6]
//        (run it where ./client_files/ exists)

// [doc UDPC.C1] modules: `dgram` for the socket, `fs` for the file.
const dgram = require('dgram');
const fs = require('fs');

// Kit addition: command-line flags, parsed before the file is read.
const cli = parseFlags(process.argv.slice(2));

// [doc UDPC.C1] destination port and host, and the relative path of the file.
const PORT = cli.port;
const HOST = cli.host;
const FILEPATH = './client_files/client.txt';

// [doc UDPC.1] [doc UDPC.C2] read the whole file into one Buffer, synchronously
// (open/fstat/read/close on the main thread, blocking the loop); throws on error.
const file = fs.readFileSync(FILEPATH);
// [doc UDPC.C2] a UDP socket object ('udp4' as in the tutorial, or 'udp6').
const client = dgram.createSocket(cli.family);

// [doc UDPC.1] [doc UDPC.C3] send(buffer, offset, length, port, host, callback):
// Node binds the socket implicitly to an ephemeral port, resolves HOST with
// dns.lookup() (an IP literal is used as is), then one sendmsg() carries the whole
// buffer. The callback gets (err, bytes). Throwing inside it is an uncaught
// exception: Node prints it and exits with status 1.
client.send(file, 0, file.length, PORT, HOST, (err, bytes) => {
  if (err) throw err;
  console.log('Arquivo enviado por UDP para ' + HOST + ':' + PORT);
  // close() releases the fd; with no handle left the process exits (status 0).
  client.close();
});

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
  if (opts.host === undefined) {
    opts.host = opts.family === 'udp6' ? '::1' : '127.0.0.1';
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
