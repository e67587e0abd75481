'use strict';
// stress.test.js: the TCP lessons (01 server, 02 client) under load and under faults,
// as real processes on loopback (project issue 7, item 1).
//
//   make stress                                   (builds the lessons first)
//   node --test tests/stress/stress.test.js       (after `make`)
//   node --test --test-name-pattern=EMFILE tests/stress/stress.test.js
//
// The faults labelled C5/C6, A2, T1 (in tests/stress/README.md's table),
// C7, B1, F1, F2, F4, F5, B5 and G1/T12, each checked from what a user sees: the
// programs' lines, exit statuses, and the files left in server_files/. Where the
// document's programs are flawed, the C++ lesson must show the same flaw as our Node
// twin in the same situation (lessons/01_tcp_server/server.js, 02_tcp_client/client.js),
// so several cases run both and compare.
//
// Every case is bounded (a node:test timeout, and every wait has its own limit),
// every child process is killed and reaped in `finally` (and again in `after`), and
// every tmpfs mounted here is unmounted in `finally`. The cases that mount (disk
// full, read-only directory) or drop privileges (setpriv) need root; they are
// skipped, saying so, when not root; the one that runs the server under strace is
// skipped without strace. The suite needs about 1,200 descriptors in this process;
// if the soft limit is lower it raises it with prlimit(1).
//
// The numbers worth keeping (uploads lost to name collisions, server CPU while at the
// descriptor limit, ...) are printed as test diagnostics ("ℹ ..." lines); see
// tests/stress/README.md.
//
// Not repeated here (tests/integration/tcp.test.js has them): byte-exact sizes,
// interop, busy port, no server, missing client file, missing server_files/, a client
// that resets, a lone SIGKILLed client, bad flags.

const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const h = require('../integration/helpers');
const { normalise } = require('../diff/harness');

h.requireBuilt(h.BIN.tcpServer, h.BIN.tcpClient, h.RAW.tcpServer, h.RAW.tcpClient);

// ---------------------------------------------------------------- the programs' lines

const READY = (port) => `escutando porta ${port}`;
const CONNECTED = 'conectado!';
const DATA = 'recebendo dados...';
const CLOSED = 'conexao com o cliente encerrada';
const SAVED = 'arquivo salvo com sucesso!';
const SAVE_ERROR = 'erro ao salvar arquivo';
const CLIENT_OK = 'conectado ao servidor\nconexao encerrada\n';
const CLIENT_FILE = path.join('client_files', 'client.txt');

const IS_ROOT = typeof process.getuid === 'function' && process.getuid() === 0;
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

// ---------------------------------------------------------------- clean-up

// What a test opens here (sockets, mounts, extra directories, servers under strace)
// is registered, so `after` can undo it even when a test failed half-way.
const openSockets = new Set();
const mounts = new Set();
const extraDirs = new Set();
const tracedPids = new Set(); // servers run under strace (see killTraced)

function killTraced(pid) {
  try {
    process.kill(pid, 'SIGKILL');
  } catch { /* already gone */ }
  tracedPids.delete(pid);
}

after(async () => {
  for (const s of openSockets) s.destroy();
  for (const pid of tracedPids) killTraced(pid);
  await h.killAll();
  for (const m of mounts) umount(m);
  for (const d of extraDirs) fs.rmSync(d, { recursive: true, force: true });
});

function mountTmpfs(dir, options) {
  execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir]);
  mounts.add(dir);
}

function umount(dir) {
  if (!mounts.has(dir)) return;
  try {
    execFileSync('umount', [dir]);
  } catch {
    execFileSync('umount', ['-l', dir]); // still busy (should not happen): detach it
  }
  mounts.delete(dir);
}

// ---------------------------------------------------------------- descriptors

function nofile(pid = 'self') {
  const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(fs.readFileSync(`/proc/${pid}/limits`, 'utf8'));
  const num = (s) => (s === 'unlimited' ? Infinity : Number(s));
  return { soft: num(m[1]), hard: num(m[2]) };
}

// This process holds up to ~1,200 sockets at once (the idle-connections case): make
// sure its own limit allows it (CI shells often start at 1024).
function ensureNofile(n) {
  const { soft, hard } = nofile();
  if (soft >= n) return;
  const newHard = hard >= n ? hard : n;
  execFileSync('prlimit', ['--pid', String(process.pid), `--nofile=${n}:${newHard === Infinity ? 'unlimited' : newHard}`]);
  assert.ok(nofile().soft >= n, `could not raise this process's descriptor limit to ${n}`);
}

function fdCount(pid) {
  return fs.readdirSync(`/proc/${pid}/fd`).length;
}

