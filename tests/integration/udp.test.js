'use strict';
// udp.test.js: lessons 03 (UDP server) and 04 (UDP client) as real processes.
//
// Runs the built C++ programs (build/lessons/03_udp_server, build/lessons/04_udp_client;
// `make` first), their twins on raw sockets (03_udp_server_raw, 04_udp_client_raw: every
// case that runs a C++ program runs it for both kinds, 'cpp' and 'raw') and our Node
// twins (lessons/03_udp_server/server.js,
// lessons/04_udp_client/client.js) over loopback. Every server gets a free port this
// file picks itself (bind port 0, read it, close; if another process takes it in
// between, the server dies with EADDRINUSE and we retry with a new port), and runs in
// its own temporary directory holding server_files/ and client_files/. Every process
// started here is reaped: killed if still running when its test ends.
//
// What is checked: byte-exact uploads of 0, 1, 1,400 and 65,507 bytes; 65,508 bytes
// failing with EMSGSIZE (client exit status 1, nothing saved, server still running);
// IPv6 loopback with --udp6 (65,527 bytes, the IPv6 limit); interop both ways with the
// Node twins; "success" printed with no server at all; flag errors; and a burst of
// 1,000 datagrams, whose count received/saved/dropped is printed as a diagnostic. Where
// Node reports an uncaught exception and exits 1, the raw client prints only the error
// line of that report, and exits 1.

const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const dgram = require('node:dgram');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { deadUdpPort } = require('./helpers');

const ROOT = path.resolve(__dirname, '..', '..');
const CPP_SERVER = path.join(ROOT, 'build', 'lessons', '03_udp_server');
const CPP_CLIENT = path.join(ROOT, 'build', 'lessons', '04_udp_client');
const RAW_SERVER = path.join(ROOT, 'build', 'lessons', '03_udp_server_raw');
const RAW_CLIENT = path.join(ROOT, 'build', 'lessons', '04_udp_client_raw');
// The C++ programs of each kind: 'cpp' (main.cpp) and 'raw' (raw.cpp); 'node': the twins.
const SERVER = { cpp: CPP_SERVER, raw: RAW_SERVER };
const CLIENT = { cpp: CPP_CLIENT, raw: RAW_CLIENT };
const KINDS = ['cpp', 'raw'];
const NAME = { cpp: 'C++', raw: 'raw C++', node: 'Node' };
const SFX = (kind) => (kind === 'cpp' ? '' : ` [${NAME[kind]}]`);
const NODE_SERVER = path.join(ROOT, 'lessons', '03_udp_server', 'server.js');
const NODE_CLIENT = path.join(ROOT, 'lessons', '04_udp_client', 'client.js');

const SAVED = 'arquivo salvo com sucesso!';
const READY = 'aguardando dados do cliente...';
const FILE_NAME = /^server_\d{2}-\d{2}-\d{4} \d{1,2}-\d{2}-\d{2}_UDP\.txt$/;

for (const bin of [CPP_SERVER, CPP_CLIENT, RAW_SERVER, RAW_CLIENT]) {
  if (!fs.existsSync(bin)) {
    throw new Error(`${bin} is missing: run make first`);
  }
}

// ---------------------------------------------------------------- processes

const running = new Set();

// A child process with its output collected as it arrives.
class Proc {
  constructor(cmd, args, cwd) {
    this.stdout = '';
    this.stderr = '';
    this.code = null;
    this.signal = null;
    this.child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(this);
    this.child.stdout.setEncoding('utf8').on('data', (d) => { this.stdout += d; });
    this.child.stderr.setEncoding('utf8').on('data', (d) => { this.stderr += d; });
    // 'close' (not 'exit'): the process has ended *and* its pipes are drained.
    this.done = new Promise((resolve) => {
      this.child.on('close', (code, signal) => {
        this.code = code;
        this.signal = signal;
        running.delete(this);
        resolve(this);
      });
    });
  }
  get alive() { return this.code === null && this.signal === null; }
  count(text) { return this.stdout.split('\n').filter((l) => l === text).length; }
  async stop() {
    if (this.alive) this.child.kill('SIGKILL');
    return this.done;
  }
}

after(async () => {
  await Promise.all([...running].map((p) => p.stop()));
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Wait until cond() is true, or fail after `ms` with a description of `what`.
async function until(cond, ms, what) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(10);
  }
}

// ---------------------------------------------------------------- ports, dirs

// A port that is free right now, for a socket of `type` ('udp6' binds '::', which
// also covers IPv4, so it is the stricter test).
function freeUdpPort(type) {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket(type);
    s.on('error', reject);
    s.bind(0, () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function haveIpv6() {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp6');
    s.on('error', () => resolve(false));
    s.bind(0, '::1', () => s.close(() => resolve(true)));
  });
}

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'kit-udp-'));
after(() => fs.rmSync(tmpRoot, { recursive: true, force: true }));

