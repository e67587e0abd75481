'use strict';
// bench/tcp.js: a file upload through lessons 01+02 (C++) against the same upload
// through our Node programs (server.js + client.js) and through the design floor
// (bench/floor_server.c + floor_client.c: the document's design in plain C, no kit
// code), side by side in one run, with iperf3 moving the same number of bytes over
// loopback as the ceiling. BENCH_AB_SERVER=PATH and/or BENCH_AB_CLIENT=PATH add another
// build of lesson 01's server and/or lesson 02's client (kind cppB; the one not named is
// this tree's) to every round: a same-run A/B.
//
// For each size, one client file on tmpfs; then, round after round, in an order that
// rotates each round (C++, floor, Node, iperf3; then floor, Node, iperf3, C++; ...):
//   C++ / floor / Node  start the server in the size's directory on a free port, wait for
//               'escutando porta', start the client; the clock runs from spawning
//               the client to the server printing 'arquivo salvo com sucesso!' (so it
//               holds the client's start-up, the transfer, Buffer.concat and the write
//               of the whole file to tmpfs); read the server's peak RSS (VmHWM) and CPU
//               time (and the time from the server's 'conectado!' line to the save,
//               which leaves out the client's start-up); check the saved file (size, and its first, middle and last
//               64 KiB against the client file); note what grew in /proc/vmstat
//               meanwhile (compaction stalls, huge-page faults: machine-wide); kill
//               and reap the server. Also, per round: the server's threads one by one
//               (CPU time, context switches, page faults: lib.js threadCounts) and,
//               with BENCH_PERF_STAT=1, the client's counts under `perf stat`
//               (context switches, migrations, CPU time, page faults, system calls).
//   iperf3      `iperf3 -n SIZE` on loopback, memory to memory (see lib.js iperf3Tcp).
// Every round is printed; the spread (min, median, p90, max) of each program and, with
// --out, every round are written as JSON.
//
// Usage: node bench/tcp.js [--sizes 1,16,256,1024] [--rounds 3] [--big-rounds N]
//                          [--kinds cpp,floor] [--warmup 1] [--out build/bench/tcp.json]
//   sizes in MiB; --big-rounds: rounds for sizes of 1024 MiB and more (default --rounds);
//   --kinds: only these rows (cpp, cppB, floor, node, iperf3; default all; the floor is
//   always run, it is what the ratios divide by); --warmup: uncounted rounds of the
//   floor before each size's rounds (default 1); with --out: no table, see report.js
const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const L = require('./lib');

const opt = L.options();
const SIZES = L.numList(opt.sizes || '1,16,256,1024');
const ROUNDS = Number(opt.rounds || 3);
const BIG_ROUNDS = Number(opt['big-rounds'] || ROUNDS);
const MiB = 1024 * 1024;
const ALL_KINDS = ['cpp', ...(L.PROGRAMS.tcpServer.cppB ? ['cppB'] : []), 'floor', 'node', 'iperf3'];
const KINDS = opt.kinds
  ? ALL_KINDS.filter((k) => k === 'floor' || opt.kinds.split(',').includes(k))
  : ALL_KINDS;
const PERF_STAT = process.env.BENCH_PERF_STAT === '1';
const WARMUP = Number(opt.warmup ?? 1);
const SAMPLE = 64 * 1024;

const samplesMatch = (a, b, size) => L.samplesMatch(a, b, size, SAMPLE);

