'use strict';
// Lesson 06 - the upload server done right (the kit's own Node.js twin of server.cpp).
//
// Lesson 01's server, rebuilt the way a professional would write it, with every flaw
// of docs/pitfalls.md fixed; "[pitfall N]" marks the line that fixes pitfall N:
//   - each chunk goes to disk as it arrives, through a file write stream whose
//     backpressure pauses the socket: memory stays flat whatever the file size;
//   - the upload is framed (KITUP/1: a header with size and name, the bytes, a
//     SHA-256 trailer) and verified before the file becomes visible;
//   - it is written to a temporary in the target directory, fsync'ed, then linked
//     under a unique name that never replaces an existing file;
//   - every socket and stream has an 'error' listener: a reset client costs that
//     upload only, never the server;
//   - sizes, concurrent uploads, header length and idle time are bounded;
//   - SIGINT/SIGTERM stop accepting, let uploads finish for --grace ms, then abort
//     the rest with ERR ESHUTDOWN and exit 0.
// A connection that does not begin with "KITUP/1 " is the document's raw protocol
// (lesson 02's client, `nc -N`): the whole stream until FIN is the file, saved under
// a server-generated name and logged as unverified.
// The wire format is in this lesson's README ("The protocol"); the C++ server
// (server.cpp) prints the same lines and answers the same bytes.
//
// Usage: node server.js [--port N] [--host H] [--dir D] [--max-size BYTES]
//          [--max-uploads N] [--idle-timeout MS] [--grace MS] [--no-fsync]
// A bad flag prints one line "usage error: ..." to stderr and exits with status 2.
const crypto = require('node:crypto');
const fs = require('node:fs');
const fsp = require('node:fs/promises');
const net = require('node:net');
const path = require('node:path');
const { pipeline, Transform } = require('node:stream');

const cli = parseFlags(process.argv.slice(2));

const MAGIC = Buffer.from('KITUP/1 ');
const MAX_HEADER = 1024;               // the whole header line, "\n" included
const TRAILER_LENGTH = 'SHA256 '.length + 64 + 1;
const MAX_NAME = 200;                  // bytes of a saved name, before any " (N)" suffix
// Bytes buffered between the socket and the file: past this, write() returns false and
// the socket is paused (backpressure). 256 KiB: four 64 KiB socket reads.
const HIGH_WATER = 256 * 1024;
const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;

const uploads = new Set();             // uploads in progress, for --max-uploads and shutdown
let tempCounter = 0;
let nameCounter = 0;
let shuttingDown = false;

fs.mkdirSync(cli.dir, { recursive: true });
removeStaleTemporaries();

// [doc TCPS.C2] one callback per accept()ed connection, as in lesson 01.
const server = net.createServer({ allowHalfOpen: true }, onConnection);
server.on('error', (err) => {
  // [pitfall 12] EADDRINUSE, EACCES...: nothing to serve; say so in one line and exit 1.
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
});
server.listen(cli.port, cli.host, () => {
  const a = server.address();
  console.log(`listening on ${a.address}:${a.port}`);
});
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);

function onConnection(socket) {
  const peer = `${socket.remoteAddress}:${socket.remotePort}`;
  let upload = null;
  // [pitfall 1] a reset client killed the server: this listener is the fix. Without it
  // a single ECONNRESET is an unhandled 'error' and the whole process exits.
  socket.on('error', (err) => upload && upload.abort(err.code || 'EIO', err.message));

  // Bounded: past --max-uploads, refuse at once rather than queue without limit.
  if (uploads.size >= cli.maxUploads || shuttingDown) {
    const [code, why] = shuttingDown ? ['ESHUTDOWN', 'server shutting down']
      : ['EBUSY', `too many uploads in progress (${cli.maxUploads})`];
    console.log(`rejected ${peer} ERR ${code} ${why}`);
    socket.end(`ERR ${code} ${why}\n`);
    socket.resume();  // read and drop whatever the client sends, so it hears FIN, not RST
    setTimeout(() => socket.destroy(), 2000).unref();
    return;
  }
  upload = new Upload(socket, peer);
  uploads.add(upload);
  upload.done = () => { uploads.delete(upload); upload = null; maybeExit(); };
}

