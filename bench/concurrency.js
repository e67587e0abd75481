'use strict';
// bench/concurrency.js: N clients uploading at once to lesson 01's server, the C++
// lesson (build/lessons/01_tcp_server) against our server.js, with the same load
// generator for both.
//
// Starting N client processes is not an option at N = 1,000 (a Node process is about
// 40 MB), so this process is the load generator, the same one for both servers. It
// opens N connections at once (N connect() calls in one turn of its loop) and each
// uploads the same bytes (--kib, 64 KiB by default) and ends (FIN), in two ways:
//   burst  each connection writes its upload and ends as soon as it is connected; the
//          clock runs from the first connect() call;
//   held   no connection writes until all N are connected; then all N write and end
//          in one turn of the loop, and the clock starts there. This leaves out the
//          connection set-up, and with it the accept-queue overflow described below.
// The clock stops when the server prints its N-th 'arquivo salvo com sucesso!' line:
// the server's stdout is counted line by line, not the files, because uploads
// finishing in the same second share one file name (lessons/01_tcp_server/README.md).
// Then:
//   - every connection must have closed without error, the server must have printed
//     N x 'conexao com o cliente encerrada', N x 'arquivo salvo com sucesso!' and no
//     'erro ao salvar arquivo', and every file left in server_files/ must be exactly
//     the upload;
//   - server peak RSS: VmHWM in /proc/PID/status (the server holds every upload in
//     memory until its connection closes, then writes it with fs.writeFile on the
//     thread pool);
//   - server CPU time during the run: utime + stime in /proc/PID/stat, all threads;
//   - SYNs dropped because the server's accept queue was full: the growth of
//     TcpExt ListenOverflows in /proc/net/netstat (a counter of the whole network
//     namespace). Both servers listen with Node's backlog, 511. On loopback the
//     kernel completes each handshake inside connect(), so a burst of 1,000 connect()
//     calls queues connections as fast as the generator can call it; a server that
//     does not accept as fast lets the queue fill, and each SYN dropped then is sent
//     again by the client's kernel after the initial retransmission timeout, 1 s.
//     Wall times a little over 1 s mean that; the CPU time still compares the servers;
//   - this generator's own CPU time (process.cpuUsage), to show whether it, rather
//     than the server, set the pace.
// Peak RSS, CPU time and SYNs dropped are reported for burst (the JSON has both). As
// the ceiling, iperf3 moves the same total bytes (N x upload) over one loopback
// connection (see lib.js iperf3Tcp).
//
// Rounds alternate the servers, in an order that rotates each round. The generator
// holds N sockets and the server N + a few descriptors: levels above the soft
// RLIMIT_NOFILE (minus 64) are refused; scripts/bench.sh raises the soft limit.
//
// Usage: node bench/concurrency.js [--levels 1,10,100,1000] [--kib 64] [--rounds 3]
//                                  [--out build/bench/concurrency.json]   (with --out: no table)
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const L = require('./lib');

const opt = L.options();
const LEVELS = L.numList(opt.levels || '1,10,100,1000');
const KIB = Number(opt.kib || 64);
const ROUNDS = Number(opt.rounds || 3);
const TIMEOUT_MS = 120000;

const SAVED = 'arquivo salvo com sucesso!';
const CLOSED = 'conexao com o cliente encerrada';

/**
 * Opens n connections at once. 'burst': each writes `payload` and ends as soon as it
 * connects. 'held': none writes until all n have connected; then all write and end in
 * one turn of the loop. Returns { started: Promise<time uploads began>, done: Promise }.
 */
function generate(n, port, payload, mode) {
  let markStarted;
  const started = new Promise((resolve) => { markStarted = resolve; });
  const done = new Promise((resolve, reject) => {
    const sockets = [];
    let connected = 0;
    let closed = 0;
    let failed = null;
    const timer = setTimeout(() => {
      for (const s of sockets) s.destroy();
      reject(new Error(`timeout: ${connected} of ${n} connected, ${closed} closed`));
    }, TIMEOUT_MS);
    if (mode === 'burst') markStarted(performance.now());
    for (let i = 0; i < n; i++) {
      const s = net.connect({ port, host: '127.0.0.1' });
      sockets.push(s);
      s.on('connect', () => {
        if (mode === 'burst') {
          s.end(payload);
        } else if (++connected === n) {
          markStarted(performance.now());
          for (const t of sockets) t.end(payload);
        }
      });
      s.on('error', (e) => { failed ??= e; });
      s.resume();  // the server sends nothing; keep the socket flowing so 'end' comes
      s.on('close', () => {
        if (++closed < n) return;
        clearTimeout(timer);
        if (failed) reject(new Error(`a client connection failed: ${failed.message}`));
        else resolve();
      });
    }
  });
  return { started, done };
}

