'use strict';
// Lesson 06 - the upload client done right (the kit's own Node.js twin of client.cpp).
//
// Lesson 02's client, rebuilt: it streams the file (never reads it whole), frames it
// (KITUP/1 header with size and name, the bytes, a SHA-256 trailer computed in the
// same pass that sends them), and believes the upload only when the server answers
// OK with the same digest. Every failure is one clear line on stderr and exit status
// 1 (missing file, refused connection, server gone mid-transfer, ERR); bad usage is 2.
// A progress bar on stderr when it is a terminal; a plain final line otherwise.
//
// Usage: node client.js [FILE] [--port N] [--host H]
//        (FILE defaults to ./client_files/client.txt, as in the document)
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { pipeline, Transform } = require('node:stream');

const cli = parseFlags(process.argv.slice(2));
let answer = '';         // the server's one line, as it arrives

// [pitfall 6] the client hung on a missing file: stat(2) first, before any connection.
let size;
try {
  const st = fs.statSync(cli.file);
  if (!st.isFile()) throw new Error(`not a regular file: ${cli.file}`);
  size = st.size;
} catch (err) {
  die(err.message);
}

const name = path.basename(cli.file);
const hash = crypto.createHash('sha256');
const progress = new Progress(size);

// [doc TCPC.C2] connect(); [pitfall 7] no server running killed the client with an
// unhandled 'error' event: this listener is the fix.
const socket = net.connect(cli.port, cli.host);
socket.on('error', (err) => finish(err));
socket.setEncoding('utf8');
socket.on('data', (text) => {
  answer += text;
  // An answer before we finished sending is an ERR (ETOOBIG, EBUSY...): stop sending.
  if (answer.includes('\n') && (finish.digest || answer.startsWith('ERR'))) finish();
});
socket.on('close', () => finish());

socket.on('connect', () => {
  socket.write(`KITUP/1 ${size} ${name}\n`);
  // The body through a Transform that hashes and counts each chunk on its way to the
  // socket, and pushes the trailer at the end. pipeline() is what pipe() should have
  // been: backpressure (the file is read only as fast as the socket drains), errors
  // from any stream to one callback, and socket.end() (FIN) after the trailer.
  let sent = 0;
  const frame = new Transform({
    transform(chunk, _enc, callback) {
      sent += chunk.length;
      if (sent > size) return callback(new Error(`${cli.file} grew while it was being sent`));
      hash.update(chunk);  // SHA-256 in the same pass: the file is read once
      progress.update(sent);
      callback(null, chunk);
    },
    flush(callback) {
      if (sent !== size) return callback(new Error(`${cli.file} shrank while it was being sent`));
      // The digest is known once the trailer is pushed: the server's OK may come (and
      // its FIN close the socket) before pipeline() calls back below.
      finish.digest = hash.digest('hex');
      callback(null, `SHA256 ${finish.digest}\n`);
    },
  });
  pipeline(fs.createReadStream(cli.file, { highWaterMark: 64 * 1024 }), frame, socket, (err) => {
    if (err) return finish(err);
    if (answer.includes('\n')) finish();
  });
});

/** Decides the exit status once: an error, or the server's answer at 'close'. */
function finish(err) {
  if (finish.called) return;
  const line = answer.split('\n')[0];
  if (err && !line) {
    // ECONNREFUSED, EPIPE, ECONNRESET...: Node's message names the call and address.
    return done(1, err.message);
  }
  if (!line && !socket.destroyed) return;           // no answer yet: wait for it
  if (!answer.includes('\n') && !socket.destroyed) return;
  if (!line) return done(1, 'the server closed the connection without answering');
  const words = line.split(' ');
  if (words[0] === 'ERR') return done(1, `the server refused the upload: ${line}`);
  if (words[0] === 'OK' && finish.digest && words.length >= 3) {
    const digest = words[words.length - 1];
    const saved = words.slice(1, -1).join(' ');
    if (digest === finish.digest) {
      progress.done();
      console.log(`saved as ${saved} (${size} bytes, sha256 ${digest})`);
      return done(0);
    }
    return done(1, `the server's sha256 ${digest} is not ours, ${finish.digest}`);
  }
  return done(1, `unexpected answer from the server: ${line}`);
}

function done(status, message) {
  finish.called = true;
  if (message) {
    progress.abort();
    process.stderr.write(`error: ${message}\n`);
  }
  socket.destroy();
  process.exitCode = status;
}

/**
 * Progress on stderr: a bar redrawn at most 10 times a second when stderr is a
 * terminal (percent, MiB/s, time left), else one plain line at the end.
 */
function Progress(total) {
  const tty = process.stderr.isTTY;
  const t0 = process.hrtime.bigint();
  let last = 0;
  let sent = 0;
  const seconds = () => Number(process.hrtime.bigint() - t0) / 1e9;
  const rate = () => sent / 1048576 / Math.max(seconds(), 1e-6);
  this.update = (n) => {
    sent = n;
    if (!tty) return;
    const now = Date.now();
    if (now - last < 100 && n < total) return;
    last = now;
    const pct = total ? Math.floor((100 * n) / total) : 100;
    const width = 30;
    const fill = Math.round((width * pct) / 100);
    const left = rate() > 0 ? (total - n) / 1048576 / rate() : 0;
    process.stderr.write(`\r[${'#'.repeat(fill)}${' '.repeat(width - fill)}] ${String(pct).padStart(3)}% ` +
      `${rate().toFixed(1)} MiB/s ${left.toFixed(1)} s left `);
  };
  this.done = () => {
    if (tty) process.stderr.write('\n');
    process.stderr.write(`sent ${total} bytes in ${seconds().toFixed(2)} s (${rate().toFixed(1)} MiB/s)\n`);
  };
  this.abort = () => { if (tty && sent > 0) process.stderr.write('\n'); };
}

function die(message) {
  process.stderr.write(`error: ${message}\n`);
  process.exit(1);
}

// ---------------------------------------------------------------------------
// Flags: [FILE] --port N --host H (the C++ client accepts the same).
function parseFlags(argv) {
  const opts = { port: 8124, host: '127.0.0.1', file: './client_files/client.txt' };
  let file = null;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag !== '--port' && flag !== '--host') {
      if (flag.startsWith('--')) usageError(`unknown argument ${flag}`);
      if (file !== null) usageError(`only one FILE, got ${flag}`);
      if (flag === '') usageError('FILE must not be empty');
      file = flag;
      continue;
    }
    if (i + 1 >= argv.length) usageError(flag + ' needs a value');
    const value = argv[++i];
    if (flag === '--port') {
      const n = /^[0-9]+$/.test(value) ? Number(value) : NaN;
      if (!(n >= 1 && n <= 65535)) usageError('--port must be an integer in 1..65535');
      opts.port = n;
    } else if (value === '') usageError('--host must not be empty');
    else opts.host = value;
  }
  if (file !== null) opts.file = file;
  return opts;
}

function usageError(message) {
  process.stderr.write(`usage error: ${message}\nusage: 06_upload_client [FILE] [--port N] [--host H]\n`);
  process.exit(2);
}