/**
 * One upload: the socket's bytes go through a Framer (header, body, trailer; SHA-256
 * of the body) into a write stream on a temporary file; at the client's FIN the
 * Framer checks size and digest, and only then is the file made visible.
 */
class Upload {
  constructor(socket, peer) {
    this.socket = socket;
    this.peer = peer;
    this.finished = false;
    this.tempPath = path.join(cli.dir, `.kitup-${process.pid}-${++tempCounter}.part`);
    // A temporary in the target directory: O_EXCL so it is never shared, O_NOFOLLOW so
    // a planted symlink is not followed, mode 0600 until verified.
    this.fd = fs.openSync(this.tempPath, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
    this.framer = new Framer(cli.maxSize);
    this.file = fs.createWriteStream(null, { fd: this.fd, autoClose: false, highWaterMark: HIGH_WATER });

    // The two streams that never see the network, joined by pipeline(): an error in
    // either (EDIGEST, ENOSPC...) destroys both and reaches the callback once.
    pipeline(this.framer, this.file, (err) => {
      if (err) this.abort(err.code || 'EIO', err.message);
      else this.commit().catch((e) => this.abort(e.code || 'EIO', e.message));
    });

    // [pitfall 3] the whole upload waited in memory. Backpressure, in plain sight:
    // framer.write() returns false once HIGH_WATER bytes wait for the disk; the socket
    // is paused (no more read(2): the kernel's receive buffer fills, TCP's window
    // closes, the client's write blocks) until 'drain'.
    socket.on('data', (chunk) => {
      if (this.framer.writableEnded) return;  // after the trailer: not looked at
      if (!this.framer.write(chunk)) socket.pause();
      if (this.framer.state === 'done') this.framer.end();  // the trailer is in: verify now
    });
    this.framer.on('drain', () => socket.resume());
    // The client's FIN (shutdown(SHUT_WR)): the end of a raw upload (or too early).
    socket.on('end', () => { if (!this.framer.writableEnded) this.framer.end(); });
    socket.on('close', () => this.abort('ECONNRESET', 'connection closed before the upload ended'));

    // Slowloris: no byte for --idle-timeout ms drops the client. Not while paused:
    // then it is our disk that is slow, not the client.
    socket.setTimeout(cli.idleTimeout);
    socket.on('timeout', () => {
      if (socket.isPaused()) socket.setTimeout(cli.idleTimeout);  // arm it again
      else this.abort('ETIMEDOUT', `no data for ${cli.idleTimeout} ms`);
    });
  }

  /** Verified: fsync, close, make it visible under a unique name, fsync the directory. */
  async commit() {
    const f = this.framer;
    // fsync(2): the bytes are on the disk before the name exists (--no-fsync: the bench).
    if (cli.fsync) await new Promise((res, rej) => fs.fsync(this.fd, (e) => (e ? rej(e) : res())));
    await closeFd(this.fd);
    this.fd = -1;
    await fsp.chmod(this.tempPath, 0o644);
    const name = await linkUnique(this.tempPath, f.raw ? generatedName() : safeName(f.name));
    await fsp.unlink(this.tempPath);
    if (cli.fsync) await fsyncDir(cli.dir);
    const digest = f.raw ? 'unverified' : f.digest;
    const line = `saved ${name} (${f.received} bytes, ${f.raw ? 'unverified' : `sha256 ${digest}`})`;
    this.finish(line, `OK ${name} ${digest}\n`);
  }

  /** [pitfall 4] Any failure: remove the temporary, answer ERR, log it. Runs once. */
  abort(code, reason) {
    if (this.finished) return;
    this.framer.destroy();
    this.file.destroy();
    if (this.fd >= 0) fs.close(this.fd, () => {});
    this.fd = -1;
    fs.rm(this.tempPath, { force: true }, () => {});
    this.finish(`rejected ${this.peer} ERR ${code} ${reason}`, `ERR ${code} ${reason}\n`);
  }

  finish(logLine, answer) {
    if (this.finished) return;
    this.finished = true;
    console.log(logLine);
    const s = this.socket;
    s.setTimeout(0);
    if (!s.destroyed) {
      // One line, then FIN. Keep reading and dropping what still comes (an ERR in
      // mid-body): closing with unread data would send RST and the client would lose
      // the answer. A client that does not stop gets 2 s.
      s.end(answer);
      s.removeAllListeners('data');
      s.resume();
      setTimeout(() => s.destroy(), 2000).unref();
    }
    this.done();
  }
}

/**
 * Bytes in, file bytes out: matches the magic, reads the header line, passes exactly
 * `size` body bytes on (hashing them), then reads the trailer. A connection that does
 * not start with "KITUP/1 " is raw: everything is body until the end.
 */
class Framer extends Transform {
  constructor(maxSize) {
    super({ highWaterMark: HIGH_WATER });
    this.maxSize = maxSize;
    this.state = 'magic';
    this.head = Buffer.alloc(0);    // magic and header bytes so far
    this.raw = false;
    this.size = 0n;
    this.left = 0n;                 // body bytes still expected
    this.received = 0;
    this.hash = crypto.createHash('sha256');
    this.trailer = '';
    this.name = null;
    this.digest = null;
  }