async function runServer(kind, n, payload, mode) {
  const dir = L.mkTemp('kit-bench-conc-');
  fs.mkdirSync(path.join(dir, 'server_files'));
  const port = await L.freePort();
  const server = new L.ServerProcess([...L.PROGRAMS.tcpServer[kind], '--port', String(port), '--host', '127.0.0.1'], dir);
  try {
    await server.waitPrefix('escutando porta');
    const cpu0 = L.cpuSeconds(server.pid);
    const gen0 = process.cpuUsage();
    const overflows0 = L.netCounter('TcpExt', 'ListenOverflows');
    const saved = server.waitCount(SAVED, n, TIMEOUT_MS);
    const gen = generate(n, port, payload, mode);
    const [t1, t0] = await Promise.all([saved, gen.started, gen.done]);
    const genCpu = process.cpuUsage(gen0);
    const result = {
      seconds: (t1 - t0) / 1000,
      rssMiB: L.peakRssMiB(server.pid),
      cpuSeconds: L.cpuSeconds(server.pid) - cpu0,
      generatorCpuSeconds: (genCpu.user + genCpu.system) / 1e6,
      listenOverflows: L.netCounter('TcpExt', 'ListenOverflows') - overflows0,
    };
    await L.sleep(20);  // let a stray extra line arrive before the checks
    const errors = server.count('erro ao salvar arquivo');
    if (server.count(CLOSED) !== n || server.count(SAVED) !== n || errors) {
      throw new Error(`${kind} server, ${n} clients: ${server.count(CLOSED)} closed, ` +
        `${server.count(SAVED)} saved, ${errors} save errors`);
    }
    const files = fs.readdirSync(path.join(dir, 'server_files'));
    for (const f of files) {
      if (!fs.readFileSync(path.join(dir, 'server_files', f)).equals(payload)) {
        throw new Error(`${kind} server, ${n} clients: ${f} is not the upload`);
      }
    }
    result.files = files.length;
    return result;
  } finally {
    await server.stop();
    L.rmTemp(dir);
  }
}

const fmt = (x, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : '-');

L.main(async () => {
  L.requireBuilt();
  const limit = L.nofileLimit();
  const levels = LEVELS.filter((n) => n + 64 <= limit);
  for (const n of LEVELS) {
    if (!levels.includes(n)) {
      console.log(`concurrency: skipping ${n} clients: RLIMIT_NOFILE is ${limit} (raise it: ulimit -n ${n + 256})`);
    }
  }
  const payload = crypto.randomBytes(KIB * 1024);
  console.log(`concurrency: ${levels.join(', ')} clients at once, ${KIB} KiB each, ${ROUNDS} round(s), ` +
    `one generator process, files on ${L.TMP}, RLIMIT_NOFILE ${limit}`);
  const results = [];
  const KEYS = ['seconds', 'rssMiB', 'cpuSeconds', 'generatorCpuSeconds', 'listenOverflows'];
  for (const n of levels) {
    const runs = { cpp: [], node: [], cppHeld: [], nodeHeld: [], iperf3: [] };
    for (let r = 0; r < ROUNDS; r++) {
      const order = ['cpp', 'node', 'iperf3', 'cppHeld', 'nodeHeld'];
      for (let k = 0; k < r % order.length; k++) order.push(order.shift());
      for (const key of order) {
        const kind = key.replace('Held', '');
        runs[key].push(kind === 'iperf3' ? await L.iperf3Tcp(n * payload.length)
          : await runServer(kind, n, payload, key.endsWith('Held') ? 'held' : 'burst'));
      }
      console.log(`  ${String(n).padStart(5)} clients round ${r + 1}/${ROUNDS}: ` +
        `burst C++ ${fmt(runs.cpp[r].seconds)} s, Node ${fmt(runs.node[r].seconds)} s; ` +
        `held C++ ${fmt(runs.cppHeld[r].seconds)} s, Node ${fmt(runs.nodeHeld[r].seconds)} s; ` +
        `iperf3 ${fmt(runs.iperf3[r].seconds, 4)} s`);
    }
    const med = { iperf3: { seconds: L.median(runs.iperf3.map((x) => x.seconds)) } };
    for (const key of ['cpp', 'node', 'cppHeld', 'nodeHeld']) {
      med[key] = {};
      for (const k of KEYS) med[key][k] = L.median(runs[key].map((x) => x[k]));
    }
    results.push({ clients: n, bytesEach: payload.length, rounds: ROUNDS, runs, median: med });
  }

  if (!opt.out) {  // with --out, bench/report.js prints the table
    console.log('');
    console.log('| clients | C++ time (s) | Node time (s) | Node/C++ | held: C++ (s) | held: Node (s) | held: Node/C++ ' +
      '| iperf3, same bytes (s) | C++ peak RSS (MiB) ' +
      '| Node peak RSS (MiB) | C++ CPU (s) | Node CPU (s) | generator CPU, C++ / Node run (s) | SYNs dropped, C++ / Node |');
    console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const { clients, median: m } of results) {
      console.log(`| ${clients} | ${fmt(m.cpp.seconds)} | ${fmt(m.node.seconds)} | ${fmt(m.node.seconds / m.cpp.seconds, 2)}x ` +
        `| ${fmt(m.cppHeld.seconds)} | ${fmt(m.nodeHeld.seconds)} | ${fmt(m.nodeHeld.seconds / m.cppHeld.seconds, 2)}x ` +
        `| ${fmt(m.iperf3.seconds, 4)} | ${fmt(m.cpp.rssMiB, 1)} | ${fmt(m.node.rssMiB, 1)} | ${fmt(m.cpp.cpuSeconds, 2)} ` +
        `| ${fmt(m.node.cpuSeconds, 2)} | ${fmt(m.cpp.generatorCpuSeconds, 2)} / ${fmt(m.node.generatorCpuSeconds, 2)} ` +
        `| ${fmt(m.cpp.listenOverflows, 0)} / ${fmt(m.node.listenOverflows, 0)} |`);
    }
  }
  L.writeJson(opt.out, { kind: 'concurrency', levels, skipped: LEVELS.filter((n) => !levels.includes(n)),
    kib: KIB, rounds: ROUNDS, nofile: limit, tmp: L.TMP, results });
});
