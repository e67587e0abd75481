'use strict';
// helpers.js: shared pieces of the integration suites (not a test file itself).
//
//   const h = require('./helpers');
//
// - ROOT, BIN, RAW, BLOCKING, TWIN: where the built lessons (main.cpp, raw.cpp,
//   blocking.cpp) and our Node twins live;
// - freeTcpPort(), freeUdpPort(type): a port nobody holds right now (bind port 0,
//   read the port, close). Another process may take it before our server binds it,
//   so servers are started through startServer(), which retries on EADDRINUSE;
// - deadTcpPort(), deadUdpPort(): a port to connect or send to when nobody must
//   answer, from below the ephemeral range, so that no server started meanwhile can
//   be given it;
// - workDir({ serverFiles, clientFiles }): a fresh directory under one temporary root
//   (fs.mkdtempSync(os.tmpdir()...)), removed when the test process exits;
// - Proc / spawnProc(): a child process whose stdout/stderr are collected as they
//   arrive, with waitFor() for "a line appeared" and stop() = SIGKILL + reap;
// - killAll(): stop every Proc still running (each test file calls it in `after`);
// - run(): run a program to its end, killed if it overruns.
//
// Every Proc registers itself until its 'close' event (the child has exited, been
// reaped, and its pipes are drained), so `after(h.killAll)` leaves no child behind,
// even when a test failed half-way.

const { spawn, spawnSync } = require('node:child_process');
const dgram = require('node:dgram');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');

// The built C++ lessons (`make` first) and our Node twins, by lesson.
const BIN = {
  tcpServer: path.join(ROOT, 'build', 'lessons', '01_tcp_server'),
  tcpClient: path.join(ROOT, 'build', 'lessons', '02_tcp_client'),
  udpServer: path.join(ROOT, 'build', 'lessons', '03_udp_server'),
  udpClient: path.join(ROOT, 'build', 'lessons', '04_udp_client'),
};
// The same programs written straight on POSIX sockets (lessons/NN_name/raw.cpp), and
// lesson 01's server with no event loop at all (lessons/01_tcp_server/blocking.cpp).
const RAW = {
  tcpServer: path.join(ROOT, 'build', 'lessons', '01_tcp_server_raw'),
  tcpClient: path.join(ROOT, 'build', 'lessons', '02_tcp_client_raw'),
  udpServer: path.join(ROOT, 'build', 'lessons', '03_udp_server_raw'),
  udpClient: path.join(ROOT, 'build', 'lessons', '04_udp_client_raw'),
};
const BLOCKING = {
  tcpServer: path.join(ROOT, 'build', 'lessons', '01_tcp_server_blocking'),
};
const TWIN = {
  tcpServer: path.join(ROOT, 'lessons', '01_tcp_server', 'server.js'),
  tcpClient: path.join(ROOT, 'lessons', '02_tcp_client', 'client.js'),
  udpServer: path.join(ROOT, 'lessons', '03_udp_server', 'server.js'),
  udpClient: path.join(ROOT, 'lessons', '04_udp_client', 'client.js'),
};

// Throw (at load time of the test file) if a binary is missing: one clear message
// instead of a dozen spawn ENOENT failures.
function requireBuilt(...bins) {
  for (const bin of bins) {
    if (!fs.existsSync(bin)) throw new Error(`${bin} is missing: run make first`);
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Wait until cond() is true; fail after `ms` with a message naming `what`.
async function until(cond, ms, what) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(10);
  }
}

// ---------------------------------------------------------------- ports

