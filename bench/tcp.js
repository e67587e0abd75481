'use strict';
// bench/tcp.js: a file upload through lessons 01+02 (C++) against the same upload
// through our Node programs (server.js + client.js), side by side in one run, with
// iperf3 moving the same number of bytes over loopback as the ceiling.
//
// For each size, one client file on tmpfs; then, round after round, in an order that
// rotates each round (C++, Node, iperf3; then Node, iperf3, C++; ...):
//   C++ / Node  start the server in the size's directory on a free port, wait for
//               'escutando porta', start the client; the clock runs from spawning
//               the client to the server printing 'arquivo salvo com sucesso!' (so it
//               holds the client's start-up, the transfer, Buffer.concat and the write
//               of the whole file to tmpfs); read the server's peak RSS (VmHWM) and CPU
//               time (and the time from the server's 'conectado!' line to the save,
//               which leaves out the client's start-up); check the saved file (size, and its first, middle and last
//               64 KiB against the client file); kill and reap the server.
//   iperf3      `iperf3 -n SIZE` on loopback, memory to memory (see lib.js iperf3Tcp).
// Medians over the rounds are printed, and with --out all rounds are written as JSON.
//
// Usage: node bench/tcp.js [--sizes 1,16,256,1024] [--rounds 3] [--big-rounds N]
//                          [--out build/bench/tcp.json]   (with --out: no table, see report.js)
//   sizes in MiB; --big-rounds: rounds for sizes of 1024 MiB and more (default --rounds)
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
const SAMPLE = 64 * 1024;

function samplesMatch(a, b, size) {
  const fa = fs.openSync(a, 'r');
  const fb = fs.openSync(b, 'r');
  try {
    for (const off of [0, Math.floor(size / 2), Math.max(0, size - SAMPLE)]) {
      const ba = Buffer.alloc(SAMPLE);
      const bb = Buffer.alloc(SAMPLE);
      const na = fs.readSync(fa, ba, 0, SAMPLE, off);
      const nb = fs.readSync(fb, bb, 0, SAMPLE, off);
      if (na !== nb || !ba.subarray(0, na).equals(bb.subarray(0, nb))) return false;
    }
    return true;
  } finally {
    fs.closeSync(fa);
    fs.closeSync(fb);
  }
}

async function runLesson(kind, dir, sizeBytes) {
  const port = await L.freePort();
  const flags = ['--port', String(port), '--host', '127.0.0.1'];
  const server = new L.ServerProcess([...L.PROGRAMS.tcpServer[kind], ...flags], dir);
  let client;
  try {
    await server.waitPrefix('escutando porta');
    const t0 = performance.now();
    const connected = server.waitCount('conectado!', 1, 60000);
    const saved = server.waitCount('arquivo salvo com sucesso!', 1, 300000);
    const argv = [...L.PROGRAMS.tcpClient[kind], ...flags];
    client = L.track(spawn(argv[0], argv.slice(1), { cwd: dir, stdio: 'ignore' }));
    const clientExit = new Promise((resolve) => client.on('close', resolve));
    const tc = await connected;
    const t1 = await saved;
    await clientExit;
    const rssMiB = L.peakRssMiB(server.pid);
    const cpu = L.cpuSeconds(server.pid);
    if (server.count('erro ao salvar arquivo') > 0) throw new Error(`${kind} server: erro ao salvar arquivo`);
    const files = fs.readdirSync(path.join(dir, 'server_files'));
    if (files.length !== 1) throw new Error(`${kind}: expected one saved file, found ${files.length}`);
    const savedPath = path.join(dir, 'server_files', files[0]);
    const size = fs.statSync(savedPath).size;
    const ok = size === sizeBytes && samplesMatch(savedPath, path.join(dir, 'client_files/client.txt'), size);
    fs.unlinkSync(savedPath);
    if (!ok) throw new Error(`${kind}: the saved file differs from the client's (${size} of ${sizeBytes} bytes)`);
    return { seconds: (t1 - t0) / 1000, afterConnectSeconds: (t1 - tc) / 1000, rssMiB, cpuSeconds: cpu };
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

L.main(async () => {
  L.requireBuilt();
  console.log(`TCP upload: sizes ${SIZES.join(', ')} MiB, ${ROUNDS} round(s)` +
    `${BIG_ROUNDS !== ROUNDS ? ` (${BIG_ROUNDS} from 1024 MiB up)` : ''}, files on ${L.TMP}`);
  const results = [];
  for (const mib of SIZES) {
    const sizeBytes = Math.round(mib * MiB);
    const rounds = mib >= 1024 ? BIG_ROUNDS : ROUNDS;
    const dir = L.mkTemp('kit-bench-tcp-');
    const runs = { cpp: [], node: [], iperf3: [] };
    try {
      makeClientFile(dir, mib);
      for (let r = 0; r < rounds; r++) {
        const order = ['cpp', 'node', 'iperf3'];
        for (let k = 0; k < r % 3; k++) order.push(order.shift());
        for (const kind of order) {
          runs[kind].push(kind === 'iperf3' ? await L.iperf3Tcp(sizeBytes) : await runLesson(kind, dir, sizeBytes));
        }
        console.log(`  ${String(mib).padStart(5)} MiB round ${r + 1}/${rounds}: ` +
          `C++ ${fmt(runs.cpp[r].seconds)} s, Node ${fmt(runs.node[r].seconds)} s, ` +
          `iperf3 ${fmt(runs.iperf3[r].seconds, 4)} s`);
      }
    } finally {
      L.rmTemp(dir);
    }
    const med = {};
    for (const kind of ['cpp', 'node']) {
      med[kind] = {
        seconds: L.median(runs[kind].map((x) => x.seconds)),
        afterConnectSeconds: L.median(runs[kind].map((x) => x.afterConnectSeconds)),
        rssMiB: L.median(runs[kind].map((x) => x.rssMiB)),
        cpuSeconds: L.median(runs[kind].map((x) => x.cpuSeconds)),
      };
    }
    med.iperf3 = { seconds: L.median(runs.iperf3.map((x) => x.seconds)) };
    results.push({ mib, bytes: sizeBytes, rounds, runs, median: med });
  }

  if (!opt.out) {  // with --out, bench/report.js prints the table
    console.log('');
    console.log('| size | C++ time (s) | Node time (s) | Node/C++ | iperf3 (s) | C++ share of iperf3 | Node share of iperf3 ' +
      '| C++ peak RSS (MiB) | Node peak RSS (MiB) | C++ RSS / size | Node RSS / size |');
    console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const { mib, median: m } of results) {
      console.log(`| ${mib} MiB | ${fmt(m.cpp.seconds)} | ${fmt(m.node.seconds)} | ${fmt(m.node.seconds / m.cpp.seconds, 2)}x ` +
        `| ${fmt(m.iperf3.seconds, 4)} | ${fmt(100 * m.iperf3.seconds / m.cpp.seconds, 1)}% ` +
        `| ${fmt(100 * m.iperf3.seconds / m.node.seconds, 1)}% | ${fmt(m.cpp.rssMiB, 1)} | ${fmt(m.node.rssMiB, 1)} ` +
        `| ${fmt(m.cpp.rssMiB / mib, 2)} | ${fmt(m.node.rssMiB / mib, 2)} |`);
    }
  }
  L.writeJson(opt.out, { kind: 'tcp', sizesMiB: SIZES, rounds: ROUNDS, bigRounds: BIG_ROUNDS, tmp: L.TMP, results });
});
