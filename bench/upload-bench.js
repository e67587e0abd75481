'use strict';
// bench/upload-bench.js: lesson 06 (the upload server done right) in `make bench`,
// project issue 16, item 8. Five columns side by side in one run, for each size,
// the file and the server's directory on tmpfs, fsync off (--no-fsync):
//   framed  lesson 06's client and server: KITUP/1, SHA-256 on both sides
//   raw     lesson 06's server fed by the raw protocol (no header, no digest) from
//           bench/floor_client.c: what the server costs without the hash
//   node    our Node twins, lessons/06_upload/client.js and server.js (framed, SHA-256)
//   floor   bench/floor_client.c + bench/floor_upload_server.c: 64 KiB pieces from
//           the file to the socket and from the socket to a file, nothing else
//   iperf3  `iperf3 -n SIZE` on loopback, memory to memory (lib.js iperf3Tcp)
// and three optional columns, only with --kinds (issue 16: "try splice(2)/sendfile(2)
// and say what each gave"), the floor without its copies through user space:
//   splice    the floor's client, the floor's server with --splice (socket -> pipe -> file)
//   sendfile  the floor's client with --sendfile (file -> socket), the floor's server
//   zerocopy  both: sendfile(2) in the client, splice(2) in the server
// Round after round, in an order that rotates each round. For each program column:
// start the server on a free port, wait for its "listening on" line, spawn the client
// through bash, whose `times` gives its CPU time (not `perf stat`: its counters slowed
// lesson 06's client, which switches threads 39,000 times per GiB); the clock runs from
// spawning the client to its exit (it exits after the server's answer, or for the floor client after the server
// closes: the file is saved by then); the client must exit 0 and the saved file must
// match (size, and three 64 KiB samples). Then read the server's peak RSS (VmHWM) and
// every server thread's CPU time (/proc/PID/task/*/stat, with its name), and kill it.
// With BENCH_UPLOAD_PERF=1, `perf record` is attached to the lesson's server during
// one round of the largest size (framed, raw and Node), and the top of its profile
// goes to OUTDIR/upload-perf-KIND.txt: where the time went.
//
// Usage: node bench/upload-bench.js [--sizes 16,256,1024,4096] [--rounds 3]
//          [--big-rounds 1] [--kinds framed,raw,node,floor,iperf3] [--out build/bench/upload.json]
//   --kinds: any of the five and of splice,sendfile,zerocopy (the floor is always run);
//   e.g. --kinds splice,sendfile,zerocopy for the floor and its zero-copy variants.
//   sizes in MiB (BENCH_UPLOAD_SIZES in scripts/bench.sh; e.g. 4,16 for a quick run);
//   --big-rounds: rounds for sizes of 1024 MiB and more.
//   BENCH_UPLOAD_BIN: the directory holding 06_upload_server and 06_upload_client
//   (default build/lessons); when they are missing, the framed and raw columns are
//   left out with a note, and the others still run.
// Without --out, prints the table; with it, bench/report.js prints it (reportLines).
const { spawn, execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const L = require('./lib');

const MiB = 1024 * 1024;
const SAMPLE = 64 * 1024;
const BIN = path.resolve(process.env.BENCH_UPLOAD_BIN || path.join(L.ROOT, 'build/lessons'));
const CPP_SERVER = path.join(BIN, '06_upload_server');
const CPP_CLIENT = path.join(BIN, '06_upload_client');
const FLOOR_SERVER = path.join(L.ROOT, 'build/bench-bin/floor_upload_server');
const FLOOR_CLIENT = path.join(L.ROOT, 'build/bench-bin/floor_client');
const NODE_DIR = path.join(L.ROOT, 'lessons/06_upload');
const ALL_KINDS = ['framed', 'raw', 'node', 'floor', 'iperf3'];
const EXTRA_KINDS = ['splice', 'sendfile', 'zerocopy'];  // only when --kinds names them
const LABEL = {
  framed: '(a) lesson 06, framed + SHA-256', raw: '(b) lesson 06 server, raw protocol',
  node: '(c) Node twin, framed + SHA-256', floor: '(d) floor (bare C, 64 KiB pieces)', iperf3: '(e) iperf3, memory to memory',
  splice: '(d1) floor, server splice(2)', sendfile: '(d2) floor, client sendfile(2)',
  zerocopy: '(d3) floor, sendfile(2) + splice(2)',
};

/** argv of the server and the client of a column; dir: the server's directory. */
function programs(kind, port, dir, file) {
  const net = ['--port', String(port), '--host', '127.0.0.1'];
  switch (kind) {
    case 'framed': return [[CPP_SERVER, ...net, '--dir', dir, '--no-fsync'], [CPP_CLIENT, file, ...net]];
    case 'raw': return [[CPP_SERVER, ...net, '--dir', dir, '--no-fsync'], [FLOOR_CLIENT, ...net, '--file', file]];
    case 'node': return [[process.execPath, path.join(NODE_DIR, 'server.js'), ...net, '--dir', dir, '--no-fsync'],
      [process.execPath, path.join(NODE_DIR, 'client.js'), file, ...net]];
    case 'floor': return [[FLOOR_SERVER, ...net, '--dir', dir], [FLOOR_CLIENT, ...net, '--file', file]];
    case 'splice': return [[FLOOR_SERVER, ...net, '--dir', dir, '--splice'], [FLOOR_CLIENT, ...net, '--file', file]];
    case 'sendfile': return [[FLOOR_SERVER, ...net, '--dir', dir], [FLOOR_CLIENT, ...net, '--file', file, '--sendfile']];
    case 'zerocopy': return [[FLOOR_SERVER, ...net, '--dir', dir, '--splice'],
      [FLOOR_CLIENT, ...net, '--file', file, '--sendfile']];
    default: throw new Error(`no programs for ${kind}`);
  }
}

const samplesMatch = (a, b, size) => L.samplesMatch(a, b, size, SAMPLE);

/** Each thread of a live process: name (comm), user and system CPU seconds. */
function threads(pid) {
  const byTid = new Map(L.threadCounts(pid).map((t) => [t.tid, t]));
  const out = [];
  for (const [tid, t] of byTid) {
    let comm = '?';
    try {
      comm = fs.readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
    } catch {
      // exited meanwhile
    }
    out.push({ tid, comm: tid === pid ? `${comm} (main)` : comm, utime: t.utime, stime: t.stime });
  }
  return out;
}

/** `perf record` attached to pid until stop(); then the top of the profile as text. */
function perfAttach(pid, file) {
  const child = L.track(spawn('perf', ['record', '-q', '-g', '-F', '499', '-o', file, '-p', String(pid)],
    { stdio: ['ignore', 'ignore', 'pipe'] }));
  const closed = new Promise((resolve) => child.on('close', resolve));
  return {
    async stop() {
      child.kill('SIGINT');
      await closed;
      try {
        // Two views: by library (kernel, libcrypto, libc, the program: a symbol-less
        // library spreads over many addresses and would drop under the symbol view's
        // limit), then the top symbols. perf pads its lines to the terminal's width.
        const top = (sort, limit, n) => execFileSync('perf', ['report', '-i', file, '--stdio', '--no-children', '-g', 'none',
          '--sort', sort, '--percent-limit', limit], { encoding: 'utf8', maxBuffer: 64 * MiB, stdio: ['ignore', 'pipe', 'ignore'] })
          .split('\n').filter((l) => l.trim() && !l.startsWith('#'))
          .map((l) => l.replace(/(\s+-)+\s*$/, '').trimEnd()).slice(0, n);
        return [...top('dso', '1', 8), '', ...top('dso,symbol', '1.5', 15)].join('\n');
      } catch (e) {
        return `perf report failed: ${e.message}`;
      } finally {
        fs.rmSync(file, { force: true });
      }
    },
  };
}

async function runColumn(kind, dir, file, sizeBytes, { perfFile } = {}) {
  const port = await L.freePort();
  const saveDir = path.join(dir, `server-${kind}`);
  fs.mkdirSync(saveDir, { recursive: true });
  const [serverArgv, clientArgv] = programs(kind, port, saveDir, file);
  const server = new L.ServerProcess(serverArgv, dir);
  let client;
  let perf;
  try {
    await server.waitPrefix('listening on');
    if (perfFile) {
      perf = perfAttach(server.pid, perfFile);
      await L.sleep(300);  // perf needs a moment to attach
    }
    const timesFile = path.join(server.outDir, 'client.times');
    const argv = L.cpuTimesArgv(clientArgv, timesFile);
    const t0 = performance.now();
    client = L.track(spawn(argv[0], argv.slice(1), { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] }));
    let clientErr = '';
    client.stderr.setEncoding('utf8').on('data', (d) => { clientErr += d; });
    const code = await new Promise((resolve) => client.on('close', (c, s) => resolve(c ?? s)));
    const t1 = performance.now();
    if (code !== 0) throw new Error(`${kind}: client exited ${code}: ${clientErr.trim().slice(-300)}`);
    await server.waitPrefix('saved ', 30000);
    const rssMiB = L.peakRssMiB(server.pid);
    const serverThreads = threads(server.pid);
    const profile = perf ? await perf.stop() : undefined;
    perf = undefined;
    const clientCpu = L.readCpuTimes(timesFile);
    const files = fs.readdirSync(saveDir).filter((f) => !f.startsWith('.'));
    if (files.length !== 1) throw new Error(`${kind}: expected one saved file, found ${files.length}`);
    const saved = path.join(saveDir, files[0]);
    const size = fs.statSync(saved).size;
    const ok = size === sizeBytes && samplesMatch(saved, file, size);
    if (!ok) throw new Error(`${kind}: the saved file differs from the client's (${size} of ${sizeBytes} bytes)`);
    const seconds = (t1 - t0) / 1000;
    return {
      seconds, mibPerSec: sizeBytes / MiB / seconds, rssMiB, clientCpuSeconds: clientCpu,
      serverCpuSeconds: serverThreads.reduce((s, t) => s + t.utime + t.stime, 0), serverThreads,
      ...(profile ? { profile } : {}),
    };
  } finally {
    if (perf) await perf.stop();
    if (client && client.exitCode === null && client.signalCode === null) client.kill('SIGKILL');
    await server.stop();
    fs.rmSync(saveDir, { recursive: true, force: true });
  }
}