// A TCP port free right now on Node's default bind address ('::', dual-stack), the
// address the lesson servers bind when no --host is given.
function freeTcpPort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// A UDP port free right now ('udp6' binds '::', which covers IPv4 too).
function freeUdpPort(type = 'udp4') {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket(type);
    s.on('error', reject);
    s.bind(0, () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// A port with nobody on it, for a test that sends or connects to "no server": it is
// taken below the kernel's ephemeral range (ip_local_port_range), where bind(0) never
// lands. A port from freeUdpPort() or freeTcpPort() could be handed, while the test is
// still sending or connecting, to a server that a test running at the same time starts
// on its own free port, and that server would answer: under `make test-epoll`, lesson
// 03's raw server in udp.test.js once saved a file its test had not sent (most likely
// the datagrams of a client sending to a port "nobody listens on"). harness.js's
// deadPort() does the same for the differential fuzz.
const deadHandedOut = new Set();
async function deadPort(bindOnce) {
  let low = 32768;
  try {
    low = Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || low;
  } catch {
    // not Linux: keep the usual default
  }
  const from = Math.min(10000, Math.max(1025, low - 1000));
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = from + Math.floor(Math.random() * (low - from));
    if (deadHandedOut.has(port)) continue;
    if (!(await new Promise((resolve) => bindOnce(port, resolve)))) continue;
    deadHandedOut.add(port);
    return port;
  }
  throw new Error('no free port found below the ephemeral range');
}
// Each binds '::' (which covers IPv4 too) and closes at once: free for both families.
const deadUdpPort = () => deadPort((port, done) => {
  const s = dgram.createSocket('udp6');
  s.once('error', () => done(false));
  s.bind(port, () => s.close(() => done(true)));
});
const deadTcpPort = () => deadPort((port, done) => {
  const s = net.createServer();
  s.once('error', () => done(false));
  s.listen(port, '::', () => s.close(() => done(true)));
});

// ---------------------------------------------------------------- directories

let tmpRoot = null;

// A fresh working directory (with server_files/ and/or client_files/ if asked), all
// under one temporary root that is removed when the test process exits.
function workDir({ serverFiles = true, clientFiles = true } = {}) {
  if (tmpRoot === null) {
    tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'kit-it-'));
    // 'exit' rather than node:test's after(): an after() registered from inside a
    // describe() would run when that suite ends, not when the file does.
    process.on('exit', () => fs.rmSync(tmpRoot, { recursive: true, force: true }));
  }
  const dir = fs.mkdtempSync(path.join(tmpRoot, 'w-'));
  if (serverFiles) fs.mkdirSync(path.join(dir, 'server_files'));
  if (clientFiles) fs.mkdirSync(path.join(dir, 'client_files'));
  return dir;
}

// ---------------------------------------------------------------- processes

const running = new Set();