async function runLesson(kind, dir, sizeBytes) {
  const port = await L.freePort();
  const flags = ['--port', String(port), '--host', '127.0.0.1'];
  const server = new L.ServerProcess([...L.PROGRAMS.tcpServer[kind], ...flags], dir);
  let client;
  try {
    await server.waitPrefix('escutando porta');
    const vm0 = L.vmstat();
    const t0 = performance.now();
    const connected = server.waitCount('conectado!', 1, 60000);
    const saved = server.waitCount('arquivo salvo com sucesso!', 1, 300000);
    const statFile = path.join(server.outDir, 'client.perf');
    const plain = [...L.PROGRAMS.tcpClient[kind], ...flags];
    const argv = PERF_STAT ? L.perfStatArgv(plain, statFile) : plain;
    client = L.track(spawn(argv[0], argv.slice(1), { cwd: dir, stdio: 'ignore' }));
    const clientExit = new Promise((resolve) => client.on('close', resolve));
    const tc = await connected;
    const t1 = await saved;
    await clientExit;
    const vm = L.vmstatDelta(vm0, L.vmstat());
    const rssMiB = L.peakRssMiB(server.pid);
    const cpu = L.cpuSeconds(server.pid);
    const serverThreads = L.threadCounts(server.pid);
    const clientPerf = PERF_STAT ? L.readPerfStat(statFile) : undefined;
    if (server.count('erro ao salvar arquivo') > 0) throw new Error(`${kind} server: erro ao salvar arquivo`);
    const files = fs.readdirSync(path.join(dir, 'server_files'));
    if (files.length !== 1) throw new Error(`${kind}: expected one saved file, found ${files.length}`);
    const savedPath = path.join(dir, 'server_files', files[0]);
    const size = fs.statSync(savedPath).size;
    const ok = size === sizeBytes && samplesMatch(savedPath, path.join(dir, 'client_files/client.txt'), size);
    fs.unlinkSync(savedPath);
    if (!ok) throw new Error(`${kind}: the saved file differs from the client's (${size} of ${sizeBytes} bytes)`);
    return {
      seconds: (t1 - t0) / 1000, afterConnectSeconds: (t1 - tc) / 1000, rssMiB, cpuSeconds: cpu, vmstat: vm,
      serverThreads, ...(clientPerf ? { clientPerf } : {}),
    };
  } finally {
    if (client && client.exitCode === null && client.signalCode === null) client.kill('SIGKILL');
    await server.stop();
  }
}

function makeClientFile(dir, mib) {
  fs.mkdirSync(path.join(dir, 'server_files'));
  fs.mkdirSync(path.join(dir, 'client_files'));
  const fd = fs.openSync(path.join(dir, 'client_files/client.txt'), 'w');
  try {
    const block = crypto.randomBytes(MiB);
    for (let i = 0; i < mib; i++) fs.writeSync(fd, block);
  } finally {
    fs.closeSync(fd);
  }
}

const fmt = (x, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : '-');
// A round's counts beside its time: server CPU, and with BENCH_PERF_STAT the client's
// context switches and CPU time.
function detail(run) {
  if (run.cpuSeconds === undefined) return '';
  const c = run.clientPerf;
  const client = c && c['context-switches'] !== undefined
    ? `, client ${c['context-switches']} cs ${fmt(c['task-clock'] / 1000, 2)} s` : '';
  return ` (server ${fmt(run.cpuSeconds, 2)} s${client})`;
}