// utime + stime of a process, in seconds (/proc/PID/stat fields 14 and 15).
function cpuSeconds(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

// Share of one CPU the process used over `ms` of wall time.
async function cpuShare(pid, ms) {
  const c0 = cpuSeconds(pid);
  const t0 = process.hrtime.bigint();
  await h.sleep(ms);
  const cpu = cpuSeconds(pid) - c0;
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  return { cpu, wall, share: cpu / wall };
}

// ---------------------------------------------------------------- programs

// Start the C++ server ('cpp'), its raw.cpp twin ('raw') or server.js ('node') in `dir`,
// optionally through a wrapper that execs it (prlimit ... --, setpriv ...): the PID
// stays the server's.
const CPP_SERVER = { cpp: h.BIN.tcpServer, raw: h.RAW.tcpServer };
const CPP_CLIENT = { cpp: h.BIN.tcpClient, raw: h.RAW.tcpClient };
async function startServer(kind, dir, { wrap = [] } = {}) {
  const [prog, progArgs] = kind === 'node' ? [process.execPath, [h.TWIN.tcpServer]] : [CPP_SERVER[kind], []];
  const cmd = wrap.length ? wrap[0] : prog;
  const argsFor = (port) => [...wrap.slice(1), ...(wrap.length ? [prog] : []), ...progArgs, '--port', String(port)];
  const name = kind === 'node' ? 'server.js' : path.basename(prog);
  const { proc, port } = await h.startServer(cmd, argsFor, { cwd: dir, ready: READY, name });
  return { proc, port, dir, kind };
}

function spawnClient(kind, dir, port, { wrap = [], host } = {}) {
  const [prog, progArgs] = kind === 'node' ? [process.execPath, [h.TWIN.tcpClient]] : [CPP_CLIENT[kind], []];
  const args = [...progArgs, '--port', String(port), ...(host ? ['--host', host] : [])];
  const name = kind === 'node' ? 'client.js' : path.basename(prog);
  return wrap.length
    ? h.spawnProc(wrap[0], [...wrap.slice(1), prog, ...args], { cwd: dir, name })
    : h.spawnProc(prog, args, { cwd: dir, name });
}

function savedFiles(dir) {
  return fs.readdirSync(path.join(dir, 'server_files')).sort();
}

function readSaved(dir, name) {
  return fs.readFileSync(path.join(dir, 'server_files', name));
}

const sha = (b) => crypto.createHash('sha256').update(b).digest('hex');

function assertSameBytes(actual, expected, what) {
  assert.ok(actual.equals(expected),
    `${what}: got ${actual.length} bytes (sha256 ${sha(actual).slice(0, 16)}), ` +
    `expected ${expected.length} (sha256 ${sha(expected).slice(0, 16)})`);
}

// The saved file whose bytes are exactly `data` (a one-second name cannot tell us which).
function findSaved(dir, data) {
  return savedFiles(dir).find((f) => readSaved(dir, f).equals(data));
}

// Wait until every connection the server accepted has ended in a save, and nothing has
// changed for a second.
async function settled(proc, ms) {
  const state = () => [CONNECTED, CLOSED, SAVED].map((l) => proc.count(l)).join('/');
  const end = Date.now() + ms;
  let last = '';
  let since = Date.now();
  for (;;) {
    const now = state();
    const [c, e, s] = now.split('/');
    if (now !== last) { last = now; since = Date.now(); }
    if (c === e && e === s && Date.now() - since >= 1000) return;
    if (Date.now() > end || proc.exited) {
      throw new Error(`the server did not settle (connected/closed/saved = ${now}); exited: ${proc.exited}`);
    }
    await h.sleep(50);
  }
}

// Wait until the wall clock is in a later second than `t` (Date.now() value): an
// upload saved from now on cannot get the same one-second file name as one saved at t.
async function nextSecondAfter(t) {
  const target = (Math.floor(t / 1000) + 1) * 1000 + 50;
  while (Date.now() < target) await h.sleep(10);
}

// The property block of a Node error report: from the line after ` {` to `}`.
function props(text) {
  const m = /\{\n((?: {2}\w+: .*\n)+)\}/.exec(text);
  return m ? m[1] : null;
}

function errorCode(text) {
  const m = /^ {2}code: '([A-Z_0-9]+)',?$/m.exec(text);
  return m ? m[1] : null;
}

// ---------------------------------------------------------------- a client fed through a FIFO

// client_files/client.txt is a FIFO this test writes into, so a real lesson-02 client
// stays connected mid-upload for as long as the test wants. Our end is O_RDWR (never
// blocks on open, and no SIGPIPE for us if the client dies) and O_NONBLOCK (a client
// that stops reading cannot freeze this process in writeSync).
class Fifo {
  constructor(dir) {
    this.path = path.join(dir, CLIENT_FILE);
    execFileSync('mkfifo', [this.path]);
    this.fd = fs.openSync(this.path, fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
    this.sent = [];
  }

  async write(buf, ms = 10000) {
    const end = Date.now() + ms;
    let off = 0;
    while (off < buf.length) {
      try {
        off += fs.writeSync(this.fd, buf, off, buf.length - off);
      } catch (err) {
        if (err.code !== 'EAGAIN') throw err;
        if (Date.now() > end) throw new Error(`FIFO writer: the client read nothing for ${ms} ms`);
        await h.sleep(5);
      }
    }
    this.sent.push(buf);
  }

  get bytes() { return Buffer.concat(this.sent); }

  // The last writer goes away: the client reads EOF and ends its upload.
  close() {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }
}

// ---------------------------------------------------------------- sockets of this process

// Connect a socket to the server; it is tracked, and `closedEarly` tells whether it was
// closed (by the server, or an error) before this test ended it.
function connect(port) {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    openSockets.add(s);
    s.endedByUs = false;
    s.closedEarly = false;
    s.errorCode = null;
    s.on('error', (err) => { s.errorCode = err.code; });
    s.on('data', () => {});
    s.on('close', () => {
      openSockets.delete(s);
      if (!s.endedByUs) s.closedEarly = true;
    });
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

function closed(s) {
  return s.destroyed && !openSockets.has(s) ? Promise.resolve() : new Promise((resolve) => s.once('close', resolve));
}

async function connectMany(port, n, batch = 100) {
  const socks = [];
  for (let i = 0; i < n; i += batch) {
    const k = Math.min(batch, n - i);
    socks.push(...await Promise.all(Array.from({ length: k }, () => connect(port))));
  }
  return socks;
}

function destroyAll(socks) {
  for (const s of socks) {
    s.endedByUs = true;
    s.destroy();
  }
}

// ================================================================ C5: a client killed mid-upload

for (const kind of ['cpp', 'raw']) test(`a client SIGKILLed mid-upload while another client uploads: the server keeps serving the other, whose upload arrives whole${kind === 'raw' ? ' [raw.cpp]' : ''}`, { timeout: 60000 }, async () => {
  const dirA = h.workDir({ serverFiles: false });
  const dirB = h.workDir({ serverFiles: false });
  const fifoA = new Fifo(dirA);
  const fifoB = new Fifo(dirB);
  const procs = [];
  try {
    const server = await startServer(kind, h.workDir());
    procs.push(server.proc);
    await fifoA.write(crypto.randomBytes(48 * 1024));
    await fifoB.write(crypto.randomBytes(48 * 1024));
    const a = spawnClient(kind, dirA, server.port);
    const b = spawnClient(kind, dirB, server.port);
    procs.push(a, b);
    await server.proc.waitFor(() => server.proc.count(CONNECTED) === 2 && server.proc.count(DATA) >= 2);

    // B keeps uploading (32 KiB every 40 ms) while A is killed half-way through its own.
    let killedAt = 0;
    for (let i = 0; i < 10; i++) {
      await fifoB.write(crypto.randomBytes(32 * 1024));
      if (i === 3) await a.stop('SIGKILL'); // FIN from the kernel: looks like a normal end (C5)
      await h.sleep(40);
    }
    await server.proc.waitFor(() => server.proc.count(SAVED) === 1, { ms: 10000 });
    killedAt = Date.now();
    assert.ok(b.alive, 'B is still connected');
    assert.equal(server.proc.count(CLOSED), 1, "only A's connection ended");
    const [nameA] = savedFiles(server.dir);
    const savedA = readSaved(server.dir, nameA);
    assert.ok(savedA.length <= fifoA.bytes.length);
    assertSameBytes(savedA, fifoA.bytes.subarray(0, savedA.length), "A's truncated upload (a prefix of what A was given)");

    // B goes on uploading in a later second (one-second names), then ends.
    await fifoB.write(crypto.randomBytes(100 * 1024));
    await nextSecondAfter(killedAt);
    fifoB.close();
    await b.exit(15000);
    assert.equal(b.code, 0, b.stderr);
    assert.equal(b.stdout, CLIENT_OK);
    await server.proc.waitFor(() => server.proc.count(SAVED) === 2);
    const nameB = findSaved(server.dir, fifoB.bytes);
    assert.ok(nameB, `B's ${fifoB.bytes.length}-byte upload is saved whole (files: ${savedFiles(server.dir)})`);
    assert.notEqual(nameB, nameA);
    assert.ok(server.proc.alive, 'the server keeps running');
    assert.equal(server.proc.count(SAVE_ERROR), 0);
    assert.equal(server.proc.stderr, '');
  } finally {
    fifoA.close();
    fifoB.close();
    await Promise.all(procs.map((p) => p.stop()));
  }
});

// ================================================================ C6: the server killed mid-upload

test('the server SIGKILLed mid-upload: the C++ client dies like client.js, with Node\'s unhandled ECONNRESET/EPIPE report and status 1', { timeout: 60000 }, async (t) => {
  const dirs = { cpp: h.workDir({ serverFiles: false }), node: h.workDir({ serverFiles: false }) };
  const fifos = { cpp: new Fifo(dirs.cpp), node: new Fifo(dirs.node) };
  const procs = [];
  try {
    const server = await startServer('cpp', h.workDir());
    procs.push(server.proc);
    for (const k of ['cpp', 'node']) await fifos[k].write(crypto.randomBytes(64 * 1024));
    const clients = { cpp: spawnClient('cpp', dirs.cpp, server.port), node: spawnClient('node', dirs.node, server.port) };
    procs.push(clients.cpp, clients.node);
    await server.proc.waitFor(() => server.proc.count(CONNECTED) === 2);
    await Promise.all(Object.values(clients).map((c) => c.waitFor('conectado ao servidor')));

    // Stop the server, so what the clients send next stays unread in its socket; killed
    // with unread data, its sockets send RST (RFC 2525, as Linux does), not FIN.
    server.proc.child.kill('SIGSTOP');
    for (const k of ['cpp', 'node']) await fifos[k].write(crypto.randomBytes(256 * 1024));
    await h.sleep(300);
    await server.proc.stop('SIGKILL');

    // Both print their report at once. A harness detail: Node's exit then waits for its
    // thread pool, where a read(2) of the FIFO blocks until this test closes its end
    // (with a regular file there is no such wait); the C++ client does not wait.
    const reported = (c) => /\n\}\n\n.+\n$/.test(c.stderr);
    await Promise.all(Object.values(clients).map((c) => c.waitFor(() => reported(c), { stream: 'stderr', allowExit: true })));
    await h.sleep(200);
    const exitedAtOnce = Object.entries(clients).filter(([, c]) => c.exited).map(([k]) => k);
    for (const f of Object.values(fifos)) f.close();
    await Promise.all(Object.values(clients).map((c) => c.exit(10000)));
    const { cpp, node } = clients;
    const codes = { cpp: errorCode(cpp.stderr), node: errorCode(node.stderr) };
    t.diagnostic(`client error codes: C++ ${codes.cpp}, client.js ${codes.node}; ` +
      `exited before the FIFO was closed: ${exitedAtOnce.join(', ') || 'none'}`);
    assert.equal(node.code, 1, `client.js exit status; stderr:\n${node.stderr}`);
    assert.equal(cpp.code, node.code, `same exit status as client.js; stderr:\n${cpp.stderr}`);
    assert.equal(cpp.signal, null);
    for (const c of [cpp, node]) {
      assert.match(c.stderr, /Unhandled 'error' event\n/, c.stderr);
      assert.match(c.stderr, /\nError: (read ECONNRESET|write EPIPE|write ECONNRESET)\n/);
      assert.ok(['ECONNRESET', 'EPIPE'].includes(errorCode(c.stderr)), c.stderr);
    }
    assert.equal(normalise(cpp.stderr).split('\n')[0], normalise(node.stderr).split('\n')[0],
      'the same header once each names its own source');
    if (codes.cpp === codes.node) assert.equal(props(cpp.stderr), props(node.stderr), 'same error properties');
    assert.equal(cpp.stdout, 'conectado ao servidor\n', "no 'conexao encerrada': 'close' listeners never run");
    assert.equal(cpp.stdout, node.stdout);
  } finally {
    for (const f of Object.values(fifos)) f.close();
    await Promise.all(procs.map((p) => p.stop()));
  }
});

// ================================================================ A2: handles closed mid-dispatch, fd reuse

test('300 short connections opened and closed rapidly while a long upload runs: the long upload arrives whole, no descriptor leaks', { timeout: 90000 }, async (t) => {
  const dirL = h.workDir({ serverFiles: false });
  const fifo = new Fifo(dirL);
  const procs = [];
  try {
    const server = await startServer('cpp', h.workDir());
    procs.push(server.proc);
    const baseline = fdCount(server.proc.child.pid);
    await fifo.write(crypto.randomBytes(64 * 1024));
    const long = spawnClient('cpp', dirL, server.port);
    procs.push(long);
    await server.proc.waitFor(() => server.proc.count(CONNECTED) === 1 && server.proc.count(DATA) >= 1);

    // The churn: 300 connections, 30 at a time, closed three normal ways (never a
    // reset: the faithful server dies on the first RST). Many closes and accepts land
    // in one poll(2) batch, and new connections get descriptor numbers just freed.
    let feeding = true;
    const feeder = (async () => {
      while (feeding) {
        await fifo.write(crypto.randomBytes(16 * 1024));
        await h.sleep(10);
      }
    })();
    const started = Date.now();
    const N = 300;
    const errors = [];
    for (let i = 0; i < N; i += 30) {
      await Promise.all(Array.from({ length: 30 }, async (_, j) => {
        const k = i + j;
        const s = await connect(server.port);
        s.endedByUs = true;
        if (k % 3 === 0) s.end(); // connect, FIN at once: an empty upload
        else if (k % 3 === 1) s.end(crypto.randomBytes(100)); // a tiny upload, then FIN
        else { s.write(crypto.randomBytes(2000)); s.destroy(); } // write, close(2) at once (FIN)
        await closed(s);
        if (s.errorCode) errors.push(s.errorCode);
      }));
    }
    await server.proc.waitFor(() => server.proc.count(SAVED) === N, { ms: 30000 });
    const churnMs = Date.now() - started;
    const lastSave = Date.now();
    feeding = false;
    await feeder;
    t.diagnostic(`${N} short connections in ${churnMs} ms while the long upload was fed`);
    assert.deepEqual(errors, [], 'no short connection saw an error');
    assert.equal(server.proc.count(CONNECTED), N + 1);
    assert.equal(server.proc.count(CLOSED), N);
    assert.ok(long.alive, 'the long upload is still running');
    assert.equal(fdCount(server.proc.child.pid), baseline + 1, 'the server holds the long connection only');

    await fifo.write(crypto.randomBytes(256 * 1024));
    await nextSecondAfter(lastSave);
    fifo.close();
    await long.exit(20000);
    assert.equal(long.code, 0, long.stderr);
    assert.equal(long.stdout, CLIENT_OK);
    await server.proc.waitFor(() => server.proc.count(SAVED) === N + 1);
    const name = findSaved(server.dir, fifo.bytes);
    assert.ok(name, `the long upload (${fifo.bytes.length} bytes) is saved whole`);
    assert.ok(server.proc.alive);
    assert.equal(server.proc.count(SAVE_ERROR), 0);
    assert.equal(server.proc.stderr, '');
    assert.equal(fdCount(server.proc.child.pid), baseline, 'back to the descriptors it had after listen()');
  } finally {
    fifo.close();
    await Promise.all(procs.map((p) => p.stop()));
  }
});

// ================================================================ T1: 200 uploads at once

for (const kind of ['cpp', 'raw']) test(`200 clients uploading at once: 200 connections closed and 200 saves reported; what survives on disk is byte-exact; one-second names lose the rest${kind === 'raw' ? ' [raw.cpp]' : ''}`, { timeout: 90000 }, async (t) => {
  ensureNofile(1200);
  const N = 200;
  const payloads = Array.from({ length: N }, () => crypto.randomBytes(10 * 1024));
  const bySha = new Map(payloads.map((p, i) => [sha(p), i]));
  let server;
  let socks = [];
  try {
    server = await startServer(kind, h.workDir());
    socks = await connectMany(server.port, N, N); // all 200 connected...
    await server.proc.waitFor(() => server.proc.count(CONNECTED) === N, { ms: 20000 });
    const started = Date.now();
    socks.forEach((s, i) => { s.endedByUs = true; s.end(payloads[i]); }); // ...then all upload at once
    await Promise.all(socks.map(closed));
    await server.proc.waitFor(() => server.proc.count(SAVED) === N, { ms: 30000 });
    const elapsed = Date.now() - started;

    assert.deepEqual(socks.filter((s) => s.errorCode).map((s) => s.errorCode), [], 'no client saw an error');
    assert.equal(server.proc.count(CLOSED), N, "one 'conexao com o cliente encerrada' per client");
    assert.equal(server.proc.count(SAVED), N, "one 'arquivo salvo com sucesso!' per client");
    assert.equal(server.proc.count(SAVE_ERROR), 0);
    assert.ok(server.proc.count(DATA) >= N, "at least one 'recebendo dados...' per client");
    assert.ok(server.proc.alive);
    assert.equal(server.proc.stderr, '');

    const files = savedFiles(server.dir);
    const survivors = new Set();
    for (const f of files) {
      const data = readSaved(server.dir, f);
      assert.equal(data.length, 10 * 1024, `${f}: a whole upload, not a mix or a truncation`);
      const i = bySha.get(sha(data));
      assert.ok(i !== undefined, `${f} is exactly one of the 200 uploads`);
      survivors.add(i);
    }
    assert.equal(survivors.size, files.length);
    assert.ok(files.length >= 1);
    t.diagnostic(`200 uploads of 10 KiB in ${elapsed} ms: ${files.length} file(s) on disk, ` +
      `${N - files.length} lost to same-second names (T1)`);
  } finally {
    destroyAll(socks);
    if (server) await server.proc.stop();
  }
});

// ================================================================ C7: 1,000 idle connections

test('1,000 idle connections held open: the server stays idle, and an upload from the C++ client still completes byte-exact', { timeout: 90000 }, async (t) => {
  ensureNofile(1200);
  const N = 1000;
  let server;
  let socks = [];
  let client;
  try {
    // The server's own limit, whatever the shell's: 1,000 connections + its own few.
    server = await startServer('cpp', h.workDir(), { wrap: ['prlimit', '--nofile=4096:4096', '--'] });
    const started = Date.now();
    socks = await connectMany(server.port, N, 200);
    await server.proc.waitFor(() => server.proc.count(CONNECTED) === N, { ms: 30000 });
    const connectMs = Date.now() - started;
    const idle = await cpuShare(server.proc.child.pid, 1000);

    const data = crypto.randomBytes(4 * 1024 * 1024);
    fs.writeFileSync(path.join(server.dir, CLIENT_FILE), data);
    const t0 = Date.now();
    client = spawnClient('cpp', server.dir, server.port);
    await client.exit(30000);
    assert.equal(client.code, 0, client.stderr);
    assert.equal(client.stdout, CLIENT_OK);
    await server.proc.waitFor(() => server.proc.count(SAVED) === 1);
    const uploadMs = Date.now() - t0;
    const files = savedFiles(server.dir);
    assert.equal(files.length, 1);
    assertSameBytes(readSaved(server.dir, files[0]), data, 'the 4 MiB upload');
    assert.equal(server.proc.count(CONNECTED), N + 1);
    assert.equal(server.proc.count(CLOSED), 1, 'the idle connections are all still open');
    assert.ok(socks.every((s) => !s.closedEarly), 'no idle connection was dropped');
    assert.ok(server.proc.alive);
    t.diagnostic(`${N} idle connections opened in ${connectMs} ms; server CPU while idle: ` +
      `${(idle.share * 100).toFixed(1)}% (${idle.cpu.toFixed(2)} s in ${idle.wall.toFixed(2)} s); ` +
      `4 MiB upload beside them: ${uploadMs} ms`);
    assert.ok(idle.share < 0.10, `the server is idle with 1,000 idle connections: ${(idle.share * 100).toFixed(1)}% CPU`);
  } finally {
    // The server first: 1,000 connections closing now would save 1,000 empty files.
    if (server) await server.proc.stop();
    destroyAll(socks);
    if (client) await client.stop();
  }
});

// ================================================================ B1: the descriptor limit (EMFILE)

test('EMFILE: server under prlimit --nofile=64:64, 150 clients connect and hold: no spin, the excess is shed, the accepted uploads are saved, and it recovers', { timeout: 90000 }, async (t) => {
  const N = 150;
  const payloads = Array.from({ length: N }, (_, i) => Buffer.from(`upload ${i} `.padEnd(1024, String.fromCharCode(65 + (i % 26)))));
  let server;
  let socks = [];
  const hammer = { running: false, attempts: 0, socks: new Set() };
  let client;
  try {
    server = await startServer('cpp', h.workDir(), { wrap: ['prlimit', '--nofile=64:64', '--'] });
    const pid = server.proc.child.pid;
    socks = await Promise.all(Array.from({ length: N }, async (_, i) => {
      const s = await connect(server.port);
      s.index = i;
      s.write(payloads[i]); // each client sends its upload at once, then holds the connection
      return s;
    }));
    // Settled: every client was either accepted (the server says 'conectado!') or shed
    // (the server accepted and closed it at once, to get out of EMFILE).
    await h.until(() => server.proc.count(CONNECTED) + socks.filter((s) => s.closedEarly).length === N,
      20000, 'every client accepted or shed');
    const accepted = socks.filter((s) => !s.closedEarly);
    assert.equal(accepted.length, server.proc.count(CONNECTED));
    assert.ok(accepted.length > 0 && accepted.length < 64, `${accepted.length} accepted under a 64-descriptor limit`);
    const shedCodes = {};
    for (const s of socks.filter((x) => x.closedEarly)) shedCodes[s.errorCode || 'FIN'] = (shedCodes[s.errorCode || 'FIN'] || 0) + 1;

    // Saturated and quiet: 2 s of CPU.
    const quiet = await cpuShare(pid, 2000);
    // Saturated with new arrivals: 8 loops each reconnecting 20 ms after being shed.
    hammer.running = true;
    const loop = async () => {
      while (hammer.running) {
        hammer.attempts++;
        try {
          const s = await connect(server.port);
          hammer.socks.add(s);
          await closed(s); // shed by the server
          hammer.socks.delete(s);
        } catch { /* refused: not expected, but the count tells */ }
        await h.sleep(20);
      }
    };
    const loops = Array.from({ length: 8 }, loop);
    const busy = await cpuShare(pid, 2000);
    hammer.running = false;
    await Promise.race([Promise.all(loops), h.sleep(5000)]);
    assert.equal(hammer.socks.size, 0, 'every connection beyond the limit was shed (closed by the server)');
    assert.equal(server.proc.count(CONNECTED), accepted.length, 'none of them was accepted');

    t.diagnostic(`limit 64: ${accepted.length} accepted, ${N - accepted.length} shed (${JSON.stringify(shedCodes)}); ` +
      `server CPU at the limit: ${(quiet.share * 100).toFixed(1)}% quiet, ` +
      `${(busy.share * 100).toFixed(1)}% with ${hammer.attempts} new connections shed in 2 s`);
    assert.ok(quiet.share < 0.10, `no busy loop at EMFILE: ${(quiet.share * 100).toFixed(1)}% CPU`);
    assert.ok(busy.share < 0.10, `no busy loop while new clients arrive at EMFILE: ${(busy.share * 100).toFixed(1)}% CPU`);
    assert.ok(server.proc.alive);

    // The accepted clients end their uploads: every one is saved, no error.
    const lastSaveBefore = Date.now();
    for (const s of accepted) { s.endedByUs = true; s.end(); }
    await Promise.all(accepted.map(closed));
    await server.proc.waitFor(() => server.proc.count(SAVED) === accepted.length, { ms: 20000 });
    assert.equal(server.proc.count(CLOSED), accepted.length);
    assert.equal(server.proc.count(SAVE_ERROR), 0, 'no save failed for want of a descriptor');
    const sent = new Map(accepted.map((s) => [sha(payloads[s.index]), s.index]));
    const files = savedFiles(server.dir);
    for (const f of files) assert.ok(sent.has(sha(readSaved(server.dir, f))), `${f} is one accepted upload, whole`);

    // Recovery: with the descriptors back, a new upload from the C++ client succeeds.
    const data = crypto.randomBytes(100 * 1024);
    fs.writeFileSync(path.join(server.dir, CLIENT_FILE), data);
    await nextSecondAfter(Math.max(lastSaveBefore, Date.now()));
    client = spawnClient('cpp', server.dir, server.port);
    await client.exit(15000);
    assert.equal(client.code, 0, client.stderr);
    assert.equal(client.stdout, CLIENT_OK);
    await server.proc.waitFor(() => server.proc.count(SAVED) === accepted.length + 1);
    assert.ok(findSaved(server.dir, data), 'the upload after recovery is saved whole');
    assert.equal(server.proc.stderr, '', "no 'error' event on the server");
    assert.ok(server.proc.alive);
  } finally {
    hammer.running = false;
    destroyAll([...socks, ...hammer.socks]);
    if (client) await client.stop();
    if (server) await server.proc.stop();
  }
});

function hasStrace() {
  try {
    execFileSync('strace', ['--seccomp-bpf', '-f', '-qq', '-o', '/dev/null', '-e', 'trace=openat', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

test('EMFILE with the spare descriptor lost (strace makes its re-open fail): no busy loop, and it recovers', { timeout: 90000 }, async (t) => {
  // The server keeps a spare descriptor to shed connections at EMFILE (libuv's trick).
  // If re-opening the spare fails (here: injected; for real: a thread-pool open(2) of
  // fs.writeFile takes the freed slot first), it must not spin on the listening socket.
  if (!hasStrace()) { t.skip('needs strace with --seccomp-bpf (apt-get install strace)'); return; }
  const N = 150;
  const dir = h.workDir();
  const log = path.join(dir, 'strace.log');
  let server;
  let pid = 0;
  let socks = [];
  let client;
  try {
    server = await startServer('cpp', dir, {
      wrap: ['prlimit', '--nofile=64:64', '--', 'strace', '-f', '-qq', '--seccomp-bpf', '-o', log,
        '-P', '/', '-e', 'trace=openat', '-e', 'inject=openat:error=EMFILE:when=2', '--'],
    });
    const stracePid = server.proc.child.pid;
    pid = Number(fs.readFileSync(`/proc/${stracePid}/task/${stracePid}/children`, 'utf8').trim().split(/\s+/)[0]);
    assert.ok(pid > 0, 'the server runs under strace');
    tracedPids.add(pid);
    socks = await Promise.all(Array.from({ length: N }, async (_, i) => {
      const s = await connect(server.port);
      // Equal sizes: two same-second saves of different sizes would mix (T1), e.g. a
      // 9-byte upload written over a 10-byte one leaves 'upload 9\n\n'.
      s.write(`upload ${String(i).padStart(3, '0')}\n`);
      return s;
    }));
    await h.sleep(1500);
    const straceLog = fs.readFileSync(log, 'utf8');
    assert.match(straceLog, /EMFILE .*\(INJECTED\)/, 'the spare descriptor was lost');
    const accepted = server.proc.count(CONNECTED);
    const shed = socks.filter((s) => s.closedEarly).length;
    const load = await cpuShare(pid, 2000);
    t.diagnostic(`spare lost at the limit: ${accepted} accepted, ${shed} shed, ${N - accepted - shed} waiting; ` +
      `server CPU ${(load.share * 100).toFixed(1)}% (${load.cpu.toFixed(2)} s in ${load.wall.toFixed(2)} s)`);
    assert.ok(load.share < 0.10, `no busy loop without the spare descriptor: ${(load.share * 100).toFixed(1)}% CPU`);
    assert.ok(server.proc.alive);

    // Every client closes (FIN); the waiting ones are accepted (or shed, once the spare
    // is back) as descriptors free up. Every accepted connection ends in a save.
    const closedAt = Date.now();
    destroyAll(socks);
    await settled(server.proc, 30000);
    const total = server.proc.count(CONNECTED);
    assert.ok(total >= accepted, `${total} connections accepted in all`);
    // With clients waiting in the backlog, the descriptor a finished upload frees is
    // often taken by accept(2) for the next client before fs.writeFile's open(2) runs
    // on the thread pool (slowed down here by strace): that save fails with EMFILE, and
    // the document's callback prints both lines. server.js does the same (a flaw of the
    // design, not of the loop); the count is a number to watch, not an assertion.
    const failed = server.proc.count(SAVE_ERROR);
    for (const f of savedFiles(dir)) {
      assert.match(readSaved(dir, f).toString(), /^(upload \d{3}\n)?$/, `${f}: one client's upload, whole`);
    }
    t.diagnostic(`after the clients closed: ${total} connections accepted in all, ` +
      `${failed} of their saves failed with EMFILE (descriptor taken by accept first)`);

    const data = crypto.randomBytes(50 * 1024);
    fs.writeFileSync(path.join(dir, CLIENT_FILE), data);
    await nextSecondAfter(Math.max(closedAt, Date.now()));
    client = spawnClient('cpp', dir, server.port);
    await client.exit(15000);
    assert.equal(client.code, 0, client.stderr);
    await server.proc.waitFor(() => server.proc.count(SAVED) === total + 1);
    assert.ok(findSaved(dir, data), 'the upload after recovery is saved whole');
    assert.equal(server.proc.stderr, '');
  } finally {
    destroyAll(socks);
    if (client) await client.stop();
    // The server first: killing strace (6.1) only detaches it, and the detached server
    // would keep our stdout pipe open, so its Proc would never close.
    if (pid > 0) killTraced(pid);
    if (server) await server.proc.exit(5000); // strace reaps it and ends (SIGKILL after 5 s)
  }
});

// ================================================================ F1: disk full

test('disk full (server_files/ on a 256 KiB tmpfs), 1 MiB upload: both lines printed, the same partial file as server.js leaves, and the server keeps serving', { timeout: 60000 }, async (t) => {
  if (!IS_ROOT) { t.skip('needs root to mount a tmpfs (mount -t tmpfs -o size=256k)'); return; }
  const servers = [];
  const clients = [];
  const dirs = { cpp: h.workDir(), node: h.workDir() };
  try {
    for (const k of ['cpp', 'node']) mountTmpfs(path.join(dirs[k], 'server_files'), 'size=256k');
    const [cpp, node] = await Promise.all([startServer('cpp', dirs.cpp), startServer('node', dirs.node)]);
    servers.push(cpp, node);
    const data = crypto.randomBytes(1024 * 1024);
    const cdir = h.workDir({ serverFiles: false });
    fs.writeFileSync(path.join(cdir, CLIENT_FILE), data);
    for (const s of servers) clients.push(spawnClient('cpp', cdir, s.port));
    await Promise.all(clients.map((c) => c.exit(20000)));
    for (const c of clients) assert.equal(c.code, 0, c.stderr);
    await Promise.all(servers.map((s) => s.proc.waitFor(SAVED)));

    const sizes = {};
    for (const s of servers) {
      assert.match(s.proc.stdout, /\nconexao com o cliente encerrada\nerro ao salvar arquivo\narquivo salvo com sucesso!\n$/,
        `${s.proc.name}: the error line, then the success line anyway (T7)`);
      assert.ok(s.proc.alive, `${s.proc.name} keeps running`);
      const files = savedFiles(s.dir);
      assert.equal(files.length, 1, `${s.proc.name} leaves one (partial) file`);
      const left = readSaved(s.dir, files[0]);
      assertSameBytes(left, data.subarray(0, left.length), `${s.proc.name}: the partial file is the upload's beginning`);
      sizes[s.kind] = left.length;
    }
    t.diagnostic(`1 MiB into a 256 KiB tmpfs: the C++ server left ${sizes.cpp} bytes, server.js ${sizes.node} bytes`);
    assert.ok(sizes.cpp < data.length);
    assert.equal(sizes.cpp, sizes.node, 'the same partial file as server.js (T8)');

    // Space freed: the next upload succeeds.
    fs.rmSync(path.join(cpp.dir, 'server_files', savedFiles(cpp.dir)[0]));
    const small = Buffer.from('depois de liberar espaco\n');
    fs.writeFileSync(path.join(cdir, CLIENT_FILE), small);
    const again = spawnClient('cpp', cdir, cpp.port);
    clients.push(again);
    await again.exit(15000);
    assert.equal(again.code, 0, again.stderr);
    await cpp.proc.waitFor(() => cpp.proc.count(SAVED) === 2);
    assert.equal(cpp.proc.count(SAVE_ERROR), 1);
    const files = savedFiles(cpp.dir);
    assert.equal(files.length, 1);
    assertSameBytes(readSaved(cpp.dir, files[0]), small, 'the upload after freeing space');
    assert.equal(cpp.proc.stderr, '');
  } finally {
    await Promise.all([...clients, ...servers.map((s) => s.proc)].map((p) => p.stop()));
    for (const k of ['cpp', 'node']) umount(path.join(dirs[k], 'server_files'));
  }
});

// ================================================================ F2: file too large

test('file too large (server under prlimit --fsize=4096), 10 KiB upload: EFBIG reported, no SIGXFSZ death, the same partial file as server.js, and it keeps serving', { timeout: 60000 }, async (t) => {
  const servers = [];
  const clients = [];
  try {
    const wrap = ['prlimit', '--fsize=4096', '--'];
    servers.push(...await Promise.all([
      startServer('cpp', h.workDir(), { wrap }),
      startServer('node', h.workDir(), { wrap }),
    ]));
    const data = crypto.randomBytes(10 * 1024);
    const cdir = h.workDir({ serverFiles: false });
    fs.writeFileSync(path.join(cdir, CLIENT_FILE), data);
    for (const s of servers) clients.push(spawnClient('cpp', cdir, s.port));
    await Promise.all(clients.map((c) => c.exit(15000)));
    for (const c of clients) assert.equal(c.code, 0, c.stderr);
    await Promise.all(servers.map((s) => s.proc.waitFor(SAVED)));

    const sizes = {};
    for (const s of servers) {
      assert.match(s.proc.stdout, /\nconexao com o cliente encerrada\nerro ao salvar arquivo\narquivo salvo com sucesso!\n$/,
        `${s.proc.name}: the error line (EFBIG), then the success line anyway`);
      assert.ok(s.proc.alive, `${s.proc.name} is not killed by SIGXFSZ`);
      const files = savedFiles(s.dir);
      assert.equal(files.length, 1);
      const left = readSaved(s.dir, files[0]);
      assertSameBytes(left, data.subarray(0, left.length), `${s.proc.name}: the partial file is the upload's beginning`);
      sizes[s.kind] = left.length;
    }
    t.diagnostic(`10 KiB under RLIMIT_FSIZE=4096: the C++ server left ${sizes.cpp} bytes, server.js ${sizes.node} bytes`);
    assert.equal(sizes.cpp, 4096);
    assert.equal(sizes.cpp, sizes.node, 'the same partial file as server.js');

    // Keeps serving: an upload under the limit succeeds.
    const [cpp] = servers;
    fs.rmSync(path.join(cpp.dir, 'server_files', savedFiles(cpp.dir)[0]));
    const small = crypto.randomBytes(3000);
    fs.writeFileSync(path.join(cdir, CLIENT_FILE), small);
    const again = spawnClient('cpp', cdir, cpp.port);
    clients.push(again);
    await again.exit(15000);
    assert.equal(again.code, 0, again.stderr);
    await cpp.proc.waitFor(() => cpp.proc.count(SAVED) === 2);
    assert.equal(cpp.proc.count(SAVE_ERROR), 1);
    assertSameBytes(readSaved(cpp.dir, savedFiles(cpp.dir)[0]), small, 'the upload under the limit');
    assert.equal(cpp.proc.stderr, '');
  } finally {
    await Promise.all([...clients, ...servers.map((s) => s.proc)].map((p) => p.stop()));
  }
});

// ================================================================ F4: read-only server_files/

test('server_files/ read-only (a tmpfs mounted ro, since root ignores modes): the error is reported as server.js reports it, and the server keeps serving', { timeout: 60000 }, async (t) => {
  if (!IS_ROOT) { t.skip('needs root to mount a read-only tmpfs (mount -t tmpfs -o ro)'); return; }
  const servers = [];
  const clients = [];
  const dirs = { cpp: h.workDir(), node: h.workDir() };
  try {
    for (const k of ['cpp', 'node']) mountTmpfs(path.join(dirs[k], 'server_files'), 'ro,size=64k');
    servers.push(...await Promise.all([startServer('cpp', dirs.cpp), startServer('node', dirs.node)]));
    const cdir = h.workDir({ serverFiles: false });
    fs.writeFileSync(path.join(cdir, CLIENT_FILE), 'nao ha onde gravar\n');
    for (const s of servers) clients.push(spawnClient('cpp', cdir, s.port));
    await Promise.all(clients.map((c) => c.exit(15000)));
    for (const c of clients) assert.equal(c.code, 0, c.stderr);
    await Promise.all(servers.map((s) => s.proc.waitFor(SAVED)));
    const [cpp, node] = servers;
    for (const s of servers) {
      assert.match(s.proc.stdout, /\nconexao com o cliente encerrada\nerro ao salvar arquivo\narquivo salvo com sucesso!\n$/);
      assert.deepEqual(savedFiles(s.dir), []);
      assert.ok(s.proc.alive, `${s.proc.name} keeps running`);
    }
    assert.equal(cpp.proc.stdout.replace(/\d+/g, 'N'), node.proc.stdout.replace(/\d+/g, 'N'), 'the same lines as server.js');

    // Writable again (remount rw): the server, still running, saves the next upload.
    execFileSync('mount', ['-o', 'remount,rw', path.join(cpp.dir, 'server_files')]);
    const data = crypto.randomBytes(20000);
    fs.writeFileSync(path.join(cdir, CLIENT_FILE), data);
    const again = spawnClient('cpp', cdir, cpp.port);
    clients.push(again);
    await again.exit(15000);
    assert.equal(again.code, 0, again.stderr);
    await cpp.proc.waitFor(() => cpp.proc.count(SAVED) === 2);
    assert.equal(cpp.proc.count(SAVE_ERROR), 1);
    assertSameBytes(readSaved(cpp.dir, savedFiles(cpp.dir)[0]), data, 'the upload after the remount');
    assert.equal(cpp.proc.stderr, '');
    t.diagnostic('EROFS: "erro ao salvar arquivo" + "arquivo salvo com sucesso!", no file, server alive (both servers)');
  } finally {
    await Promise.all([...clients, ...servers.map((s) => s.proc)].map((p) => p.stop()));
    for (const k of ['cpp', 'node']) umount(path.join(dirs[k], 'server_files'));
  }
});

// ================================================================ F5: unreadable client file

// Node prints an error without stack frames as `[Error: ...] {`; the kit, which never
// has frames, prints no brackets (docs/differences.md, "error-brackets").
const unbracket = (text) => text.replace(/^\[(Error: .*)\] \{$/m, '$1 {');

async function unreadableCase(t, setup, wrap, expectedProps) {
  const procs = [];
  try {
    const server = await startServer('cpp', h.workDir());
    procs.push(server.proc);
    const dir = setup();
    const cpp = spawnClient('cpp', dir, server.port, { wrap });
    const node = spawnClient('node', dir, server.port, { wrap });
    procs.push(cpp, node);
    const printed = (p) => /\n\}\n/.test(p.stdout);
    await Promise.all([cpp.waitFor(() => printed(cpp)), node.waitFor(() => printed(node))]);
    await h.sleep(1000);
    assert.equal(props(cpp.stdout), expectedProps);
    assert.equal(cpp.stdout, unbracket(node.stdout), 'the same output as client.js');
    assert.ok(cpp.stdout.startsWith('conectado ao servidor\n'));
    assert.equal(cpp.stderr, '');
    assert.ok(node.alive, 'client.js stays connected');
    assert.ok(cpp.alive, 'the C++ client stays connected too (T10)');
    assert.equal(server.proc.count(CONNECTED), 2);
    assert.equal(server.proc.count(CLOSED), 0);
    t.diagnostic(`both clients print ${cpp.lines()[1]} and stay connected`);
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
  }
}

test('a client file that cannot be read (a directory named client.txt: EISDIR): printed as client.js prints it, and the client stays connected like client.js', { timeout: 30000 }, async (t) => {
  await unreadableCase(t, () => {
    const dir = h.workDir({ serverFiles: false });
    fs.mkdirSync(path.join(dir, CLIENT_FILE));
    return dir;
  }, [], "  errno: -21,\n  code: 'EISDIR',\n  syscall: 'read'\n");
});

test('a client file with mode 000, clients run as nobody (setpriv): EACCES printed as client.js prints it, and both stay connected', { timeout: 30000 }, async (t) => {
  if (!IS_ROOT) { t.skip('needs root to run the clients as nobody (setpriv --reuid=65534)'); return; }
  await unreadableCase(t, () => {
    // Not under the helpers' 0700 temporary root: nobody must reach this directory.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kit-stress-nobody-'));
    extraDirs.add(dir);
    fs.chmodSync(dir, 0o755);
    fs.mkdirSync(path.join(dir, 'client_files'), { mode: 0o755 });
    fs.writeFileSync(path.join(dir, CLIENT_FILE), 'segredo\n', { mode: 0o000 });
    fs.chmodSync(path.join(dir, CLIENT_FILE), 0o000);
    return dir;
  }, ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--'],
  "  errno: -13,\n  code: 'EACCES',\n  syscall: 'open',\n  path: './client_files/client.txt'\n");
});

// ================================================================ B5: a host that does not resolve

test('--host nosuchhost.invalid: the C++ client dies like client.js, with Node\'s getaddrinfo ENOTFOUND report and status 1', { timeout: 60000 }, async (t) => {
  const dir = h.workDir({ serverFiles: false });
  fs.writeFileSync(path.join(dir, CLIENT_FILE), 'para ninguem');
  const port = await h.freeTcpPort();
  const cpp = spawnClient('cpp', dir, port, { host: 'nosuchhost.invalid' });
  const node = spawnClient('node', dir, port, { host: 'nosuchhost.invalid' });
  try {
    await Promise.all([cpp.exit(30000), node.exit(30000)]);
    t.diagnostic(`codes: C++ ${errorCode(cpp.stderr)}, client.js ${errorCode(node.stderr)}`);
    assert.equal(node.code, 1, node.stderr);
    assert.equal(cpp.code, 1, cpp.stderr);
    for (const c of [cpp, node]) {
      assert.equal(c.stdout, '');
      assert.match(c.stderr, /Unhandled 'error' event\n/, c.stderr);
      // ENOTFOUND where DNS answers "no such name"; EAI_AGAIN where no DNS can be reached.
      assert.match(c.stderr, /\nError: getaddrinfo (ENOTFOUND|EAI_AGAIN) nosuchhost\.invalid\n/);
    }
    if (errorCode(cpp.stderr) === errorCode(node.stderr)) {
      assert.equal(props(cpp.stderr), props(node.stderr), 'same error properties as client.js');
    }
  } finally {
    await Promise.all([cpp.stop(), node.stop()]);
  }
});

// ================================================================ B5b: localhost with two addresses

// A fresh Debian install maps localhost to ::1 as well as 127.0.0.1. Node 20 then tries
// both and, when both are refused, reports one AggregateError holding the two errors.
// This machine's /etc/hosts has 127.0.0.1 only, so both clients run in a mount
// namespace of their own (unshare -m) where a bind mount puts the two-address file
// over /etc/hosts. (Where the machine has no IPv6 address but ::1, getaddrinfo's
// AI_ADDRCONFIG drops ::1 and both print the one-address report: still compared.)
test('localhost as ::1 and 127.0.0.1 (unshare -m, bind-mounted /etc/hosts), no server: the C++ client reports the same AggregateError [ECONNREFUSED] as client.js', { timeout: 60000 }, async (t) => {
  if (!IS_ROOT) { t.skip('needs root for a mount namespace (unshare -m, mount --bind)'); return; }
  const dir = h.workDir({ serverFiles: false });
  fs.writeFileSync(path.join(dir, CLIENT_FILE), 'ninguem escuta');
  const hosts = path.join(dir, 'hosts');
  fs.writeFileSync(hosts, '127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n');
  const wrap = ['unshare', '-m', 'sh', '-c', 'mount --bind "$0" /etc/hosts && exec "$@"', hosts];
  const port = await h.deadTcpPort();  // free on '::', so on ::1 and 127.0.0.1, and below the ephemeral range
  const cpp = spawnClient('cpp', dir, port, { wrap });
  const node = spawnClient('node', dir, port, { wrap });
  try {
    await Promise.all([cpp.exit(30000), node.exit(30000)]);
    const aggregate = node.stderr.includes('AggregateError [ECONNREFUSED]');
    t.diagnostic(`client.js reported ${aggregate ? 'an AggregateError (both addresses tried)' : 'one error (::1 not offered here)'}`);
    assert.equal(node.code, 1, node.stderr);
    assert.equal(cpp.code, 1, cpp.stderr);
    assert.equal(cpp.stdout, '');
    assert.equal(normalise(cpp.stderr), normalise(node.stderr), 'the same report as client.js (stack frames aside)');
  } finally {
    await Promise.all([cpp.stop(), node.stop()]);
  }
});

// ================================================================ G1/T12: SIGINT and SIGTERM mid-upload

for (const signal of ['SIGINT', 'SIGTERM']) {
  test(`${signal} while a slow upload is in flight: the C++ server ends like server.js (killed by ${signal}) and leaves nothing on disk`, { timeout: 30000 }, async (t) => {
    const servers = [];
    const socks = [];
    const timers = [];
    try {
      servers.push(...await Promise.all([startServer('cpp', h.workDir()), startServer('node', h.workDir())]));
      for (const s of servers) {
        const sock = await connect(s.port);
        socks.push(sock);
        timers.push(setInterval(() => { if (!sock.destroyed) sock.write(crypto.randomBytes(1024)); }, 30));
      }
      await Promise.all(servers.map((s) => s.proc.waitFor(() => s.proc.count(DATA) >= 3)));
      for (const s of servers) s.proc.child.kill(signal);
      await Promise.all(servers.map((s) => s.proc.exit(10000)));
      const [cpp, node] = servers;
      t.diagnostic(`exit: C++ code ${cpp.proc.code} signal ${cpp.proc.signal}; server.js code ${node.proc.code} signal ${node.proc.signal}`);
      assert.equal(node.proc.signal, signal, 'server.js is killed by the signal (no handler)');
      assert.equal(cpp.proc.signal, node.proc.signal);
      assert.equal(cpp.proc.code, node.proc.code);
      for (const s of servers) {
        assert.deepEqual(savedFiles(s.dir), [], `${s.proc.name}: the in-memory upload is lost, nothing on disk`);
        assert.equal(s.proc.count(CLOSED), 0);
        assert.equal(s.proc.count(SAVED), 0);
        assert.equal(s.proc.stderr, '');
      }
    } finally {
      timers.forEach(clearInterval);
      destroyAll(socks);
      await Promise.all(servers.map((s) => s.proc.stop()));
    }
  });
}
