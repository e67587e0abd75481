'use strict';
// Lesson 02 - TCP file-upload client (the kit's own Node.js reference program).
//
// Rebuilt from the description in the Portuguese tutorial; the statements run in
// the tutorial's order, with its constants and its console lines.
// [doc INTRO.1] one thread; each function below is a callback run by the event loop.
//
// Flaws kept on purpose (the lessons discuss them):
//   - the socket has no 'error' listener: "no server running" (ECONNREFUSED) or a
//     reset makes Node throw "Unhandled 'error' event" and exit with status 1;
//   - when the file is missing, the read stream's error is printed but nothing
//     ends the socket, so the client stays connected until someone kills it.
//
// Kit additions: `--port N` (default 8124) and `--host H` (default 'localhost').
// A bad flag prints one line "usage error: ..." to stderr and exits with status 2.
//
// Usage: node client.js [--port N] [--host H]   (run it where ./client_files/ exists)

// [doc TCPC.1] [doc TCPC.C1] modules: `net` for the socket, `fs` for the file.
const net = require('net');
const fs = require('fs');

// Kit addition: command-line flags, parsed before anything touches the network.
const cli = parseFlags(process.argv.slice(2));

// [doc TCPC.C1] port and the relative path of the file to upload (relative to the
// process's current directory).
const PORT = cli.port;
const HOST = cli.host;
const FILEPATH = './client_files/client.txt';

// [doc TCPC.C1] an unconnected net.Socket; no fd exists yet (it is created by connect).
const client = new net.Socket();
// [doc TCPC.C1] 'data' will deliver strings decoded as UTF-8 instead of Buffers; a
// character split across two reads is held back until its last byte arrives.
client.setEncoding('utf8');

// [doc TCPC.C2] connect(port, host, listener): the port is given as a decimal
// string, as in the tutorial (Node accepts numeric strings). Node first resolves
// the host with dns.lookup() (getaddrinfo on the thread pool; an IP literal skips
// it), then does a non-blocking connect(); the listener is attached to 'connect'.
// With several addresses (e.g. ::1 and 127.0.0.1) Node 20 tries them in turn
// ("autoSelectFamily", 250 ms per attempt). A refused connect is emitted as 'error'.
client.connect(String(PORT), HOST, () => {
  console.log('conectado ao servidor');

  // [doc TCPC.1] [doc TCPC.C2] a read stream: open() happens asynchronously on the
  // thread pool; 'open' fires with the fd, 'error' fires instead if it fails.
  const fileStream = fs.createReadStream(FILEPATH);

  // [doc TCPC.C2] on 'open', pipe the file into the socket: pipe() reads 64 KiB
  // chunks, writes them to the socket, pauses while the socket's buffer is full
  // ('drain' resumes it), and calls client.end() (shutdown(SHUT_WR), a FIN) at EOF.
  fileStream.on('open', () => {
    fileStream.pipe(client);
  });

  // [doc TCPC.C2] on a read-stream error (e.g. ENOENT) only print it; the socket is
  // left open on purpose, so the process keeps running.
  fileStream.on('error', (err) => {
    console.log(err);
  });
});

// [doc TCPC.1] [doc TCPC.C3] anything the server sends back is printed (already a
// string because of setEncoding above).
client.on('data', (data) => {
  console.log(data);
});

// [doc TCPC.1] [doc TCPC.C4] 'close' fires when the socket's fd is closed: after the
// server's FIN has been read and our own FIN sent (allowHalfOpen is false, so Node
// ends our side automatically), or after an error.
client.on('close', () => {
  console.log('conexao encerrada');
});

// ---------------------------------------------------------------------------
// Kit addition: flag parsing. Accepted: --port N, --host H (last one wins).
function parseFlags(argv) {
  const opts = { port: 8124, host: 'localhost' };
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
