'use strict';
// record.js: record one lesson's run twice, the kit's programs with KIT_TRACE=json:PATH
// and our Node twins with node-trace.js preloaded, into OUTDIR:
//
//   node scripts/trace/record.js NN OUTDIR [--bin DIR]
//
//   NN = 00           lesson 00's program (kit-main.jsonl, node-main.jsonl)
//   NN = 01 or 02     the TCP upload: lesson 01's server receives a 150,000-byte file
//                     from lesson 02's client (kit-server, kit-client, node-server,
//                     node-client .jsonl)
//   NN = 03 or 04     the UDP upload: lesson 03's server, lesson 04's client, 1,400 bytes
//   --bin DIR         where the kit's programs are (default build/lessons)
//
// Each run has a fresh temporary directory (server_files/, client_files/) and a port
// nobody held a moment before (retried if the server could not bind it); the server is
// stopped once it has saved the file, every child is reaped, also on failure. A kit
// program that leaves its trace empty (built before KIT_TRACE=json: run make) is an
// error. Prints the trace files written.

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const dgram = require('node:dgram');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const PRELOAD = path.join(__dirname, 'node-trace.js');
const now = () => Number(process.hrtime.bigint() / 1000n);

const LESSONS = {
  '00': { kind: 'single', kit: '00_event_loop', node: 'lessons/00_event_loop/main.js' },
  '01': { kind: 'tcp' }, '02': { kind: 'tcp' },
  '03': { kind: 'udp' }, '04': { kind: 'udp' },
};
const PAIRS = {
  tcp: { server: ['01_tcp_server', 'lessons/01_tcp_server/server.js'], client: ['02_tcp_client', 'lessons/02_tcp_client/client.js'],
    size: 150000, ready: 'escutando porta' },
  udp: { server: ['03_udp_server', 'lessons/03_udp_server/server.js'], client: ['04_udp_client', 'lessons/04_udp_client/client.js'],
    size: 1400, ready: 'aguardando dados' },
};

const children = new Set();
function killAll() { for (const c of children) { try { c.kill('SIGKILL'); } catch { /* gone */ } } }
process.on('exit', killAll);

// Start a program with the trace on; resolves when it exits. `proc.out` collects stdout,
// `proc.lines` stderr's lines (for the error messages and the server's port check).
function start(src, argv, cwd, tracePath) {
  const env = { ...process.env, KIT_TRACE: `json:${tracePath}` };
  const cmd = src === 'node' ? process.execPath : argv[0];
  const args = src === 'node' ? ['--require', PRELOAD, ...argv] : argv.slice(1);
  const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const proc = { child, out: '', lines: [], argv, src, tracePath, code: null };
  let partial = '';
  child.stdout.setEncoding('utf8').on('data', (d) => { proc.out += d; });
  child.stderr.setEncoding('utf8').on('data', (d) => {
    const t = now();
    const parts = (partial + d).split('\n');
    partial = parts.pop();
    for (const line of parts) proc.lines.push({ t, line });
  });
  proc.done = new Promise((resolve) => {
    child.on('error', (err) => { proc.lines.push({ t: now(), line: `spawn error: ${err.message}` }); });
    child.on('close', (code, signal) => {
      children.delete(child);
      if (partial) proc.lines.push({ t: now(), line: partial });
      proc.code = code;
      proc.signal = signal;
      resolve(proc);
    });
  });
  return proc;
}