function makeFile(file, mib) {
  const fd = fs.openSync(file, 'w');
  try {
    const block = crypto.randomBytes(MiB);
    for (let i = 0; i < mib; i++) fs.writeSync(fd, block);
  } finally {
    fs.closeSync(fd);
  }
}

const fmt = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '-');
const sizeName = (mib) => (mib >= 1024 && mib % 1024 === 0 ? `${mib / 1024} GiB` : `${mib} MiB`);

/**
 * Median server CPU per thread: threads grouped by name (the kit's pool threads share
 * one), summed within a round, medians over rounds; "name user+system".
 */
function threadSummary(runs) {
  const perRound = runs.map((r) => {
    const m = new Map();
    for (const t of r.serverThreads || []) {
      const v = m.get(t.comm) || { n: 0, cpu: 0 };
      v.n++;
      v.cpu += t.utime + t.stime;
      m.set(t.comm, v);
    }
    return m;
  });
  const names = [...new Set(perRound.flatMap((m) => [...m.keys()]))];
  return names.map((name) => {
    const cpu = L.median(perRound.map((m) => m.get(name)?.cpu ?? 0));
    const n = Math.max(...perRound.map((m) => m.get(name)?.n ?? 0));
    return { name, threads: n, cpu };
  }).filter((t) => t.cpu >= 0.005 || t.name.endsWith('(main)')).sort((a, b) => b.cpu - a.cpu);
}

