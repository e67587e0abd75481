'use strict';
// udp-bench.js: how many datagrams per second lesson 03 receives and saves, the C++
// server (build/lessons/03_udp_server) beside our Node server
// (lessons/03_udp_server/server.js), with the same sender.
//
// For each server and each run: start it in a fresh temporary directory on a free
// port; send COUNT datagrams of SIZE bytes from this process as fast as Node's dgram
// can (one send() call each, all queued at once); count the server's
// "arquivo salvo com sucesso!" lines (one per datagram received: each becomes one
// fs.writeFile) until none has come for 700 ms. Reported per run:
//   saved     datagrams received and saved (writeFile callbacks)
//   dropped   growth of `Udp: RcvbufErrors` in /proc/net/snmp: datagrams the kernel
//             threw away because the server's receive buffer was full
//   saved/s   saved / (time of the last save - time of the first send)
// Other UDP traffic on the machine during a run adds to `dropped` (it is a counter of
// the whole network namespace); run it on a quiet machine, or under `unshare -n`.
//
// Usage: node bench/udp-bench.js [COUNT [SIZE [RUNS]]]   (defaults 20000 64 3)
//        (environment: BENCH_UDP_COUNT, BENCH_UDP_SIZE, BENCH_UDP_RUNS)

const { spawn } = require('node:child_process');
const dgram = require('node:dgram');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const COUNT = Number(process.argv[2] || process.env.BENCH_UDP_COUNT || 20000);
const SIZE = Number(process.argv[3] || process.env.BENCH_UDP_SIZE || 64);
const RUNS = Number(process.argv[4] || process.env.BENCH_UDP_RUNS || 3);
const SAVED = 'arquivo salvo com sucesso!';

const SERVERS = [
  { name: 'C++  build/lessons/03_udp_server', cmd: path.join(ROOT, 'build/lessons/03_udp_server'), args: [] },
  { name: 'Node lessons/03_udp_server/server.js', cmd: process.execPath,
    args: [path.join(ROOT, 'lessons/03_udp_server/server.js')] },
];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function rcvbufErrors() {
  try {
    const lines = fs.readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((l) => l.startsWith('Udp:'));
    const names = lines[0].split(/\s+/);
    return Number(lines[1].split(/\s+/)[names.indexOf('RcvbufErrors')]);
  } catch {
    return NaN;
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    s.on('error', reject);
    s.bind(0, () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function startServer(server, dir) {
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const child = spawn(server.cmd, [...server.args, '--port', String(port)],
      { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    const state = { child, port, saves: 0, lastSave: 0, ready: false, exited: false, stderr: '' };
    let pending = '';
    child.stdout.setEncoding('utf8').on('data', (d) => {
      pending += d;
      const lines = pending.split('\n');
      pending = lines.pop();
      for (const l of lines) {
        if (l === SAVED) {
          state.saves++;
          state.lastSave = performance.now();
        } else if (l.startsWith('aguardando')) {
          state.ready = true;
        }
      }
    });
    child.stderr.setEncoding('utf8').on('data', (d) => { state.stderr += d; });
    state.closed = new Promise((r) => child.on('close', () => { state.exited = true; r(); }));
    const end = Date.now() + 10000;
    while (!state.ready && !state.exited && Date.now() < end) await sleep(10);
    if (state.ready) return state;
    child.kill('SIGKILL');
    await state.closed;
    if (!/EADDRINUSE/.test(state.stderr)) throw new Error(`${server.name} did not start:\n${state.stderr}`);
  }
  throw new Error('no free port');
}

async function runOnce(server) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kit-udp-bench-'));
  fs.mkdirSync(path.join(dir, 'server_files'));
  const srv = await startServer(server, dir);
  try {
    const dropsBefore = rcvbufErrors();
    const sender = dgram.createSocket('udp4');
    const payload = Buffer.alloc(SIZE, 0x78);
    const t0 = performance.now();
    await new Promise((resolve) => {
      let done = 0;
      for (let i = 0; i < COUNT; i++) {
        sender.send(payload, srv.port, '127.0.0.1', () => { if (++done === COUNT) resolve(); });
      }
    });
    const sendMs = performance.now() - t0;
    await new Promise((r) => sender.close(r));
    let last = -1;
    let stable = Date.now();
    while (Date.now() - stable < 700) {
      if (srv.saves !== last) {
        last = srv.saves;
        stable = Date.now();
      }
      await sleep(20);
    }
    const dropped = rcvbufErrors() - dropsBefore;
    const spanMs = srv.lastSave > t0 ? srv.lastSave - t0 : NaN;
    return { saved: srv.saves, dropped, sendMs, perSec: srv.saves / (spanMs / 1000), alive: !srv.exited };
  } finally {
    srv.child.kill('SIGKILL');
    await srv.closed;
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main() {
  for (const s of SERVERS) {
    if (s.cmd !== process.execPath && !fs.existsSync(s.cmd)) {
      console.error(`udp-bench: ${s.cmd} is missing: run make first`);
      process.exit(1);
    }
  }
  console.log(`udp bench: ${COUNT} datagrams of ${SIZE} B per run, ${RUNS} run(s) per server, ` +
    `same sender (node dgram, all sends queued at once), loopback`);
  const pad = (v, n) => String(v).padStart(n);
  console.log(`${'server'.padEnd(40)} ${pad('run', 3)} ${pad('saved', 7)} ${pad('dropped', 8)} ` +
    `${pad('send ms', 8)} ${pad('saved/s', 9)}`);
  const summary = [];
  for (const server of SERVERS) {
    const rows = [];
    for (let run = 1; run <= RUNS; run++) {
      const r = await runOnce(server);
      rows.push(r);
      console.log(`${server.name.padEnd(40)} ${pad(run, 3)} ${pad(r.saved, 7)} ${pad(r.dropped, 8)} ` +
        `${pad(r.sendMs.toFixed(0), 8)} ${pad(Math.round(r.perSec), 9)}${r.alive ? '' : '  (server died!)'}`);
    }
    summary.push([server.name, median(rows.map((r) => r.saved)), median(rows.map((r) => r.perSec))]);
  }
  console.log('median:');
  for (const [name, saved, perSec] of summary) {
    console.log(`  ${name.padEnd(40)} saved ${pad(saved, 7)} of ${COUNT} (${(100 * saved / COUNT).toFixed(1)}%), ` +
      `${Math.round(perSec)} datagrams/s received and saved`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