L.main(async () => {
  L.requireBuilt();
  console.log(`TCP upload: sizes ${SIZES.join(', ')} MiB, ${ROUNDS} round(s)` +
    `${BIG_ROUNDS !== ROUNDS ? ` (${BIG_ROUNDS} from 1024 MiB up)` : ''}, files on ${L.TMP}`);
  const results = [];
  for (const mib of SIZES) {
    const sizeBytes = Math.round(mib * MiB);
    const rounds = mib >= 1024 ? BIG_ROUNDS : ROUNDS;
    const dir = L.mkTemp('kit-bench-tcp-');
    const runs = Object.fromEntries(KINDS.map((k) => [k, []]));
    try {
      makeClientFile(dir, mib);
      // Warm-up rounds, not counted: the design floor's upload, once (--warmup). On the
      // reference VM the first program to touch this much memory after it lay free
      // (the client file was just written) paid the host's page faults: the round-1
      // program was 2-3x slower in CPU time, whoever it was (docs/performance.md), and
      // round 1 always starts with the same program.
      for (let w = 0; w < WARMUP; w++) {
        const x = await runLesson('floor', dir, sizeBytes);
        console.log(`  ${String(mib).padStart(5)} MiB warm-up ${w + 1}/${WARMUP} (not counted): floor ${fmt(x.seconds)} s${detail(x)}`);
      }
      for (let r = 0; r < rounds; r++) {
        const order = [...KINDS];
        for (let k = 0; k < r % KINDS.length; k++) order.push(order.shift());
        for (const kind of order) {
          runs[kind].push(kind === 'iperf3' ? await L.iperf3Tcp(sizeBytes) : await runLesson(kind, dir, sizeBytes));
        }
        console.log(`  ${String(mib).padStart(5)} MiB round ${r + 1}/${rounds}: ` +
          KINDS.map((k) => `${L.LABEL[k]} ${fmt(runs[k][r].seconds, k === 'iperf3' ? 4 : 3)} s${detail(runs[k][r])}`).join(', '));
      }
    } finally {
      L.rmTemp(dir);
    }
    const med = {};
    const spread = {};
    for (const kind of KINDS.filter((k) => k !== 'iperf3')) {
      med[kind] = {
        seconds: L.median(runs[kind].map((x) => x.seconds)),
        afterConnectSeconds: L.median(runs[kind].map((x) => x.afterConnectSeconds)),
        rssMiB: L.median(runs[kind].map((x) => x.rssMiB)),
        cpuSeconds: L.median(runs[kind].map((x) => x.cpuSeconds)),
      };
      spread[kind] = {
        seconds: L.spread(runs[kind].map((x) => x.seconds)),
        afterConnectSeconds: L.spread(runs[kind].map((x) => x.afterConnectSeconds)),
        rssMiB: L.spread(runs[kind].map((x) => x.rssMiB)),
      };
    }
    if (KINDS.includes('iperf3')) {
      med.iperf3 = { seconds: L.median(runs.iperf3.map((x) => x.seconds)) };
      spread.iperf3 = { seconds: L.spread(runs.iperf3.map((x) => x.seconds)) };
    }
    results.push({ mib, bytes: sizeBytes, rounds, kinds: KINDS, runs, median: med, spread });
  }

  if (!opt.out) {  // with --out, bench/report.js prints the table
    console.log('');
    console.log('| size | program | min (s) | median (s) | p90 (s) | max (s) | x floor (median) | x floor (p90) | peak RSS median (MiB) ' +
      '| server CPU median (s) | client context switches median |');
    console.log('|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const { mib, spread: sp, median: m, runs } of results) {
      for (const kind of KINDS) {
        const t = sp[kind].seconds;
        const f = sp.floor.seconds;
        console.log(`| ${mib} MiB | ${L.LABEL[kind]} | ${fmt(t.min, 4)} | ${fmt(t.median, 4)} | ${fmt(t.p90, 4)} | ${fmt(t.max, 4)} ` +
          `| ${fmt(t.median / f.median, 2)}x | ${fmt(t.p90 / f.p90, 2)}x | ${kind === 'iperf3' ? '' : fmt(m[kind].rssMiB, 1)} ` +
          `| ${kind === 'iperf3' ? '' : fmt(m[kind].cpuSeconds, 2)} ` +
          `| ${kind === 'iperf3' ? '' : fmt(L.median(runs[kind].map((x) => x.clientPerf?.['context-switches'])), 0)} |`);
      }
    }
  }
  L.writeJson(opt.out, {
    kind: 'tcp', sizesMiB: SIZES, rounds: ROUNDS, bigRounds: BIG_ROUNDS, warmupRounds: WARMUP, tmp: L.TMP,
    abServer: process.env.BENCH_AB_SERVER || null, abClient: process.env.BENCH_AB_CLIENT || null, results,
  });
});
