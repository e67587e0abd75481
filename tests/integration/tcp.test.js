'use strict';
// tcp.test.js: lessons 01 (TCP server) and 02 (TCP client) as real processes.
//
//   node --test tests/integration/tcp.test.js        (after `make`)
//
// Runs the built C++ programs (build/lessons/01_tcp_server, build/lessons/02_tcp_client),
// their twins on raw sockets (build/lessons/01_tcp_server_raw, 02_tcp_client_raw: every
// case that runs a C++ program runs it for both kinds, 'cpp' and 'raw'), lesson 01's
// blocking server (01_tcp_server_blocking) and our Node twins (lessons/01_tcp_server/server.js, lessons/02_tcp_client/client.js)
// over loopback. Every server gets a port this file picks itself (listen on port 0,
// read it, close; if another process takes it in between, the server says "Endereco em
// uso" and we retry with another port) and runs in its own temporary directory. Every
// child process is killed (SIGKILL) and reaped when its test ends, and again in the
// file's `after` hook, whatever happened. Each test has a time limit.
//
// The specification, one behaviour per test:
//   - uploads arrive byte-exact, one file per upload, named server_<DD-MM-YYYY h-mm-ss>_TCP.txt;
//   - the C++ programs interoperate with the Node twins, both ways;
//   - two clients connected at once are both saved;
//   - the document's flaws, reproduced exactly as Node shows them: the EADDRINUSE retry,
//     the client's crash when no server runs, the client that hangs on a missing file,
//     "success" printed after a failed save, the server killed by one client's reset,
//     a killed client's partial upload saved as if complete, same-second name collisions;
//   - bad flags: `usage error: ...` and exit status 2;
//   - the raw programs crash where Node crashes, with one line on stderr (the error line
//     of Node's report) and Node's exit status;
//   - the blocking server serves one client at a time; lesson 01's server does not.

