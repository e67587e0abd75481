'use strict';
// udp-bench.js: how many datagrams per second lesson 03 receives and saves, the C++
// server (build/lessons/03_udp_server) beside our Node server
// (lessons/03_udp_server/server.js), with the same sender, and iperf3 receiving the
// same datagrams as the ceiling.
//
// Each round runs the C++ server, the Node server and iperf3, in an order that
// rotates each round. For a server: start it in a fresh directory on tmpfs on a free
// port; send COUNT datagrams of SIZE bytes from this process as fast as Node's dgram
// can (one send() call each, all queued at once); count the server's
// "arquivo salvo com sucesso!" lines (one per datagram received: each becomes one
// fs.writeFile) until none has come for 700 ms. Reported per run:
//   saved     datagrams received and saved (writeFile callbacks)
//   dropped   growth of `Udp: RcvbufErrors` in /proc/net/snmp: datagrams the kernel
//             threw away because the server's receive buffer was full
//   saved/s   saved / (time of the last save - time of the first send)
// iperf3 (-u -b 0 -l SIZE -k COUNT) sends the same datagrams with its own sender and
// receives them without doing anything with them: the datagrams per second its
// receiver got are the loopback ceiling (lib.js iperf3Udp).
// Other UDP traffic on the machine during a run adds to `dropped` (it is a counter of
// the whole network namespace); run it on a quiet machine, or under `unshare -n`.
//
// Usage: node bench/udp-bench.js [COUNT [SIZE [RUNS]]] [--out build/bench/udp.json]
//        (defaults 20000 64 3; environment: BENCH_UDP_COUNT, BENCH_UDP_SIZE, BENCH_UDP_RUNS)
const dgram = require('node:dgram');
const fs = require('node:fs');
const path = require('node:path');
const L = require('./lib');

const argv = process.argv.slice(2);
const flagAt = argv.indexOf('--out');
const OUT = flagAt >= 0 ? argv.splice(flagAt, 2)[1] : undefined;
const COUNT = Number(argv[0] || process.env.BENCH_UDP_COUNT || 20000);
const SIZE = Number(argv[1] || process.env.BENCH_UDP_SIZE || 64);
const RUNS = Number(argv[2] || process.env.BENCH_UDP_RUNS || 3);
const SAVED = 'arquivo salvo com sucesso!';
const NAMES = { cpp: 'C++  build/lessons/03_udp_server', node: 'Node lessons/03_udp_server/server.js',
  iperf3: 'iperf3 -u (ceiling)' };

async function startServer(kind, dir) {
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await L.freePort('udp');
    const server = new L.ServerProcess([...L.PROGRAMS.udpServer[kind], '--port', String(port)], dir);
    try {
      await server.waitPrefix('aguardando', 10000);
      server.port = port;
      return server;
    } catch (e) {
      await server.stop();
      if (!/EADDRINUSE/.test(server.stderr)) throw new Error(`${NAMES[kind]} did not start: ${e.message}\n${server.stderr}`);
    }
  }
  throw new Error('no free port');
}

async function runServer(kind) {
  const dir = L.mkTemp('kit-bench-udp-');
  fs.mkdirSync(path.join(dir, 'server_files'));
  let server;
  try {
    server = await startServer(kind, dir);
    const dropsBefore = L.netCounter('Udp', 'RcvbufErrors');
    const sender = dgram.createSocket('udp4');
    const payload = Buffer.alloc(SIZE, 0x78);
    const t0 = performance.now();
    await new Promise((resolve) => {
      let done = 0;
      for (let i = 0; i < COUNT; i++) {
        sender.send(payload, server.port, '127.0.0.1', () => { if (++done === COUNT) resolve(); });
      }
    });
    const sendMs = performance.now() - t0;
    await new Promise((r) => sender.close(r));
    let last = -1;
    let stable = Date.now();
    while (Date.now() - stable < 700 && server.exitCode === undefined) {
      if (server.count(SAVED) !== last) {
        last = server.count(SAVED);
        stable = Date.now();
      }
      await L.sleep(20);
    }
    const saved = server.count(SAVED);
    const dropped = L.netCounter('Udp', 'RcvbufErrors') - dropsBefore;
    const lastSave = server.lastAt.get(SAVED) ?? 0;
    const spanMs = lastSave > t0 ? lastSave - t0 : NaN;
    return { saved, dropped, sendMs, perSec: saved / (spanMs / 1000), alive: server.exitCode === undefined,
      errors: server.count('erro ao salvar arquivo') };
  } finally {
    if (server) await server.stop();
    L.rmTemp(dir);
  }
}

async function runIperf3() {
  const r = await L.iperf3Udp(COUNT, SIZE);
  return { saved: r.received, dropped: NaN, sendMs: NaN, perSec: r.perSec, alive: true, errors: 0 };
}

L.main(async () => {
  L.requireBuilt();
  console.log(`udp bench: ${COUNT} datagrams of ${SIZE} B per run, ${RUNS} round(s), servers and iperf3 ` +
    'alternating; same sender for both servers (node dgram, all sends queued at once), loopback');
  const pad = (v, n) => String(v).padStart(n);
  console.log(`${'receiver'.padEnd(40)} ${pad('run', 3)} ${pad('saved', 7)} ${pad('dropped', 8)} ` +
    `${pad('send ms', 8)} ${pad('saved/s', 9)}`);
  const runs = { cpp: [], node: [], iperf3: [] };
  for (let r = 0; r < RUNS; r++) {
    const order = ['cpp', 'node', 'iperf3'];
    for (let k = 0; k < r % 3; k++) order.push(order.shift());
    for (const kind of order) {
      const x = kind === 'iperf3' ? await runIperf3() : await runServer(kind);
      runs[kind].push(x);
      console.log(`${NAMES[kind].padEnd(40)} ${pad(r + 1, 3)} ${pad(x.saved, 7)} ${pad(Number.isFinite(x.dropped) ? x.dropped : '-', 8)} ` +
        `${pad(Number.isFinite(x.sendMs) ? x.sendMs.toFixed(0) : '-', 8)} ${pad(Math.round(x.perSec), 9)}` +
        `${x.alive ? '' : '  (server died!)'}${x.errors ? `  (${x.errors} save errors)` : ''}`);
    }
  }
  const median = {};
  console.log('median:');
  for (const kind of ['cpp', 'node', 'iperf3']) {
    median[kind] = { saved: L.median(runs[kind].map((x) => x.saved)), perSec: L.median(runs[kind].map((x) => x.perSec)) };
    const verb = kind === 'iperf3' ? 'received' : 'received and saved';
    console.log(`  ${NAMES[kind].padEnd(40)} ${kind === 'iperf3' ? 'got  ' : 'saved'} ${pad(median[kind].saved, 7)} of ${COUNT} ` +
      `(${(100 * median[kind].saved / COUNT).toFixed(1)}%), ${Math.round(median[kind].perSec)} datagrams/s ${verb}`);
  }
  L.writeJson(OUT, { kind: 'udp', count: COUNT, size: SIZE, rounds: RUNS, tmp: L.TMP, runs, median });
});