function workDir() {
  const dir = fs.mkdtempSync(path.join(tmpRoot, 'w-'));
  fs.mkdirSync(path.join(dir, 'server_files'));
  fs.mkdirSync(path.join(dir, 'client_files'));
  return dir;
}

// ---------------------------------------------------------------- programs

function serverCommand(kind, args) {
  return kind === 'node' ? [process.execPath, [NODE_SERVER, ...args]] : [SERVER[kind], args];
}

function clientCommand(kind, args) {
  return kind === 'node' ? [process.execPath, [NODE_CLIENT, ...args]] : [CLIENT[kind], args];
}

// Start a server ('cpp', 'raw' or 'node') on a free port; retry if the port was taken.
async function startServer(kind, { udp6 = false } = {}) {
  const dir = workDir();
  for (let attempt = 1; attempt <= 5; attempt++) {
    const port = await freeUdpPort(udp6 ? 'udp6' : 'udp4');
    const args = ['--port', String(port)];
    if (udp6) args.push('--udp6');
    const [cmd, argv] = serverCommand(kind, args);
    const proc = new Proc(cmd, argv, dir);
    await until(() => proc.stdout.includes(READY) || !proc.alive, 10000, `${kind} server to listen`);
    if (proc.alive) return { proc, port, dir };
    await proc.done;
    if (!/EADDRINUSE/.test(proc.stderr)) {
      throw new Error(`${kind} server exited (${proc.code}/${proc.signal}):\n${proc.stderr}`);
    }
    // someone took the port between our check and the server's bind: try another
  }
  throw new Error('no free UDP port after 5 attempts');
}

// Run a client to completion (killed after 10 s) from `dir`.
async function runClient(kind, dir, args) {
  const [cmd, argv] = clientCommand(kind, args);
  const proc = new Proc(cmd, argv, dir);
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), 10000);
  await proc.done;
  clearTimeout(timer);
  return proc;
}

function savedFiles(dir) {
  return fs.readdirSync(path.join(dir, 'server_files'));
}

// Upload `bytes` with the given client; wait for the server's save; return the saved
// bytes (the file is then removed, so the next upload in the same second is not
// confused with this one: their names would be the same).
async function upload(server, clientKind, bytes, extraArgs = []) {
  fs.writeFileSync(path.join(server.dir, 'client_files', 'client.txt'), bytes);
  const before = server.proc.count(SAVED);
  const client = await runClient(clientKind, server.dir, ['--port', String(server.port), ...extraArgs]);
  assert.equal(client.code, 0, `client failed:\n${client.stderr}`);
  await until(() => server.proc.count(SAVED) > before || !server.proc.alive, 10000, 'the server to save');
  assert.ok(server.proc.alive, `server died:\n${server.proc.stderr}`);
  const files = savedFiles(server.dir);
  assert.equal(files.length, 1, `expected one saved file, got ${files}`);
  assert.match(files[0], FILE_NAME);
  const file = path.join(server.dir, 'server_files', files[0]);
  const saved = fs.readFileSync(file);
  fs.rmSync(file);
  return { saved, client };
}