/** The report's section (markdown lines), from the JSON this script writes. */
function reportLines(data) {
  const out = [];
  out.push('## Lesson 06 upload: framed + SHA-256, raw, the Node twin, the floor and iperf3');
  out.push('');
  out.push('| size | column | median MiB/s | min-max (s) | x floor | x Node | server peak RSS (MiB) | server CPU (s) | client CPU (s) | server CPU by thread (s) |');
  out.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---|');
  for (const r of data.results) {
    const rate = (k) => r.median[k]?.mibPerSec;
    for (const kind of r.kinds) {
      const sp = r.spread[kind];
      const m = r.median[kind];
      const isProg = kind !== 'iperf3';
      const th = isProg ? threadSummary(r.runs[kind]).map((t) => `${t.name}${t.threads > 1 ? ` x${t.threads}` : ''} ${fmt(t.cpu)}`).join('; ') : '';
      out.push(`| ${sizeName(r.mib)} | ${LABEL[kind]} (${sp.n}) | ${fmt(m.mibPerSec, 0)} | ${fmt(sp.min, 3)}-${fmt(sp.max, 3)} ` +
        `| ${fmt(rate(kind) / rate('floor'))}x | ${r.median.node ? `${fmt(rate(kind) / rate('node'))}x` : '-'} ` +
        `| ${isProg ? fmt(m.rssMiB, 1) : ''} | ${isProg ? fmt(m.serverCpuSeconds) : ''} | ${isProg ? fmt(m.clientCpuSeconds) : ''} | ${th} |`);
    }
  }
  out.push('');
  out.push('Throughput: size / time from spawning the client to its exit (after the server\'s answer), median of the ' +
    'rounds in brackets; x floor and x Node are throughput ratios (above 1: faster). fsync off (--no-fsync), files on ' +
    `${data.tmp}. Server CPU: user + system of every thread (/proc/PID/task/*/stat) at the end of the upload; client CPU: ` +
    'user + system from wait4(2) (bash\'s `times`). The machine has 2 cores for client and server together. Method: docs/performance.md.');
  out.push('');
  const goals = goalLines(data);
  if (goals.length) {
    out.push('Goals of issue 16 (at 1 GiB and more):');
    out.push('');
    out.push(...goals);
    out.push('');
  }
  if (data.missing) {
    out.push(`Left out: ${data.missing}`);
    out.push('');
  }
  for (const [kind, text] of Object.entries(data.profiles || {})) {
    out.push(`Profile of the server, ${LABEL[kind]}, ${sizeName(data.profileMiB)} (perf record, top symbols):`);
    out.push('');
    out.push('```');
    out.push(text);
    out.push('```');
    out.push('');
  }
  return out;
}