  _transform(chunk, _enc, callback) {
    try {
      this.take(chunk);
      callback();
    } catch (err) {
      callback(err);
    }
  }

  take(chunk) {
    if (this.state === 'magic') {
      // Compare as bytes arrive: a prefix of the magic may still become the magic.
      const head = Buffer.concat([this.head, chunk]);
      const n = Math.min(head.length, MAGIC.length);
      if (!head.subarray(0, n).equals(MAGIC.subarray(0, n))) {
        this.state = 'raw';
        this.raw = true;
        return this.body(head);
      }
      if (head.length < MAGIC.length) { this.head = head; return; }
      this.state = 'header';
      this.head = Buffer.alloc(0);
      chunk = head.subarray(MAGIC.length);
    }
    if (this.state === 'header') {
      const nl = chunk.indexOf(0x0a);
      const line = Buffer.concat([this.head, nl < 0 ? chunk : chunk.subarray(0, nl)]);
      if (MAGIC.length + line.length + 1 > MAX_HEADER) throw fail('EHEADER', `header longer than ${MAX_HEADER} bytes`);
      if (nl < 0) { this.head = line; return; }
      this.parseHeader(line);
      this.state = 'body';
      chunk = chunk.subarray(nl + 1);
    }
    if (this.state === 'body') {
      const n = this.left < BigInt(chunk.length) ? Number(this.left) : chunk.length;
      this.body(chunk.subarray(0, n));
      this.left -= BigInt(n);
      if (this.left > 0n) return;
      this.state = 'trailer';
      chunk = chunk.subarray(n);
    }
    if (this.state === 'raw') return this.body(chunk);
    if (this.state === 'done') return;
    if (this.state === 'trailer' && chunk.length > 0) {
      this.trailer += chunk.toString('latin1');
      const pattern = 'SHA256 ' + 'x'.repeat(64) + '\n';
      // Checked as it arrives: a byte that cannot belong to "SHA256 <hex>\n" means the
      // client sent more than its header said (or garbage): ELONG at once.
      const end = Math.min(this.trailer.length, TRAILER_LENGTH);
      for (let i = 0; i < end; i++) {
        const c = this.trailer[i];
        const ok = pattern[i] === 'x' ? /[0-9a-f]/.test(c) : c === pattern[i];
        if (!ok) throw fail('ELONG', "more bytes than the header's size, or no SHA256 trailer after them");
      }
      // The trailer is whole: the upload is complete (bytes after it are not looked at).
      if (this.trailer.length >= TRAILER_LENGTH) this.state = 'done';
    }
  }

  parseHeader(line) {
    const text = line.toString('latin1');
    const sp = text.indexOf(' ');
    if (sp < 0) throw fail('EHEADER', 'expected KITUP/1 <size> <name>');
    const sizeText = text.slice(0, sp);
    const badSize = 'bad size (decimal digits, at most 2^64-1)';
    if (!/^[0-9]{1,20}$/.test(sizeText)) throw fail('EHEADER', badSize);
    const size = BigInt(sizeText);
    if (size > 0xffffffffffffffffn) throw fail('EHEADER', badSize);
    if (sp === text.length - 1) throw fail('EHEADER', 'empty name');
    // [pitfall 10] no size limit: refused on the header, before one body byte is written.
    if (size > this.maxSize) throw fail('ETOOBIG', `${size} bytes is over the limit of ${this.maxSize}`);
    this.size = size;
    this.left = size;
    this.name = line.subarray(sp + 1);   // bytes: the name is UTF-8, not decoded here
  }

