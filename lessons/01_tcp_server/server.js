'use strict';
// Lesson 01 - TCP file-upload server (the kit's own Node.js reference program).
//
// Rebuilt from the description in the Portuguese tutorial; the statements run in
// the tutorial's order, with its constants and its console lines, so that the C++
// version can be compared with it line by line.
// [doc INTRO.1] Node runs one thread; everything below is a callback that the
//   event loop (libuv, a poll()-style loop underneath) calls when an event fires.
// [doc INTRO.2] TCP first: a connection exists, so there are per-connection events.
//
// Flaws kept on purpose (the lessons discuss them):
//   - `conn` has no 'error' listener: a client that resets the connection (RST)
//     makes Node throw "Unhandled 'error' event" and the whole server exits 1;
//   - the writeFile callback has no `else`: after a failed write it prints the
//     error line AND the success line;
//   - the upload is kept in memory until 'close', and the file name has a
//     one-second, 12-hour resolution (two uploads can collide).
//
// Kit additions: `--port N` (default 8124) and `--host H` (default: none, so Node
// picks its default bind address, '::' dual-stack when IPv6 is available).
// A bad flag prints one line "usage error: ..." to stderr and exits with status 2.
//
// Usage: node server.js [--port N] [--host H]   (run it where ./server_files/ exists)

// [doc TCPS.1] [doc TCPS.C1] modules: `net` (sockets), `fs` (files), `moment` (dates).
const net = require('net');
const fs = require('fs');
const moment = require('moment');

// Kit addition: command-line flags, parsed before anything touches the network.
const cli = parseFlags(process.argv.slice(2));

// [doc TCPS.C1] the port (8124 unless --port) and the relative path prefix of the
// saved files; relative paths resolve against the process's current directory.
const PORT = cli.port;
const HOST = cli.host; // undefined = Node's default bind address
const FILEPATH = './server_files/server_';

// [doc TCPS.1] [doc TCPS.C2] createServer() makes a listening-socket wrapper; the
// callback is attached to its 'connection' event and runs once per accept()ed
// client with a net.Socket for that connection.
const server = net.createServer((conn) => {
  console.log('conectado!');

  // [doc TCPS.3] [doc TCPS.C3] every 'data' event carries one Buffer: whatever a
  // single read() from the kernel returned (up to 64 KiB), not a message boundary.
  // The pieces are kept in arrival order.
  const chunks = [];
  conn.on('data', (data) => {
    console.log('recebendo dados...');
    chunks.push(data);
  });

  // [doc TCPS.3] [doc TCPS.C4] 'close' fires once the socket's fd is closed (after
  // 'end' for a normal FIN, or after 'error' for a reset). The pieces are joined
  // into one Buffer and the file is named after the current local time.
  conn.on('close', () => {
    const file = Buffer.concat(chunks);
    // 'h' is the 12-hour clock with no AM/PM marker (1 am and 1 pm look alike).
    const now = moment().format('DD-MM-YYYY h-mm-ss');
    const path = FILEPATH + now + '_TCP.txt';

    // fs.writeFile opens (O_WRONLY|O_CREAT|O_TRUNC, mode 0o666 before umask),
    // writes and closes on libuv's thread pool, then calls back on the loop.
    fs.writeFile(path, file, (err) => {
      if (err) console.log('erro ao salvar arquivo');
      // No `else` on purpose: this line also follows the error line.
      console.log('arquivo salvo com sucesso!');
    });

    // Printed before the writeFile callback: the write has only been queued.
    console.log('conexao com o cliente encerrada');
  });
}).listen(PORT, HOST);
// [doc TCPS.C5] listen() chained on createServer: socket(), SO_REUSEADDR, bind(),
// listen(). Errors such as EADDRINUSE are not thrown here; they arrive later as
// the server's 'error' event, so the listeners registered below still see them.

// [doc TCPS.2] [doc TCPS.C5] 'listening' fires once the socket is bound and listening.
server.on('listening', () => {
  console.log('escutando porta ' + PORT);
});

// [doc TCPS.2] [doc TCPS.C6] server errors: for EADDRINUSE, warn (console.warn writes
// to stderr), wait one second, then close and listen again; anything else (for
// example EACCES on a port below 1024 without privileges) is only printed, and
// the process then has nothing left to wait for, so it exits with status 0.
server.on('error', (err) => {
  if (err.code == 'EADDRINUSE') {
    console.warn('Endereco em uso, tentando novamente...');

    setTimeout(() => {
      server.close();
      server.listen(PORT, HOST);
    }, 1000);
  } else {
    console.log(err);
  }
});

// [doc REFS] background reading is listed at the end of the tutorial.

// ---------------------------------------------------------------------------
// Kit addition: flag parsing. Accepted: --port N, --host H (last one wins).
function parseFlags(argv) {
  const opts = { port: 8124, host: undefined };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag !== '--port' && flag !== '--host') {
      usageError("unknown argument '" + flag + "'");
    }
    if (i + 1 >= argv.length) usageError(flag + ' needs a value');
    const value = argv[++i];
    if (flag === '--port') opts.port = parsePort(value);
    else if (value === '') usageError('--host must not be empty');
    else opts.host = value;
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