function goalLines(data) {
  const out = [];
  for (const r of data.results.filter((x) => x.mib >= 1024)) {
    const m = r.median;
    const check = (what, ok) => out.push(`- ${sizeName(r.mib)}: ${what}: ${ok ? 'met' : 'MISSED'}`);
    const ratio = (a, b) => (m[a] && m[b] ? m[a].mibPerSec / m[b].mibPerSec : NaN);
    if (m.raw) check(`(b) raw >= 0.8x floor (${fmt(ratio('raw', 'floor'))}x)`, ratio('raw', 'floor') >= 0.8);
    if (m.framed) check(`(a) framed >= 0.5x floor (${fmt(ratio('framed', 'floor'))}x)`, ratio('framed', 'floor') >= 0.5);
    if (m.raw && m.node) check(`(b) raw >= 3x Node (${fmt(ratio('raw', 'node'))}x)`, ratio('raw', 'node') >= 3);
    if (m.framed && m.node) check(`(a) framed >= 3x Node (${fmt(ratio('framed', 'node'))}x)`, ratio('framed', 'node') >= 3);
    for (const k of ['framed', 'raw']) {
      if (m[k]) check(`(${k === 'framed' ? 'a' : 'b'}) server peak RSS < 16 MiB (${fmt(m[k].rssMiB, 1)} MiB)`, m[k].rssMiB < 16);
    }
  }
  return out;
}

/** gnuplot data: one line per size, the median MiB/s and peak RSS of each column. */
function dataLines(data) {
  const out = ['# mib framed_mibs raw_mibs node_mibs floor_mibs iperf3_mibs framed_rss raw_rss node_rss floor_rss'];
  for (const r of data.results) {
    const m = r.median;
    const v = (k, f) => (m[k] && Number.isFinite(m[k][f]) ? m[k][f] : 'NaN');
    out.push([r.mib, ...ALL_KINDS.map((k) => v(k, 'mibPerSec')), ...ALL_KINDS.slice(0, 4).map((k) => v(k, 'rssMiB'))].join(' '));
  }
  return out.join('\n') + '\n';
}