// A child process with its output collected as it arrives.
class Proc {
  constructor(cmd, args = [], { cwd = ROOT, env = {}, name } = {}) {
    this.name = name || (cmd === process.execPath ? `node ${path.basename(args[0] || '')}` : path.basename(cmd));
    this.stdout = '';
    this.stderr = '';
    this.code = null;
    this.signal = null;
    this.exited = false;
    this.child = spawn(cmd, args, {
      cwd,
      // KIT_TRACE off unless a test asks for it: a developer's shell setting must
      // not add trace lines to the output the tests compare.
      env: { ...process.env, KIT_TRACE: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.add(this);
    this.child.stdout.setEncoding('utf8').on('data', (d) => { this.stdout += d; });
    this.child.stderr.setEncoding('utf8').on('data', (d) => { this.stderr += d; });
    // 'close' (not 'exit'): the process has ended, been reaped, and its pipes drained.
    this.done = new Promise((resolve) => {
      this.child.on('error', (err) => { this.stderr += `spawn error: ${err.message}\n`; });
      this.child.on('close', (code, signal) => {
        this.code = code;
        this.signal = signal;
        this.exited = true;
        running.delete(this);
        resolve(this);
      });
    });
  }

  get alive() { return !this.exited; }

  // stdout (or stderr) split into lines, without the empty last one.
  lines(stream = 'stdout') {
    const lines = this[stream].split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    return lines;
  }

  // How many whole stdout (or stderr) lines are exactly `text`.
  count(text, stream = 'stdout') { return this[stream].split('\n').filter((l) => l === text).length; }

  // Wait until `test` holds (a string: a whole line of the stream; a RegExp: matches
  // the stream; a function: returns true). Fails early if the process exits first,
  // unless `allowExit`.
  async waitFor(test, { stream = 'stdout', ms = 10000, allowExit = false } = {}) {
    const ok = typeof test === 'function' ? test
      : test instanceof RegExp ? () => test.test(this[stream])
        : () => this.count(test, stream) > 0;
    const what = `${this.name} ${stream} to show ${test instanceof Function ? 'the condition' : JSON.stringify(String(test))}`;
    await until(() => ok() || (!allowExit && this.exited), ms, what);
    if (!ok()) {
      throw new Error(`${this.name} exited (code ${this.code}, signal ${this.signal}) before ${what}\n` +
        `stdout:\n${this.stdout}\nstderr:\n${this.stderr}`);
    }
  }

  // Wait for the process to end by itself; SIGKILL it if it overruns `ms`.
  async exit(ms = 10000) {
    const timer = setTimeout(() => this.child.kill('SIGKILL'), ms);
    await this.done;
    clearTimeout(timer);
    return this;
  }

  // Kill (SIGKILL unless told otherwise) and reap.
  async stop(signal = 'SIGKILL') {
    if (this.alive) this.child.kill(signal);
    return this.done;
  }
}

function spawnProc(cmd, args, opts) {
  return new Proc(cmd, args, opts);
}

// Stop and reap every child still running. Each test file: `after(killAll)`.
async function killAll() {
  await Promise.all([...running].map((p) => p.stop()));
}

// Run a program to its end (SIGKILL after `ms`); resolves with the finished Proc.
function run(cmd, args, { ms = 10000, ...opts } = {}) {
  return new Proc(cmd, args, opts).exit(ms);
}

// Start a server program on a port it gets from `pickPort()` and wait for `ready(port)`
// (a whole stdout line). If the port was taken in between (the program says so with a
// line matching `busy` on stdout/stderr, or exits), stop it and try another port.
// Resolves with { proc, port }.
async function startServer(cmd, argsFor, { cwd, env, ready, busy = /EADDRINUSE|Endereco em uso/, pickPort = freeTcpPort, attempts = 5, ms = 10000, name } = {}) {
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const port = await pickPort();
    const proc = new Proc(cmd, argsFor(port), { cwd, env, name });
    const line = ready(port);
    await until(() => proc.count(line) > 0 || busy.test(proc.stderr) || busy.test(proc.stdout) || proc.exited,
      ms, `${proc.name} to print ${JSON.stringify(line)}`);
    if (proc.count(line) > 0) return { proc, port };
    await proc.stop();
    if (!busy.test(proc.stderr) && !busy.test(proc.stdout)) {
      throw new Error(`${proc.name} exited (code ${proc.code}, signal ${proc.signal}) before ${JSON.stringify(line)}:\n` +
        `stdout:\n${proc.stdout}\nstderr:\n${proc.stderr}`);
    }
    // someone took the port between our check and the server's bind: try another one
  }
  throw new Error(`no free port after ${attempts} attempts`);
}

// The file at `b` holds exactly the bytes of the file at `a` (what a transfer sent and
// what arrived): a short message, not a dump, when it does not.
function sameFileBytes(a, b, what) {
  assert.ok(fs.existsSync(b), `${what}: ${b} was not written`);
  const x = fs.readFileSync(a);
  const y = fs.readFileSync(b);
  assert.equal(y.length, x.length, `${what}: ${y.length} bytes arrived, ${x.length} sent`);
  assert.ok(x.equals(y), `${what}: same size, different bytes`);
}

// A full disk: a server in its own mount namespace, its directory on a 1 MiB tmpfs
// mounted there (unshare(1): -r maps the user to root inside, so a normal user may do
// it where the kernel allows unprivileged user namespaces; as root -m is enough). A
// test looks into that namespace through /proc/PID/root. Returns { wrap: argv prefix,
// to be followed by the directory and then the server's argv } or { skip: why not }.
function tmpfsWrap() {
  const probe = workDir({ serverFiles: true, clientFiles: false });
  const reasons = [];
  for (const flags of [['-rm'], ['-m']]) {
    const r = spawnSync('unshare', [...flags, 'sh', '-c', 'mount -t tmpfs -o size=1m kit-full "$0"', path.join(probe, 'server_files')], { encoding: 'utf8' });
    if (r.status === 0) return { wrap: ['unshare', ...flags, 'sh', '-c', 'mount -t tmpfs -o size=1m kit-full "$0" && exec "$@"'] };
    reasons.push(`unshare ${flags.join(' ')}: ${(r.stderr || r.error?.message || '').trim()}`);
  }
  return { skip: `a tmpfs in a mount namespace is not allowed here (${reasons.join('; ')})` };
}

module.exports = {
  ROOT, BIN, RAW, BLOCKING, TWIN, requireBuilt, sleep, until,
  freeTcpPort, freeUdpPort, deadTcpPort, deadUdpPort, workDir,
  Proc, spawnProc, killAll, run, startServer, sameFileBytes, tmpfsWrap,
};