const { test, describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const h = require('./helpers');
const { normalise } = require('../diff/harness');

h.requireBuilt(h.BIN.tcpServer, h.BIN.tcpClient, h.RAW.tcpServer, h.RAW.tcpClient, h.BLOCKING.tcpServer);
after(h.killAll);

// ---------------------------------------------------------------- the programs' lines

const READY = (port) => `escutando porta ${port}`;
const CONNECTED = 'conectado!';
const DATA = 'recebendo dados...';
const CLOSED = 'conexao com o cliente encerrada';
const SAVED = 'arquivo salvo com sucesso!';
const SAVE_ERROR = 'erro ao salvar arquivo';
const BUSY = 'Endereco em uso, tentando novamente...';
const CLIENT_OK = 'conectado ao servidor\nconexao encerrada\n';
// moment's 'DD-MM-YYYY h-mm-ss': day and month with two digits, the hour 1..12 without
// a leading zero (12-hour clock, no AM/PM), minutes and seconds with two digits.
const FILE_NAME = /^server_(0[1-9]|[12]\d|3[01])-(0[1-9]|1[0-2])-\d{4} ([1-9]|1[0-2])-[0-5]\d-[0-5]\d_TCP\.txt$/;
// One upload, as the server reports it: the 'data' lines depend on how the bytes
// were cut into reads; CLOSED comes before SAVED because writeFile only queues the write.
const ONE_UPLOAD = /^conectado!\n(recebendo dados\.\.\.\n)*conexao com o cliente encerrada\narquivo salvo com sucesso!\n$/;

const CLIENT_FILE = path.join('client_files', 'client.txt');

// ---------------------------------------------------------------- helpers

// The programs of each kind: 'cpp' (main.cpp), 'raw' (raw.cpp), 'blocking' (a server
// only), 'node' (our twins). KINDS: the C++ kinds every case runs, named as in the tests.
const SERVER = { cpp: h.BIN.tcpServer, raw: h.RAW.tcpServer, blocking: h.BLOCKING.tcpServer };
const CLIENT = { cpp: h.BIN.tcpClient, raw: h.RAW.tcpClient };
const KINDS = ['cpp', 'raw'];
const NAME = { cpp: 'C++', raw: 'raw C++', blocking: 'blocking C++', node: 'Node' };

function serverCommand(kind) {
  return kind === 'node'
    ? [process.execPath, (port) => [h.TWIN.tcpServer, '--port', String(port)]]
    : [SERVER[kind], (port) => ['--port', String(port)]];
}

function clientCommand(kind, port) {
  return kind === 'node'
    ? [process.execPath, [h.TWIN.tcpClient, '--port', String(port)]]
    : [CLIENT[kind], ['--port', String(port)]];
}

// Start a lesson-01 server ('cpp', 'raw', 'blocking' or 'node') in `dir` (a fresh one with server_files/
// and client_files/ by default) and wait for 'escutando porta N'.
async function startServer(kind, dir = h.workDir()) {
  const [cmd, argsFor] = serverCommand(kind);
  const { proc, port } = await h.startServer(cmd, argsFor, {
    cwd: dir, ready: READY, name: kind === 'node' ? 'server.js' : path.basename(cmd),
  });
  return { proc, port, dir };
}

function spawnClient(kind, dir, port) {
  const [cmd, args] = clientCommand(kind, port);
  return h.spawnProc(cmd, args, { cwd: dir, name: kind === 'node' ? 'client.js' : path.basename(cmd) });
}

function runClient(kind, dir, port, ms = 15000) {
  return spawnClient(kind, dir, port).exit(ms);
}

function savedFiles(dir) {
  return fs.readdirSync(path.join(dir, 'server_files')).sort();
}

// Equality of two (possibly large) Buffers, with a short message instead of a dump.
function assertSameBytes(actual, expected, what) {
  const sha = (b) => crypto.createHash('sha256').update(b).digest('hex').slice(0, 16);
  assert.ok(actual.equals(expected),
    `${what}: got ${actual.length} bytes (sha256 ${sha(actual)}), expected ${expected.length} (sha256 ${sha(expected)})`);
}

// Upload `bytes` with a client of `clientKind` to `server`; wait for the server's save.
// Checks the client's output and the one saved file's name; returns the saved bytes and
// the server's stdout for this upload. The saved file is then removed, so that the next
// upload in the same second cannot be confused with this one.
async function upload(server, clientKind, bytes) {
  fs.writeFileSync(path.join(server.dir, CLIENT_FILE), bytes);
  const mark = server.proc.stdout.length;
  const before = server.proc.count(SAVED);
  const client = await runClient(clientKind, server.dir, server.port);
  assert.equal(client.code, 0, `client exit status; stderr:\n${client.stderr}`);
  assert.equal(client.stdout, CLIENT_OK);
  assert.equal(client.stderr, '');
  await server.proc.waitFor(() => server.proc.count(SAVED) > before);
  const files = savedFiles(server.dir);
  assert.equal(files.length, 1, `exactly one saved file, got ${JSON.stringify(files)}`);
  assert.match(files[0], FILE_NAME);
  const file = path.join(server.dir, 'server_files', files[0]);
  const saved = fs.readFileSync(file);
  fs.rmSync(file);
  return { saved, serverOutput: server.proc.stdout.slice(mark) };
}

// The property block of a Node error report: from the line after ` {` to `}`.
function props(text) {
  const m = /\{\n((?: {2}\w+: .*\n)+)\}/.exec(text);
  return m ? m[1] : null;
}

// ---------------------------------------------------------------- byte-exact uploads

// [client kind, server kind]: each C++ kind with itself, and the blocking server, which
// behaves like lesson 01's for one client at a time.
const PAIRS = [['cpp', 'cpp'], ['raw', 'raw'], ['cpp', 'blocking']];
for (const [clientKind, serverKind] of PAIRS) describe(`${NAME[clientKind]} client -> ${NAME[serverKind]} server`, () => {
  let server;
  before(async () => { server = await startServer(serverKind); });
  after(async () => { if (server) await server.proc.stop(); });

  test('the server prints only "escutando porta N" until a client connects', { timeout: 5000 }, () => {
    assert.equal(server.proc.stdout, `${READY(server.port)}\n`);
    assert.equal(server.proc.stderr, '');
  });

  const utf8Text = Buffer.from('Olá, conexão! Ação, pão, coração. Ελληνικά, русский, 日本語, emoji 🚀🎉\n'.repeat(3000));
  const cases = [
    ['an empty file (0 bytes)', Buffer.alloc(0)],
    ['1 byte', Buffer.from('x')],
    ['65,535 bytes (64 KiB - 1)', crypto.randomBytes(65535)],
    ['65,536 bytes (64 KiB, one full read)', crypto.randomBytes(65536)],
    ['65,537 bytes (64 KiB + 1)', crypto.randomBytes(65537)],
    ['8 MiB of random bytes', crypto.randomBytes(8 * 1024 * 1024)],
    [`${utf8Text.length.toLocaleString('en')} bytes of multi-byte UTF-8 text`, utf8Text],
  ];
  for (const [label, data] of cases) {
    test(`${label} arrive byte-exact in one server_<DD-MM-YYYY h-mm-ss>_TCP.txt`, { timeout: 30000 }, async () => {
      const { saved, serverOutput } = await upload(server, clientKind, data);
      assertSameBytes(saved, data, label);
      assert.match(serverOutput, ONE_UPLOAD);
      if (data.length === 0) assert.ok(!serverOutput.includes(DATA), "no 'data' event for an empty upload");
      else assert.ok(serverOutput.includes(DATA), "at least one 'data' event");
      assert.ok(server.proc.alive, 'the server keeps running');
    });
  }

  test('the server wrote nothing on stderr during the uploads', () => {
    assert.equal(server.proc.stderr, '');
  });
});

// ---------------------------------------------------------------- interop

// Each C++ kind against the Node twins, both ways, and raw against main.cpp, both ways.
const INTEROP = [['node', 'cpp'], ['cpp', 'node'], ['node', 'raw'], ['raw', 'node'], ['cpp', 'raw'], ['raw', 'cpp']];
describe('interop with the Node twins and between the C++ kinds', () => {
  for (const [clientKind, serverKind] of INTEROP) {
    test(`${NAME[serverKind]} server <- ${NAME[clientKind]} client: byte-exact, with the same server lines`, { timeout: 30000 }, async () => {
      const server = await startServer(serverKind);
      try {
        const data = crypto.randomBytes(1024 * 1024 + 1);
        const { saved, serverOutput } = await upload(server, clientKind, data);
        assertSameBytes(saved, data, `1 MiB + 1 byte from the ${NAME[clientKind]} client`);
        assert.match(serverOutput, ONE_UPLOAD);
        assert.equal(server.proc.stderr, '');
      } finally {
        await server.proc.stop();
      }
    });
  }
});

// ---------------------------------------------------------------- two clients

for (const kind of KINDS) test(`two clients connected at once: both uploads are saved, byte-exact, in distinct files${kind === kind ? '' : ` [${NAME[kind]}]`}`, { timeout: 30000 }, async () => {
  // Client A reads its file from a FIFO that this test feeds, so A stays connected,
  // half-way through its upload, while client B uploads a whole file. A finishes more
  // than a second after B, so the two file names (one-second resolution) differ.
  const dirA = h.workDir({ serverFiles: false });
  const dirB = h.workDir({ serverFiles: false });
  const fifo = path.join(dirA, CLIENT_FILE);
  execFileSync('mkfifo', [fifo]);
  // O_RDWR never blocks on a FIFO; 32 KiB fits in the pipe, so writeSync cannot block.
  let fd = fs.openSync(fifo, fs.constants.O_RDWR);
  let server = null;
  try {
    server = await startServer(kind);
    const partA1 = crypto.randomBytes(32 * 1024);
    const partA2 = crypto.randomBytes(32 * 1024);
    const dataB = crypto.randomBytes(3 * 1024 * 1024);
    fs.writeFileSync(path.join(dirB, CLIENT_FILE), dataB);

    fs.writeSync(fd, partA1);
    const clientA = spawnClient(kind, dirA, server.port);
    await server.proc.waitFor(DATA); // A is connected and its first bytes arrived

    const clientB = await runClient(kind, dirB, server.port);
    assert.equal(clientB.code, 0, clientB.stderr);
    assert.equal(clientB.stdout, CLIENT_OK);
    await server.proc.waitFor(() => server.proc.count(SAVED) === 1);
    assert.equal(server.proc.count(CONNECTED), 2, 'both clients connected');
    assert.equal(server.proc.count(CLOSED), 1, "only B's connection ended");
    assert.ok(clientA.alive, 'A is still connected, mid-upload');
    const [nameB] = savedFiles(server.dir);
    assertSameBytes(fs.readFileSync(path.join(server.dir, 'server_files', nameB)), dataB, "B's upload");

    await h.sleep(1100); // A's 'close' falls in a later second than B's
    fs.writeSync(fd, partA2);
    fs.closeSync(fd); // the last writer is gone: A reads EOF and ends its upload
    fd = null;
    await clientA.exit(10000);
    assert.equal(clientA.code, 0, clientA.stderr);
    assert.equal(clientA.stdout, CLIENT_OK);
    await server.proc.waitFor(() => server.proc.count(SAVED) === 2);
    assert.equal(server.proc.count(CLOSED), 2);

    const files = savedFiles(server.dir);
    assert.equal(files.length, 2, `two distinct files, got ${JSON.stringify(files)}`);
    for (const f of files) assert.match(f, FILE_NAME);
    const nameA = files.find((f) => f !== nameB);
    assertSameBytes(fs.readFileSync(path.join(server.dir, 'server_files', nameA)),
      Buffer.concat([partA1, partA2]), "A's upload");
    assert.ok(server.proc.alive);
  } finally {
    if (fd !== null) fs.closeSync(fd);
    if (server) await server.proc.stop();
  }
});

for (const kind of KINDS) test(`two uploads that end in the same second leave one file: the second overwrites the first${kind === kind ? '' : ` [${NAME[kind]}]`}`, { timeout: 30000 }, async () => {
  // The document's name has one-second resolution. Start just after a second begins;
  // if the two uploads still straddle a second boundary (a slow machine), try again.
  const server = await startServer(kind);
  try {
    const first = Buffer.from('primeiro upload, mais longo\n');
    const second = Buffer.from('segundo\n');
    for (let attempt = 1; attempt <= 4; attempt++) {
      for (const f of savedFiles(server.dir)) fs.rmSync(path.join(server.dir, 'server_files', f));
      while (Date.now() % 1000 > 100) await h.sleep(5);
      const saves = server.proc.count(SAVED);
      for (const data of [first, second]) {
        fs.writeFileSync(path.join(server.dir, CLIENT_FILE), data);
        const before = server.proc.count(SAVED);
        const client = await runClient(kind, server.dir, server.port);
        assert.equal(client.code, 0, client.stderr);
        await server.proc.waitFor(() => server.proc.count(SAVED) > before);
      }
      assert.equal(server.proc.count(SAVED) - saves, 2, 'the server reported two successful saves');
      const files = savedFiles(server.dir);
      if (files.length === 2) continue; // straddled a second boundary: not this time
      assert.equal(files.length, 1);
      assert.deepEqual(fs.readFileSync(path.join(server.dir, 'server_files', files[0])), second,
        'the first upload is lost');
      return;
    }
    assert.fail('four attempts all straddled a second boundary');
  } finally {
    await server.proc.stop();
  }
});

// ---------------------------------------------------------------- one client at a time

// Client A (this test's own socket) connects, sends a little and stays connected. Client
// B then connects, sends all of its bytes and its FIN: the kernel has everything. The
// server may now save B (give it the chance: until it does, or 1.5 s), then A ends.
// Returns how many saves happened before A ended, and the server's lines in order.
async function slowFirstClient(kind) {
  const server = await startServer(kind);
  try {
    const connect = () => new Promise((resolve, reject) => {
      const sock = net.connect(server.port, '127.0.0.1', () => resolve(sock));
      sock.once('error', reject);
    });
    const a = await connect();
    a.write('A'.repeat(1000));
    await server.proc.waitFor(DATA); // A is being served
    const b = await connect();
    await new Promise((resolve) => b.end('B'.repeat(1000), resolve)); // B's bytes and FIN are sent
    await h.until(() => server.proc.count(SAVED) >= 1, 1500, 'a save').catch(() => {});
    const savesBeforeAEnds = server.proc.count(SAVED);
    a.end();
    await server.proc.waitFor(() => server.proc.count(SAVED) === 2);
    a.destroy();
    b.destroy();
    return { savesBeforeAEnds, lines: server.proc.lines().filter((l) => l !== DATA) };
  } finally {
    await server.proc.stop();
  }
}

test('the blocking server serializes clients: a slow first client delays the second one\'s save until after its own', { timeout: 30000 }, async () => {
  const { savesBeforeAEnds, lines } = await slowFirstClient('blocking');
  assert.equal(savesBeforeAEnds, 0, 'B, complete in the kernel, was not saved while A was connected');
  // accept(2) of B comes only after A's whole cycle: A connected, closed, saved; then B.
  assert.deepEqual(lines.slice(1), [CONNECTED, CLOSED, SAVED, CONNECTED, CLOSED, SAVED]);
});

test('lesson 01\'s server does not: the second client is saved while the slow first one is still connected', { timeout: 30000 }, async () => {
  const { savesBeforeAEnds, lines } = await slowFirstClient('cpp');
  assert.equal(savesBeforeAEnds, 1, "B was saved before A ended");
  assert.deepEqual(lines.slice(1), [CONNECTED, CONNECTED, CLOSED, SAVED, CLOSED, SAVED]);
});

// ---------------------------------------------------------------- busy port

for (const kind of ['cpp', 'raw', 'blocking']) test(`a busy port: the ${NAME[kind]} server warns on stderr once a second, then listens when the port is freed`, { timeout: 30000 }, async () => {
  // Another program (this test process) holds the port on Node's default address '::'.
  const dir = h.workDir();
  const holder = net.createServer();
  let server = null;
  try {
    await new Promise((resolve, reject) => { holder.once('error', reject); holder.listen(0, resolve); });
    const { port } = holder.address();
    const started = Date.now();
    server = h.spawnProc(SERVER[kind], ['--port', String(port)], { cwd: dir });
    await server.waitFor(() => server.count(BUSY, 'stderr') >= 2, { ms: 10000 });
    const elapsed = Date.now() - started;
    const warnings = server.count(BUSY, 'stderr');
    // One attempt at start, then one per second: never more than that.
    assert.ok(warnings <= Math.floor(elapsed / 1000) + 1, `${warnings} warnings in ${elapsed} ms: retries faster than once a second`);
    assert.equal(server.stdout, '', 'not listening while the port is held');
    assert.equal(server.stderr, `${BUSY}\n`.repeat(warnings), 'only the warning, on stderr');

    await new Promise((resolve) => holder.close(resolve));
    await server.waitFor(READY(port), { ms: 5000 });
    assert.equal(server.stdout, `${READY(port)}\n`);

    // ...and it serves.
    const { saved } = await upload({ proc: server, port, dir }, 'cpp', Buffer.from('depois da espera'));
    assert.equal(saved.toString(), 'depois da espera');
  } finally {
    if (holder.listening) holder.close();
    if (server) await server.stop();
  }
});

test('an unknown --host: the raw C++ server prints the first line of what server.js prints, and ends with status 0 like it', { timeout: 30000 }, async () => {
  const dir = h.workDir();
  const args = ['--port', String(await h.freeTcpPort()), '--host', 'nosuchhost.invalid'];
  const [raw, node] = await Promise.all([
    h.run(h.RAW.tcpServer, args, { cwd: dir }),
    h.run(process.execPath, [h.TWIN.tcpServer, ...args], { cwd: dir }),
  ]);
  assert.equal(node.code, 0, "server.js's 'error' listener prints the error; nothing is left to wait for");
  assert.equal(raw.code, node.code);
  assert.equal(raw.stdout, 'Error: getaddrinfo ENOTFOUND nosuchhost.invalid\n');
  assert.equal(raw.stdout, `${node.lines()[0].replace(/ \{$/, '')}\n`);
  assert.equal(raw.stderr, '');
});

// ---------------------------------------------------------------- no server

test('no server running: the C++ client dies like client.js, with Node\'s unhandled ECONNREFUSED report and status 1', { timeout: 30000 }, async () => {
  const port = await h.deadTcpPort(); // nothing listens there, nor will
  const dir = h.workDir({ serverFiles: false });
  fs.writeFileSync(path.join(dir, CLIENT_FILE), 'ninguem escuta');
  const [cpp, node] = await Promise.all([runClient('cpp', dir, port), runClient('node', dir, port)]);

  assert.equal(node.code, 1, 'client.js: uncaught error, status 1');
  assert.equal(cpp.code, node.code, 'same exit status as client.js');
  assert.equal(cpp.stdout, '', "no 'conexao encerrada': 'close' listeners do not run");
  assert.equal(node.stdout, '');
  const cppErr = cpp.lines('stderr');
  const nodeErr = node.lines('stderr');
  // Node's header names its own source (node:events:502); the kit's names the C++
  // function that ends the process, never a made-up Node location.
  assert.equal(nodeErr[0].replace(/\d+$/, 'N'), 'node:events:N');
  assert.equal(cppErr[0], "posix_impl/events.cpp, EventEmitter::emit: Unhandled 'error' event");
  assert.ok(!cpp.stderr.includes('node:'), `no Node source location in the kit's report:\n${cpp.stderr}`);
  assert.ok(cpp.stderr.includes(`ECONNREFUSED 127.0.0.1:${port}`), cpp.stderr);
  assert.ok(/^ {2}code: 'ECONNREFUSED',$/m.test(cpp.stderr), cpp.stderr);
  // The whole report, Node's stack frames and runtime line aside (tests/diff/harness.js).
  // Where `localhost` is only 127.0.0.1 it is one `Error: connect ECONNREFUSED`; where
  // it is ::1 and 127.0.0.1 as well, both programs try both and report an
  // `AggregateError [ECONNREFUSED]` holding the two errors (docs/node-oracle.md §1.3).
  assert.equal(normalise(cpp.stderr), normalise(node.stderr), 'the same report as client.js');
});

test('no server running: the raw C++ client exits with status 1 like client.js, printing only the error line of Node\'s report', { timeout: 30000 }, async () => {
  const port = await h.deadTcpPort(); // nothing listens there, nor will
  const dir = h.workDir({ serverFiles: false });
  fs.writeFileSync(path.join(dir, CLIENT_FILE), 'ninguem escuta');
  const [raw, node] = await Promise.all([runClient('raw', dir, port), runClient('node', dir, port)]);
  assert.equal(raw.code, 1);
  assert.equal(raw.code, node.code, 'same exit status as client.js');
  assert.equal(raw.stdout, '', "no 'conexao encerrada'");
  // One line, the error line of Node's report: "Error: connect ECONNREFUSED a:p" where
  // localhost is one address, "AggregateError [ECONNREFUSED]: " where it is ::1 and
  // 127.0.0.1 (both refused, as Node 20 tries both).
  assert.match(raw.stderr, new RegExp(`^(Error: connect ECONNREFUSED (127\\.0\\.0\\.1|::1):${port}|AggregateError \\[ECONNREFUSED\\]: )\n$`));
  const nodeLine = node.stderr.split('\n').find((l) => /^(Error: connect|AggregateError)/.test(l));
  assert.equal(raw.stderr, `${nodeLine}\n`, `client.js's report has the same error line:\n${node.stderr}`);
});

// ---------------------------------------------------------------- missing client file

for (const kind of KINDS) describe(`a missing client file${kind === kind ? '' : ` [${NAME[kind]}]`}`, () => {
  // One scenario, observed by the tests below: a server, then the C++ client and
  // client.js run with client_files/ empty, side by side.
  let server;
  let cpp;
  let node;
  before(async () => {
    server = await startServer(kind);
    const dir = h.workDir({ serverFiles: false }); // client_files/ exists, client.txt does not
    cpp = spawnClient(kind, dir, server.port);
    node = spawnClient('node', dir, server.port);
    const printed = (p) => p.stdout.includes("  path: './client_files/client.txt'\n}\n");
    await Promise.all([cpp.waitFor(() => printed(cpp)), node.waitFor(() => printed(node))]);
    await h.sleep(1500);
  });
  after(async () => {
    await Promise.all([cpp, node, server && server.proc].filter(Boolean).map((p) => p.stop()));
  });

  test(`the ${NAME[kind]} client prints the ENOENT error and its properties as client.js does`, () => {
    const text = "Error: ENOENT: no such file or directory, open './client_files/client.txt'";
    assert.ok(cpp.stdout.startsWith('conectado ao servidor\n'), cpp.stdout);
    assert.ok(cpp.stdout.includes(text), cpp.stdout);
    assert.ok(node.stdout.includes(text), node.stdout);
    assert.equal(props(cpp.stdout),
      "  errno: -2,\n  code: 'ENOENT',\n  syscall: 'open',\n  path: './client_files/client.txt'\n");
    assert.equal(cpp.stderr, '');
    // The whole output is client.js's, but for the one documented difference
    // (docs/differences.md, "error-brackets"): Node prints an error without stack frames
    // as `[Error: ...] {`, and the kit, which never has frames, prints no brackets.
    assert.equal(cpp.stdout, node.stdout.replace(/^\[(Error: .*)\] \{$/m, '$1 {'));
  });

  test('both clients are still running 1.5 s later: nothing ends the socket', () => {
    assert.ok(node.alive, 'client.js hangs');
    assert.ok(cpp.alive, `the ${NAME[kind]} client hangs too`);
    assert.ok(!cpp.stdout.includes('conexao encerrada'));
    assert.equal(server.proc.count(CONNECTED), 2, 'both are connected');
    assert.equal(server.proc.count(CLOSED), 0);
  });

  test(`once the ${NAME[kind]} client is killed (SIGKILL), the server saves an empty file`, { timeout: 15000 }, async () => {
    await cpp.stop('SIGKILL');
    await server.proc.waitFor(SAVED);
    const files = savedFiles(server.dir);
    assert.equal(files.length, 1);
    assert.match(files[0], FILE_NAME);
    assert.equal(fs.statSync(path.join(server.dir, 'server_files', files[0])).size, 0);
    assert.equal(server.proc.count(CLOSED), 1);
    assert.ok(server.proc.alive);
  });
});

// ---------------------------------------------------------------- missing server_files/

for (const kind of KINDS) test(`no server_files/ directory: "erro ao salvar arquivo", then "arquivo salvo com sucesso!", and the server keeps serving${kind === kind ? '' : ` [${NAME[kind]}]`}`, { timeout: 30000 }, async () => {
  const server = await startServer(kind, h.workDir({ serverFiles: false }));
  try {
    fs.writeFileSync(path.join(server.dir, CLIENT_FILE), 'perdido');
    const client = await runClient(kind, server.dir, server.port);
    assert.equal(client.code, 0);
    assert.equal(client.stdout, CLIENT_OK);
    await server.proc.waitFor(SAVED);
    assert.match(server.proc.stdout,
      /\nconexao com o cliente encerrada\nerro ao salvar arquivo\narquivo salvo com sucesso!\n$/,
      'the error line, then the success line anyway (no else in the callback)');
    assert.ok(server.proc.alive);

    fs.mkdirSync(path.join(server.dir, 'server_files'));
    const data = crypto.randomBytes(100000);
    const { saved, serverOutput } = await upload(server, kind, data);
    assertSameBytes(saved, data, 'the upload after mkdir');
    assert.match(serverOutput, ONE_UPLOAD);
  } finally {
    await server.proc.stop();
  }
});

// ---------------------------------------------------------------- reset

// Connect, write a few bytes, wait until the server has read them, then reset (RST).
async function resetAfterData(server) {
  const sock = net.connect(server.port, '127.0.0.1');
  sock.on('error', () => {}); // our own side's errors are not the subject here
  try {
    await new Promise((resolve, reject) => { sock.once('connect', resolve); sock.once('error', reject); });
    sock.write('0123456789');
    await server.proc.waitFor(DATA);
  } finally {
    sock.resetAndDestroy();
  }
}

test('a client that resets its connection kills the C++ server with status 1 and Node\'s unhandled ECONNRESET report, as it kills server.js', { timeout: 30000 }, async () => {
  const [cpp, node] = await Promise.all([startServer('cpp'), startServer('node')]);
  try {
    await Promise.all([resetAfterData(cpp), resetAfterData(node)]);
    await Promise.all([cpp.proc.exit(10000), node.proc.exit(10000)]);
    for (const s of [cpp, node]) {
      assert.equal(s.proc.code, 1, `${s.proc.name} exit status; stderr:\n${s.proc.stderr}`);
      assert.match(s.proc.stderr, /Unhandled 'error' event\n/, s.proc.stderr);
      assert.ok(s.proc.stderr.includes('\nError: read ECONNRESET\n'), s.proc.stderr);
      assert.equal(s.proc.stdout, `${READY(s.port)}\n${CONNECTED}\n${DATA}\n`, "'close' never ran: no save");
      assert.deepEqual(savedFiles(s.dir), []);
    }
    assert.equal(normalise(cpp.proc.stderr).split('\n')[0], normalise(node.proc.stderr).split('\n')[0],
      'the same header once each names its own source');
    assert.equal(props(cpp.proc.stderr), "  errno: -104,\n  code: 'ECONNRESET',\n  syscall: 'read'\n");
    assert.equal(props(cpp.proc.stderr), props(node.proc.stderr));
  } finally {
    await Promise.all([cpp.proc.stop(), node.proc.stop()]);
  }
});

test('a client that resets its connection kills the raw C++ server with status 1 and one line, the error line of server.js\'s report', { timeout: 30000 }, async () => {
  const [raw, node] = await Promise.all([startServer('raw'), startServer('node')]);
  try {
    await Promise.all([resetAfterData(raw), resetAfterData(node)]);
    await Promise.all([raw.proc.exit(10000), node.proc.exit(10000)]);
    assert.equal(raw.proc.code, 1, `exit status; stderr:\n${raw.proc.stderr}`);
    assert.equal(raw.proc.code, node.proc.code);
    assert.equal(raw.proc.stderr, 'Error: read ECONNRESET\n');
    assert.ok(node.proc.stderr.includes(`\n${raw.proc.stderr}`), node.proc.stderr);
    assert.equal(raw.proc.stdout, `${READY(raw.port)}\n${CONNECTED}\n${DATA}\n`, "'close' never ran: no save");
    assert.deepEqual(savedFiles(raw.dir), []);
  } finally {
    await Promise.all([raw.proc.stop(), node.proc.stop()]);
  }
});

// ---------------------------------------------------------------- killed mid-upload

// A client meant to send 1 MiB: it sends the first 100 KiB, says "sent" once the kernel
// has taken them, and waits to be killed. Byte i of the upload is i % 251.
const PARTIAL_CLIENT = `
const s = require('net').connect(Number(process.argv[1]), '127.0.0.1', () => {
  const first = Buffer.alloc(100 * 1024);
  for (let i = 0; i < first.length; i++) first[i] = i % 251;
  s.write(first, () => console.log('sent'));
});
setInterval(() => {}, 1000);
`;

for (const kind of KINDS) test(`a client killed (SIGKILL) mid-upload: the server saves the truncated upload as if complete, and keeps serving${kind === kind ? '' : ` [${NAME[kind]}]`}`, { timeout: 30000 }, async () => {
  const server = await startServer(kind);
  const intended = 1024 * 1024;
  try {
    const mark = server.proc.stdout.length;
    const client = h.spawnProc(process.execPath, ['-e', PARTIAL_CLIENT, String(server.port)], { name: 'partial client' });
    await client.waitFor('sent');
    await client.stop('SIGKILL'); // the kernel closes its socket with a FIN, not an RST
    await server.proc.waitFor(SAVED);

    const files = savedFiles(server.dir);
    assert.equal(files.length, 1);
    assert.match(files[0], FILE_NAME);
    const saved = fs.readFileSync(path.join(server.dir, 'server_files', files[0]));
    assert.ok(saved.length > 0 && saved.length < intended, `truncated: ${saved.length} of ${intended} bytes`);
    const expected = Buffer.alloc(100 * 1024);
    for (let i = 0; i < expected.length; i++) expected[i] = i % 251;
    assertSameBytes(saved, expected, 'what was sent before the kill');
    assert.match(server.proc.stdout.slice(mark), ONE_UPLOAD, 'reported exactly like a complete upload');
    assert.equal(server.proc.stderr, '');
    fs.rmSync(path.join(server.dir, 'server_files', files[0]));

    assert.ok(server.proc.alive, 'the server keeps running');
    const { saved: next } = await upload(server, kind, Buffer.from('e continua servindo'));
    assert.equal(next.toString(), 'e continua servindo');
  } finally {
    await server.proc.stop();
  }
});

// ---------------------------------------------------------------- flags

describe('bad flags: "usage error: ..." on stderr and exit status 2', () => {
  const programs = [
    ['01_tcp_server', h.BIN.tcpServer, h.TWIN.tcpServer],
    ['02_tcp_client', h.BIN.tcpClient, h.TWIN.tcpClient],
    ['01_tcp_server_raw', h.RAW.tcpServer, h.TWIN.tcpServer],
    ['02_tcp_client_raw', h.RAW.tcpClient, h.TWIN.tcpClient],
    ['01_tcp_server_blocking', h.BLOCKING.tcpServer, h.TWIN.tcpServer],
  ];
  const flagSets = [['--port', '0'], ['--port', '-1'], ['--port', '70000'], ['--port', 'abc'], ['--bogus']];
  for (const [name, bin, twin] of programs) {
    for (const flags of flagSets) {
      test(`${name} ${flags.join(' ')}`, { timeout: 15000 }, async () => {
        const dir = h.workDir();
        const [cpp, node] = await Promise.all([
          h.run(bin, flags, { cwd: dir }),
          h.run(process.execPath, [twin, ...flags], { cwd: dir }),
        ]);
        assert.equal(cpp.code, 2);
        assert.equal(cpp.stdout, '');
        assert.match(cpp.stderr, /^usage error: .+\n$/);
        assert.equal(cpp.stderr, node.stderr, 'the same line as the Node twin');
        assert.equal(node.code, 2);
      });
    }
  }
});