// Udp counters of this network namespace (/proc/net/snmp: a header line, a value line).
function udpCounters() {
  try {
    const lines = fs.readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((l) => l.startsWith('Udp:'));
    const names = lines[0].split(/\s+/).slice(1);
    const values = lines[1].split(/\s+/).slice(1).map(Number);
    return Object.fromEntries(names.map((n, i) => [n, values[i]]));
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------- tests

for (const kind of KINDS) test(`${NAME[kind]} server <- ${NAME[kind]} client: 0, 1, 1,400 and 65,507 bytes arrive byte-exact`, { timeout: 60000 }, async () => {
  const server = await startServer(kind);
  try {
    for (const size of [0, 1, 1400, 65507]) {
      const data = crypto.randomBytes(size);
      const { saved, client } = await upload(server, kind, data);
      assert.equal(saved.length, size);
      assert.ok(saved.equals(data), `content differs for ${size} bytes`);
      assert.equal(client.stdout, `Arquivo enviado por UDP para 127.0.0.1:${server.port}\n`);
      assert.equal(client.stderr, '');
    }
    assert.equal(server.proc.stdout, `${READY}\n${`${SAVED}\n`.repeat(4)}`);
  } finally {
    await server.proc.stop();
  }
});

for (const kind of KINDS) test(`65,508 bytes: the client fails with EMSGSIZE, the server saves nothing and keeps running${SFX(kind)}`, { timeout: 30000 }, async () => {
  const server = await startServer(kind);
  try {
    fs.writeFileSync(path.join(server.dir, 'client_files', 'client.txt'), Buffer.alloc(65508, 0x61));
    const client = await runClient(kind, server.dir, ['--port', String(server.port)]);
    assert.equal(client.code, 1, 'an uncaught exception ends the client with status 1');
    assert.equal(client.stdout, '', 'no success line');
    assert.match(client.stderr, new RegExp(`Error: send EMSGSIZE 127\\.0\\.0\\.1:${server.port}`));
    if (kind === 'raw') {
      assert.equal(client.stderr, `Error: send EMSGSIZE 127.0.0.1:${server.port}\n`, "only the error line of Node's report");
    } else {
      assert.match(client.stderr, /errno: -90/);
      assert.match(client.stderr, /code: 'EMSGSIZE'/);
      assert.match(client.stderr, /syscall: 'send'/);
    }
    await sleep(300);
    assert.deepEqual(savedFiles(server.dir), [], 'nothing was sent, so nothing is saved');
    assert.ok(server.proc.alive, 'the server keeps running');
    // ...and still works:
    const { saved } = await upload(server, kind, Buffer.from('ok'));
    assert.equal(saved.toString(), 'ok');
  } finally {
    await server.proc.stop();
  }
});

test('the Node client fails the same way on 65,508 bytes', { timeout: 30000 }, async () => {
  const dir = workDir();
  const port = await freeUdpPort('udp4');
  fs.writeFileSync(path.join(dir, 'client_files', 'client.txt'), Buffer.alloc(65508));
  const client = await runClient('node', dir, ['--port', String(port)]);
  assert.equal(client.code, 1);
  assert.match(client.stderr, new RegExp(`Error: send EMSGSIZE 127\\.0\\.0\\.1:${port}`));
});

for (const kind of KINDS) test(`udp6 over ::1: 65,527 bytes arrive byte-exact, 65,528 fail with EMSGSIZE${SFX(kind)}`, { timeout: 30000 }, async (t) => {
  if (!(await haveIpv6())) {
    t.skip('no IPv6 loopback here');
    return;
  }
  const server = await startServer(kind, { udp6: true });
  try {
    const data = crypto.randomBytes(65527);
    const { saved, client } = await upload(server, kind, data, ['--udp6']);
    assert.ok(saved.equals(data));
    assert.equal(client.stdout, `Arquivo enviado por UDP para ::1:${server.port}\n`);

    fs.writeFileSync(path.join(server.dir, 'client_files', 'client.txt'), Buffer.alloc(65528));
    const big = await runClient(kind, server.dir, ['--port', String(server.port), '--udp6']);
    assert.equal(big.code, 1);
    assert.match(big.stderr, new RegExp(`send EMSGSIZE ::1:${server.port}`));

    // an IPv4 client reaches the dual-stack udp6 server too
    const v4 = await upload(server, kind, Buffer.from('via IPv4'));
    assert.equal(v4.saved.toString(), 'via IPv4');
  } finally {
    await server.proc.stop();
  }
});

for (const [serverKind, clientKind] of [['cpp', 'node'], ['raw', 'node'], ['raw', 'cpp']]) test(`interop: ${NAME[serverKind]} server <- ${NAME[clientKind]} client`, { timeout: 30000 }, async () => {
  const server = await startServer(serverKind);
  try {
    for (const size of [1, 1400, 65507]) {
      const data = crypto.randomBytes(size);
      const { saved, client } = await upload(server, clientKind, data);
      assert.ok(saved.equals(data), `content differs for ${size} bytes`);
      assert.equal(client.stdout, `Arquivo enviado por UDP para 127.0.0.1:${server.port}\n`);
    }
  } finally {
    await server.proc.stop();
  }
});

for (const [serverKind, clientKind] of [['node', 'cpp'], ['node', 'raw'], ['cpp', 'raw']]) test(`interop: ${NAME[serverKind]} server <- ${NAME[clientKind]} client (same console lines)`, { timeout: 30000 }, async () => {
  const server = await startServer(serverKind);
  try {
    for (const size of [0, 1400, 65507]) {
      const data = crypto.randomBytes(size);
      const { saved } = await upload(server, clientKind, data);
      assert.ok(saved.equals(data), `content differs for ${size} bytes`);
    }
    assert.equal(server.proc.stdout, `${READY}\n${`${SAVED}\n`.repeat(3)}`);
  } finally {
    await server.proc.stop();
  }
});

test('no server listening: the client still reports success (UDP has no acknowledgment)', { timeout: 30000 }, async () => {
  const dir = workDir();
  const port = await deadUdpPort();
  fs.writeFileSync(path.join(dir, 'client_files', 'client.txt'), 'nobody is there');
  for (const kind of ['cpp', 'raw', 'node']) {
    const client = await runClient(kind, dir, ['--port', String(port)]);
    assert.equal(client.code, 0, `${kind}: ${client.stderr}`);
    assert.equal(client.stdout, `Arquivo enviado por UDP para 127.0.0.1:${port}\n`);
  }
});

for (const kind of KINDS) test(`a missing client file is an uncaught ENOENT: exit status 1${SFX(kind)}`, { timeout: 30000 }, async () => {
  const dir = workDir();
  const client = await runClient(kind, dir, ['--port', '9']);
  assert.equal(client.code, 1);
  assert.equal(client.stdout, '');
  assert.match(client.stderr, /ENOENT: no such file or directory, open '\.\/client_files\/client\.txt'/);
  if (kind === 'raw') {
    const node = await runClient('node', dir, ['--port', '9']);
    assert.equal(client.stderr, "Error: ENOENT: no such file or directory, open './client_files/client.txt'\n");
    assert.ok(node.stderr.includes(`\n${client.stderr}`), `the error line of client.js's report:\n${node.stderr}`);
  }
});

test('bad flags: one line on stderr, exit status 2, as the Node twins', { timeout: 30000 }, async () => {
  const dir = workDir();
  for (const args of [['--port', '0'], ['--port', 'abc'], ['--host', ''], ['--bogus'], ['--port']]) {
    for (const kind of ['cpp', 'raw', 'node']) {
      const [cmd, argv] = serverCommand(kind, args);
      const proc = new Proc(cmd, argv, dir);
      const timer = setTimeout(() => proc.child.kill('SIGKILL'), 10000);
      await proc.done;
      clearTimeout(timer);
      assert.equal(proc.code, 2, `${kind} ${args.join(' ')}`);
      assert.match(proc.stderr, /^usage error: [^\n]+\n$/, `${kind} ${args.join(' ')}`);
    }
    for (const kind of KINDS) {
      const client = await runClient(kind, dir, args);
      assert.equal(client.code, 2, `${kind} client ${args.join(' ')}`);
      assert.match(client.stderr, /^usage error: [^\n]+\n$/);
    }
  }
});

for (const kind of KINDS) test(`the ${NAME[kind]} server survives a burst of 1,000 datagrams and saves what arrived`, { timeout: 60000 }, async (t) => {
  const server = await startServer(kind);
  try {
    const before = udpCounters();
    const sender = dgram.createSocket('udp4');
    const payload = Buffer.alloc(1024, 0x62);
    let sendErrors = 0;
    const start = Date.now();
    await new Promise((resolve) => {
      let done = 0;
      for (let i = 0; i < 1000; i++) {
        sender.send(payload, server.port, '127.0.0.1', (err) => {
          if (err) sendErrors++;
          if (++done === 1000) resolve();
        });
      }
    });
    const sendMs = Date.now() - start;
    await new Promise((r) => sender.close(r));

    // Wait until the count of saves stops growing for 700 ms.
    let last = -1;
    let stableSince = Date.now();
    const deadline = Date.now() + 30000;
    while (Date.now() < deadline) {
      const n = server.proc.count(SAVED);
      if (n !== last) {
        last = n;
        stableSince = Date.now();
      } else if (Date.now() - stableSince > 700) {
        break;
      }
      await sleep(50);
    }
    const afterCounters = udpCounters();
    const saved = server.proc.count(SAVED);
    const files = savedFiles(server.dir).length;
    const dropped = before && afterCounters ? afterCounters.RcvbufErrors - before.RcvbufErrors : null;

    t.diagnostic(`burst: 1000 datagrams of 1024 B sent in ${sendMs} ms (${sendErrors} send errors); ` +
      `${saved} received and saved by the C++ server (one writeFile each); ` +
      `${files} file(s) on disk (same-second names overwrite each other); ` +
      `Udp RcvbufErrors +${dropped ?? '?'}: the kernel dropped what did not fit in the ` +
      'socket receive buffer while the server was busy (UDP has no flow control)');
    console.log(`# udp burst: sent=1000 saved=${saved} files=${files} RcvbufErrors+=${dropped ?? '?'}`);

    assert.ok(server.proc.alive, `the server must survive:\n${server.proc.stderr}`);
    assert.equal(sendErrors, 0);
    assert.ok(saved >= 1 && saved <= 1000, `saved ${saved}`);
    assert.ok(files >= 1 && files <= saved);
    if (dropped !== null) {
      // On loopback a datagram that was not received was dropped for lack of buffer
      // space (other tests running at the same time can only add to the counter).
      assert.ok(saved + dropped >= 1000, `saved ${saved} + dropped ${dropped} < 1000`);
    }
    assert.equal(server.proc.stderr, '');
    // ...and it still works afterwards.
    for (const f of savedFiles(server.dir)) fs.rmSync(path.join(server.dir, 'server_files', f));
    const { saved: after1 } = await upload(server, kind, Buffer.from('after the burst'));
    assert.equal(after1.toString(), 'after the burst');
  } finally {
    await server.proc.stop();
  }
});