  body(bytes) {
    if (bytes.length === 0) return;
    this.received += bytes.length;
    if (this.raw && this.received > this.maxSize) {
      throw fail('ETOOBIG', `more than ${this.maxSize} bytes`);
    }
    if (!this.raw) this.hash.update(bytes);  // SHA-256 in the same pass, no second read
    this.push(bytes);
  }

  // The end: was everything there? [pitfall 2] a truncated upload was saved as if
  // complete: fewer bytes, no trailer or a wrong digest fail here, before any rename.
  _flush(callback) {
    if (this.raw || this.state === 'magic') {  // a prefix of the magic, then FIN: raw too
      if (this.state === 'magic') { this.raw = true; this.body(this.head); }
      return callback();
    }
    if (this.state !== 'done') {
      return callback(fail('ESHORT', this.state === 'header' ? 'connection ended inside the header'
        : this.state === 'body' ? `connection ended with ${this.left} of the announced bytes missing`
          : 'connection ended before the SHA256 trailer'));
    }
    this.digest = this.hash.digest('hex');
    const claimed = this.trailer.slice(7, 71);
    if (claimed !== this.digest) return callback(fail('EDIGEST', `sha256 mismatch: received bytes hash to ${this.digest}`));
    callback();
  }
}

function fail(code, message) {
  const err = new Error(message);
  err.code = code;
  return err;
}

/**
 * [pitfall 5] two uploads got one name: link(2) the verified temporary under `name`;
 * link never replaces an existing file (EEXIST: it is the RENAME_NOREPLACE of Node,
 * which has no renameat2), so on a collision try "name (1).ext", "name (2).ext"...
 */
async function linkUnique(tempPath, name) {
  const dot = name.lastIndexOf('.');
  const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
  for (let n = 0; ; n++) {
    const candidate = n === 0 ? name : `${stem} (${n})${ext}`;
    try {
      await fsp.link(tempPath, path.join(cli.dir, candidate));
      return candidate;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
    }
  }
}

/**
 * Path traversal: the client's name reduced to a safe base name, as the C++ server's
 * upload::sanitizeName does: the bytes after the last "/", no control characters, a
 * "_" for each byte that is not UTF-8, at most MAX_NAME bytes cut at a character
 * boundary; "." and ".." (or nothing) give a server-generated name; a name that looks
 * like one of our temporaries gets a "_" in front (a restart would remove it).
 */
function safeName(bytes) {
  const b = bytes.subarray(bytes.lastIndexOf(0x2f) + 1);
  const out = [];
  for (let i = 0; i < b.length;) {
    if (b[i] < 0x20 || b[i] === 0x7f) { i++; continue; }
    const n = utf8Length(b, i);
    if (out.length + Math.max(n, 1) > MAX_NAME) break;
    if (n === 0) { out.push(0x5f); i++; continue; }
    for (let k = 0; k < n; k++) out.push(b[i + k]);
    i += n;
  }
  let name = Buffer.from(out).toString('utf8');
  if (name === '' || name === '.' || name === '..') return generatedName();
  if (/^\.kitup-[0-9]+-[0-9]+\.part$/.test(name)) name = '_' + name;
  return name;
}

/** Bytes of the well-formed UTF-8 character at b[i], or 0 if there is none. */
function utf8Length(b, i) {
  const c = b[i];
  if (c < 0x80) return 1;
  let n;
  let lo = 0x80;
  let hi = 0xbf;
  if (c >= 0xc2 && c <= 0xdf) n = 2;
  else if (c === 0xe0) { n = 3; lo = 0xa0; } else if (c >= 0xe1 && c <= 0xec) n = 3;
  else if (c === 0xed) { n = 3; hi = 0x9f; } else if (c >= 0xee && c <= 0xef) n = 3;
  else if (c === 0xf0) { n = 4; lo = 0x90; } else if (c >= 0xf1 && c <= 0xf3) n = 4;
  else if (c === 0xf4) { n = 4; hi = 0x8f; } else return 0;
  if (i + n > b.length || b[i + 1] < lo || b[i + 1] > hi) return 0;
  for (let k = 2; k < n; k++) if (b[i + k] < 0x80 || b[i + k] > 0xbf) return 0;
  return n;
}

/** upload-YYYYMMDD-HHMMSS.mmm-N.bin: local time to the millisecond, and a counter. */
function generatedName() {
  const d = new Date();
  const p = (n, w = 2) => String(n).padStart(w, '0');
  return `upload-${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-` +
    `${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}-${++nameCounter}.bin`;
}

const closeFd = (fd) => new Promise((res, rej) => fs.close(fd, (e) => (e ? rej(e) : res())));

/** The new name is an entry of the directory: fsync(2) the directory so it survives a crash. */
async function fsyncDir(dir) {
  const h = await fsp.open(dir, 'r');
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}

/** Temporaries a killed server left behind are never complete files: remove them. */
function removeStaleTemporaries() {
  for (const name of fs.readdirSync(cli.dir)) {
    if (/^\.kitup-[0-9]+-[0-9]+\.part$/.test(name)) {
      fs.rmSync(path.join(cli.dir, name), { force: true });
      console.log(`removed stale temporary ${name}`);
    }
  }
}

/** [pitfall 11] SIGINT/SIGTERM: stop accepting, let uploads finish for --grace ms, abort the rest. */
function shutdown() {
  if (shuttingDown) return;
  shuttingDown = true;
  console.log('shutting down');
  server.close();
  setTimeout(() => {
    for (const u of [...uploads]) u.abort('ESHUTDOWN', 'server shutting down, grace period over');
  }, cli.grace).unref();
  maybeExit();
}

function maybeExit() {
  if (shuttingDown && uploads.size === 0) setImmediate(() => process.exit(0));
}

// ---------------------------------------------------------------------------
// Flags (the C++ server accepts the same ones, with the same defaults).
function parseFlags(argv) {
  const opts = {
    port: 8124, host: '127.0.0.1', dir: './server_files', maxSize: 8n * 1024n ** 3n,
    maxUploads: 64, idleTimeout: 10000, grace: 5000, fsync: true,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '--no-fsync') { opts.fsync = false; continue; }
    const known = ['--port', '--host', '--dir', '--max-size', '--max-uploads', '--idle-timeout', '--grace'];
    if (!known.includes(flag)) usageError(`unknown argument ${flag}`);
    if (i + 1 >= argv.length) usageError(`${flag} needs a value`);
    const value = argv[++i];
    if (flag === '--port') opts.port = integer(flag, value, 1, 65535);
    else if (flag === '--host') opts.host = nonEmpty(flag, value);
    else if (flag === '--dir') opts.dir = nonEmpty(flag, value);
    else if (flag === '--max-size') opts.maxSize = bigInteger(flag, value);
    else if (flag === '--max-uploads') opts.maxUploads = integer(flag, value, 1, 100000);
    else if (flag === '--idle-timeout') opts.idleTimeout = integer(flag, value, 1, 2 ** 31 - 1);
    else opts.grace = integer(flag, value, 0, 2 ** 31 - 1);
  }
  return opts;
}

function integer(flag, text, min, max) {
  const n = /^[0-9]{1,20}$/.test(text) ? Number(text) : NaN;
  if (!(n >= min && n <= max)) usageError(`${flag} must be an integer in ${min}..${max}`);
  return n;
}

function bigInteger(flag, text) {
  const max = 2n ** 64n - 1n;
  const n = /^[0-9]{1,20}$/.test(text) ? BigInt(text) : -1n;
  if (n < 0n || n > max) usageError(`${flag} must be an integer in 0..${max}`);
  return n;
}

function nonEmpty(flag, text) {
  if (text === '') usageError(`${flag} must not be empty`);
  return text;
}

function usageError(message) {
  process.stderr.write(`usage error: ${message}\nusage: 06_upload_server [--port N] [--host H] [--dir D] ` +
    '[--max-size BYTES] [--max-uploads N] [--idle-timeout MS] [--grace MS] [--no-fsync]\n');
  process.exit(2);
}