async function main() {
  const opt = L.options();
  const sizes = L.numList(opt.sizes || '16,256,1024,4096');
  const rounds = Number(opt.rounds || 3);
  const bigRounds = Number(opt['big-rounds'] || 1);
  let kinds = opt.kinds ? [...ALL_KINDS, ...EXTRA_KINDS].filter((k) => k === 'floor' || opt.kinds.split(',').includes(k))
    : [...ALL_KINDS];
  let missing = '';
  for (const f of [FLOOR_SERVER, FLOOR_CLIENT]) {
    if (!fs.existsSync(f)) throw new Error(`${path.relative(L.ROOT, f)} is missing: run make bench-bins`);
  }
  if (!fs.existsSync(CPP_SERVER) || !fs.existsSync(CPP_CLIENT)) {
    missing = `columns (a) and (b): ${path.relative(L.ROOT, CPP_SERVER)} or its client is not built`;
    kinds = kinds.filter((k) => k !== 'framed' && k !== 'raw');
    console.log(`upload-bench: ${missing}`);
  }
  const perfOn = process.env.BENCH_UPLOAD_PERF === '1';
  const profiles = {};
  const profileMiB = Math.max(...sizes);
  console.log(`lesson 06 upload: sizes ${sizes.join(', ')} MiB, ${rounds} round(s) (${bigRounds} from 1024 MiB up), ` +
    `files on ${L.TMP}, fsync off`);
  const results = [];
  for (const mib of sizes) {
    const sizeBytes = Math.round(mib * MiB);
    const n = mib >= 1024 ? bigRounds : rounds;
    const dir = L.mkTemp('kit-bench-upload-');
    const runs = Object.fromEntries(kinds.map((k) => [k, []]));
    try {
      const file = path.join(dir, 'upload.bin');
      makeFile(file, mib);
      await runColumn('floor', dir, file, sizeBytes);  // warm-up, not counted (see bench/tcp.js)
      for (let r = 0; r < n; r++) {
        const order = [...kinds];
        for (let k = 0; k < r % kinds.length; k++) order.push(order.shift());
        for (const kind of order) {
          const perfFile = perfOn && mib === profileMiB && r === 0 && ['framed', 'raw', 'node'].includes(kind)
            ? path.join(dir, `perf-${kind}.data`) : undefined;
          const x = kind === 'iperf3' ? await L.iperf3Tcp(sizeBytes) : await runColumn(kind, dir, file, sizeBytes, { perfFile });
          if (kind === 'iperf3') x.mibPerSec = sizeBytes / MiB / x.seconds;
          if (x.profile) {
            profiles[kind] = x.profile;
            delete x.profile;
          }
          runs[kind].push(x);
        }
        console.log(`  ${String(mib).padStart(5)} MiB round ${r + 1}/${n}: ` + kinds.map((k) => {
          const x = runs[k][r];
          return `${k} ${fmt(x.mibPerSec, 0)} MiB/s${x.rssMiB !== undefined ? ` ${fmt(x.rssMiB, 1)} MiB` : ''}`;
        }).join(', '));
      }
    } finally {
      L.rmTemp(dir);
    }
    const median = {};
    const spread = {};
    for (const k of kinds) {
      const pick = (f) => L.median(runs[k].map((x) => x[f]));
      median[k] = { seconds: pick('seconds'), mibPerSec: pick('mibPerSec') };
      if (k !== 'iperf3') {
        Object.assign(median[k], { rssMiB: pick('rssMiB'), serverCpuSeconds: pick('serverCpuSeconds'), clientCpuSeconds: pick('clientCpuSeconds') });
      }
      spread[k] = L.spread(runs[k].map((x) => x.seconds));
    }
    results.push({ mib, bytes: sizeBytes, rounds: n, kinds, runs, median, spread });
  }
  const data = { kind: 'upload', sizesMiB: sizes, rounds, bigRounds, tmp: L.TMP, bin: BIN, missing, profiles, profileMiB, results };
  if (opt.out) {
    L.writeJson(opt.out, data);
  } else {
    console.log('');
    console.log(reportLines(data).join('\n'));
  }
}

module.exports = { reportLines, dataLines };
if (require.main === module) L.main(main);