async function until(cond, ms, what) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`record: timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function freePort(kind) {
  return new Promise((resolve, reject) => {
    const s = kind === 'udp' ? dgram.createSocket('udp4') : net.createServer();
    s.on('error', reject);
    const done = () => { const { port } = s.address(); s.close(() => resolve(port)); };
    if (kind === 'udp') s.bind(0, done); else s.listen(0, done);
  });
}

// After a run: the trace, moved to its final name (written under a .tmp name, so a
// failed recording leaves no trace file that looks whole).
function finish(proc, file) {
  const json = fs.existsSync(proc.tracePath) ? fs.readFileSync(proc.tracePath, 'utf8') : '';
  if (json.trim() === '') {
    throw new Error(`record: ${proc.argv[0]} wrote no trace to ${proc.tracePath}` +
      (proc.src === 'kit' ? ' (a kit built before KIT_TRACE=json? run make)' : ''));
  }
  fs.renameSync(proc.tracePath, file);
  return file;
}

async function recordSingle(spec, src, bin, outDir, work) {
  const file = path.join(outDir, `${src}-main.jsonl`);
  const argv = src === 'kit' ? [path.join(bin, spec.kit)] : [path.join(ROOT, spec.node)];
  const proc = start(src, argv, work, `${file}.tmp`);
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), 10000);
  await proc.done;
  clearTimeout(timer);
  if (proc.code !== 0) throw new Error(`record: ${argv[0]} exited ${proc.code ?? proc.signal}`);
  return [finish(proc, file)];
}

async function recordPair(kind, src, bin, outDir, work) {
  const pair = PAIRS[kind];
  const dir = fs.mkdtempSync(path.join(work, `${src}-`));
  fs.mkdirSync(path.join(dir, 'server_files'));
  fs.mkdirSync(path.join(dir, 'client_files'));
  // a fixed pattern, so two recordings send the same bytes
  const data = Buffer.alloc(pair.size, 'kit and node, one loop each\n');
  fs.writeFileSync(path.join(dir, 'client_files', 'client.txt'), data);
  const prog = (which) => (src === 'kit' ? [path.join(bin, pair[which][0])] : [path.join(ROOT, pair[which][1])]);
  const serverFile = path.join(outDir, `${src}-server.jsonl`);
  const clientFile = path.join(outDir, `${src}-client.jsonl`);
  let server = null;
  let port = 0;
  for (let attempt = 0; attempt < 5 && server === null; attempt++) {
    port = await freePort(kind);
    const proc = start(src, [...prog('server'), '--port', String(port)], dir, `${serverFile}.tmp`);
    // lesson 01's server warns and retries a second later when the port is taken
    // (EADDRINUSE): another port then; lesson 03's exits
    const taken = () => /EADDRINUSE|em uso/.test(proc.lines.map((l) => l.line).join('\n'));
    try {
      await until(() => proc.out.includes(pair.ready) || proc.code !== null || taken(), 10000, `${src} server to listen`);
    } catch (err) { proc.child.kill('SIGKILL'); await proc.done; throw err; }
    if (proc.out.includes(pair.ready) && proc.code === null && !taken()) { server = proc; break; }
    proc.child.kill('SIGKILL');
    await proc.done;
  }
  if (server === null) throw new Error(`record: the ${src} server could not listen`);
  try {
    const client = start(src, [...prog('client'), '--port', String(port)], dir, `${clientFile}.tmp`);
    const timer = setTimeout(() => client.child.kill('SIGKILL'), 10000);
    await client.done;
    clearTimeout(timer);
    if (client.code !== 0) throw new Error(`record: ${src} client exited ${client.code ?? client.signal}: ${client.lines.map((l) => l.line).join('\n').slice(-500)}`);
    await until(() => server.out.includes('arquivo salvo'), 10000, `${src} server to save the file`);
    await new Promise((r) => setTimeout(r, 50));   // one more turn: the trace is flushed per iteration
    server.child.kill('SIGTERM');
    await server.done;
    const saved = fs.readdirSync(path.join(dir, 'server_files'));
    if (saved.length !== 1 || !fs.readFileSync(path.join(dir, 'server_files', saved[0])).equals(data)) {
      throw new Error(`record: the ${src} server did not save the file whole`);
    }
    return [finish(server, serverFile), finish(client, clientFile)];
  } finally {
    if (server.code === null) { server.child.kill('SIGKILL'); await server.done; }
  }
}

async function record(lesson, outDir, { bin = path.join(ROOT, 'build', 'lessons') } = {}) {
  const spec = LESSONS[lesson];
  if (!spec) throw new Error(`record: no lesson '${lesson}' (00, 01, 02, 03 or 04)`);
  fs.mkdirSync(outDir, { recursive: true });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kit-trace-'));
  try {
    const files = [];
    for (const src of ['kit', 'node']) {
      files.push(...(spec.kind === 'single'
        ? await recordSingle(spec, src, bin, outDir, work)
        : await recordPair(spec.kind, src, bin, outDir, work)));
    }
    return files;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

module.exports = { record };

if (require.main === module) {
  const args = process.argv.slice(2);
  const opts = {};
  const i = args.indexOf('--bin');
  if (i >= 0) { opts.bin = path.resolve(args[i + 1]); args.splice(i, 2); }
  if (args.length !== 2) {
    process.stderr.write('usage: node scripts/trace/record.js NN OUTDIR [--bin DIR]\n');
    process.exit(2);
  }
  record(args[0], path.resolve(args[1]), opts).then(
    (files) => { for (const f of files) console.log(f); },
    (err) => { killAll(); console.error(err.message); process.exit(1); });
}
