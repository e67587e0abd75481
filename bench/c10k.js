'use strict';
// bench/c10k.js: the C10K part of `make bench` (project issue 18, item 3). An echo
// server holding N idle connections while one more connection does request/response
// round trips, on three backends side by side:
//   poll   the kit's loop on poll(2)       KIT_POLLER=poll  build/bench-bin/c10k_server
//   epoll  the kit's loop on epoll(7)      KIT_POLLER=epoll build/bench-bin/c10k_server
//   node   Node (libuv, epoll on Linux)    node bench/c10k_server.js (the same program)
// The load generator is bench/c10k_client.c (build/bench-bin/c10k_client), the same for
// all three. For each N, the three servers run at once, each on a free port with its
// own client: one after the other, each client opens N connections, each echoed once,
// then idle ("time to accept all N"), and warms its server up. Then --rounds round trips
// of 64 bytes per server on one more connection each, in --blocks blocks, one block per
// server in turn (the order rotating): this machine's speed changes by tens of percent
// from one second to the next, and a server measured alone in a slow second looked
// slower than another measured alone in a fast one. Per server: median and p99
// round-trip time, its CPU time over the round trips per round trip, its peak RSS.
// Repetitions (--reps) go through every N, the order of the servers rotating; the
// report gives the median of the repetitions' figures.
//
// Server and client are pinned to one CPU (--cpu, default the last one; "none": not
// pinned). On 2 vCPUs an unpinned round trip is bimodal: waking a process on the other
// CPU adds about 70 us, more than the server's own work. On one CPU each round trip is
// two context switches, the same for every backend.
//
// N "max" is the hard RLIMIT_NOFILE less 100 (rounded down to 100; at most 60,000):
// both programs raise their soft limit to the hard one (Node does it itself at start-up),
// and the client spreads its source addresses over 127.0.0.2, .3, ... (one per 20,000
// connections, at least 4), each with its own ephemeral ports.
//
// Usage: node bench/c10k.js [--n 10,100,1000,3000,10000,max] [--rounds 2000] [--reps 5]
//          [--blocks 10] [--max-seconds 5] [--backends poll,epoll,node] [--cpu N|none]
//          [--out build/bench/c10k.json]   (with --out the table is left to bench/report.js)
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');
const L = require('./lib');

const SERVER = path.join(L.ROOT, 'build/bench-bin/c10k_server');
const CLIENT = path.join(L.ROOT, 'build/bench-bin/c10k_client');
const LABELS = { poll: 'kit, poll(2)', epoll: 'kit, epoll(7)', node: 'Node (libuv, epoll)' };
const KEYS = ['rttMedianUs', 'rttP99Us', 'serverCpuUsPerRtt', 'acceptSeconds', 'serverAcceptCpuSeconds',
  'clientAcceptCpuSeconds', 'rssMiB', 'rounds', 'listenOverflows'];

/** The hard RLIMIT_NOFILE of this process (children may raise their soft limit to it). */
function hardNofile() {
  const m = /Max open files\s+\S+\s+(\S+)/.exec(fs.readFileSync('/proc/self/limits', 'utf8'));
  return m && m[1] !== 'unlimited' ? Number(m[1]) : Infinity;
}

function levels(text) {
  const max = Math.min(60000, Math.floor((hardNofile() - 100) / 100) * 100);
  const ns = String(text).split(',').filter(Boolean).map((s) => (s === 'max' ? max : Number(s)));
  const ok = [...new Set(ns)].filter((n) => Number.isInteger(n) && n >= 0).sort((a, b) => a - b);
  return { ns: ok.filter((n) => n <= max), skipped: ok.filter((n) => n > max), max };
}

/**
 * The load generator in command mode (c10k_client --commands 1): its first line (the
 * accept phase) resolves `ready`; block(k, seconds) asks for k round trips and resolves
 * with that block's times and the server's CPU over it; quit() lets it check the idle
 * connections, reset them and exit.
 */
class Client {
  constructor(argv) {
    this.child = L.track(spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] }));
    this.stderr = '';
    this.child.stderr.setEncoding('utf8').on('data', (d) => { this.stderr += d; });
    this.waiting = [];
    this.closed = new Promise((resolve) => this.child.on('close', (code, signal) => {
      for (const w of this.waiting) w.reject(new Error(`c10k_client exited ${code ?? signal}: ${this.stderr.trim()}`));
      this.waiting = [];
      resolve(code ?? signal);
    }));
    readline.createInterface({ input: this.child.stdout }).on('line', (line) => {
      const w = this.waiting.shift();
      if (w) w.resolve(JSON.parse(line));
    });
    this.ready = this.next();
  }

  next() {
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  block(k, seconds) {
    const reply = this.next();
    this.child.stdin.write(`R ${k} ${seconds}\n`);
    return reply;
  }

  async quit() {
    this.child.stdin.end('Q\n');
    const code = await this.closed;
    if (code !== 0) throw new Error(`c10k_client exited ${code}: ${this.stderr.trim()}`);
  }

  kill() {
    this.child.kill('SIGKILL');
    return this.closed;
  }
}

/**
 * One repetition at one N: the three servers run at once, each with its own client
 * holding N idle connections to it (set up one after the other: "accept"), then the
 * round trips go in blocks, one block per server in turn, so that all three share the
 * same seconds of this machine, whose speed changes by tens of percent from one second
 * to the next. Returns { backend: { rttMedianUs, rttP99Us, serverCpuUsPerRtt, ... } }.
 */
async function runN(n, order, o) {
  const pin = o.cpu === 'none' ? [] : ['taskset', '-c', String(o.cpu)];
  const servers = {};
  const clients = {};
  const out = {};
  try {
    for (const b of order) {
      const port = await L.freePort();
      const argv = b === 'node' ? [process.execPath, path.join(__dirname, 'c10k_server.js')]
        : ['env', `KIT_POLLER=${b}`, SERVER];
      servers[b] = { port, proc: new L.ServerProcess([...pin, ...argv, '--port', String(port), '--host', '127.0.0.1'], L.TMP) };
    }
    for (const b of order) {
      await servers[b].proc.waitPrefix('escutando porta');
      const overflows0 = L.netCounter('TcpExt', 'ListenOverflows');
      clients[b] = new Client([...pin, CLIENT, '--port', String(servers[b].port), '--n', String(n), '--commands', '1',
        '--rounds', String(o.rounds), '--sources', String(Math.max(4, Math.ceil(n / 20000))),
        '--server-pid', String(servers[b].proc.pid)]);
      out[b] = { ...(await clients[b].ready), rtts: [], cpuSeconds: 0 };
      // SYNs dropped by a full accept queue (the whole network namespace: other traffic
      // counts too). The client's window keeps the queue short, so a 1 s accept time with
      // a count here is a SYN sent again after the 1 s retransmission timeout.
      out[b].listenOverflows = L.netCounter('TcpExt', 'ListenOverflows') - overflows0;
    }
    const per = Math.max(1, Math.round(o.rounds / o.blocks));
    for (let blk = 0; blk < o.blocks; blk++) {
      const turn = [...order];
      for (let k = 0; k < blk % turn.length; k++) turn.push(turn.shift());
      for (const b of turn) {
        const r = await clients[b].block(per, o.maxSeconds / o.blocks);
        out[b].rtts.push(...r.rttUs);
        out[b].cpuSeconds += r.serverCpuSeconds;
      }
    }
    for (const b of order) {
      await clients[b].quit();
      const x = out[b];
      const sorted = x.rtts.sort((p, q) => p - q);
      const rank = (q) => sorted[Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length))) - 1];
      Object.assign(x, { rounds: sorted.length, rttMedianUs: rank(0.5), rttP99Us: rank(0.99),
        serverCpuUsPerRtt: 1e6 * x.cpuSeconds / sorted.length, rssMiB: L.peakRssMiB(servers[b].proc.pid) });
      delete x.rtts;
    }
    return out;
  } finally {
    for (const c of Object.values(clients)) await c.kill();
    for (const sv of Object.values(servers)) await sv.proc.stop();
  }
}

// Two significant digits: 13, 140, 2,700.
const round2 = (x) => {
  const step = 10 ** Math.max(0, Math.floor(Math.log10(x)) - 1);
  return Math.round(x / step) * step;
};

/**
 * Where `backend` crosses Node along N, by a measure (key), as text. A clean crossing
 * (faster below some N, slower from there on, or the reverse) is given with its N
 * interpolated in log-log between the two neighbouring N measured. A side that changes
 * more than once is named N by N: on this machine that is noise between repetitions
 * (its speed changes by tens of percent from one second to the next), not a crossing.
 */
function crossing(results, backend, key) {
  const pts = results.filter((r) => r[backend] && r.node && r[backend][key] > 0 && r.node[key] > 0 && r.n > 0)
    .map((r) => ({ n: r.n, ratio: r[backend][key] / r.node[key] }));
  if (pts.length === 0) return 'not measured';
  const name = (n) => n.toLocaleString('en-US');
  const span = `${name(pts[0].n)} to ${name(pts[pts.length - 1].n)}`;
  const slower = pts.map((p) => p.ratio > 1);
  const changes = slower.slice(1).map((x, i) => x !== slower[i]).filter(Boolean).length;
  if (changes === 0) {
    return `${slower[0] ? 'slower' : 'faster'} than Node at every N measured (${span}): no crossing`;
  }
  if (changes === 1) {
    const i = slower.findIndex((x) => x !== slower[0]);
    const a = pts[i - 1];
    const b = pts[i];
    const f = Math.log(a.ratio) / (Math.log(a.ratio) - Math.log(b.ratio));
    const at = Math.exp(Math.log(a.n) + f * (Math.log(b.n) - Math.log(a.n)));
    return `${slower[0] ? 'slower' : 'faster'} than Node up to ${name(a.n)}, ${slower[0] ? 'faster' : 'slower'} from ` +
      `${name(b.n)} on: crosses about ${name(round2(at))}`;
  }
  const odd = pts.filter((p, i) => slower[i] !== slower[0]);
  return `no clean crossing: ${slower[0] ? 'slower' : 'faster'} than Node at every N but ` +
    `${odd.map((p) => `${name(p.n)} (${p.ratio.toFixed(2)}x)`).join(', ')}`;
}

/** The goal of issue 18 at 10,000 (or the nearest N measured), as text lines. */
function goal(data) {
  const at = (n) => data.results.find((r) => r.n === n);
  const base = at(100);
  const big = at(10000);
  if (!base || !big || !big.epoll || !base.epoll) return ['goal: needs N = 100 and 10,000 with epoll'];
  const vs100 = big.epoll.rttMedianUs / base.epoll.rttMedianUs;
  const lines = [`goal 1, epoll at 10,000 idle connections: median round trip ${big.epoll.rttMedianUs.toFixed(1)} us, ` +
    `${vs100.toFixed(2)}x the 100-connection figure (${base.epoll.rttMedianUs.toFixed(1)} us; goal: at most 1.5x): ` +
    `${vs100 <= 1.5 ? 'met' : 'MISSED'}`];
  if (big.node) {
    const vsNode = big.epoll.rttMedianUs / big.node.rttMedianUs;
    lines.push(`goal 2, epoll against Node at 10,000: ${big.epoll.rttMedianUs.toFixed(1)} us vs ` +
      `${big.node.rttMedianUs.toFixed(1)} us (${vsNode.toFixed(2)}x; goal: at most 1x): ${vsNode <= 1 ? 'met' : 'MISSED'}`);
  }
  return lines;
}

const fix = (x, d) => (Number.isFinite(x) ? x.toFixed(d) : '-');
const us = (x) => (!Number.isFinite(x) ? '-' : x >= 1000 ? Math.round(x).toLocaleString('en-US') : x.toFixed(1));

/** The markdown table and the lines under it (bench/report.js prints them too). */
function table(data) {
  const out = [];
  out.push('| N idle | server | RTT median (us) | RTT p99 (us) | x its N=100 median | x Node median | server CPU per round trip (us) | time to accept all N (s) | server CPU to accept all N (s) | server peak RSS (MiB) | round trips |');
  out.push('|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  const base = data.results.find((r) => r.n === 100);
  for (const r of data.results) {
    for (const b of data.backends) {
      const m = r[b];
      if (!m) continue;
      out.push(`| ${r.n.toLocaleString('en-US')} | ${LABELS[b]} | ${us(m.rttMedianUs)} | ${us(m.rttP99Us)} ` +
        `| ${base && base[b] ? fix(m.rttMedianUs / base[b].rttMedianUs, 2) + 'x' : '-'} ` +
        `| ${b !== 'node' && r.node ? fix(m.rttMedianUs / r.node.rttMedianUs, 2) + 'x' : ''} ` +
        `| ${us(m.serverCpuUsPerRtt)} | ${fix(m.acceptSeconds, 3)} | ${fix(m.serverAcceptCpuSeconds, 3)} | ${fix(m.rssMiB, 1)} | ${Math.round(m.rounds)} |`);
    }
  }
  out.push('');
  out.push(`Medians of ${data.reps} repetition(s); each repetition is ${data.rounds} round trips of ${data.size} bytes ` +
    `per server in ${data.blocks} blocks, the three servers' blocks in turn, all three servers holding their N ` +
    `connections at once (fewer round trips when ${data.maxSeconds} s ran out: last column), after up to 10,000 uncounted ones (at most 1 s: ` +
    `Node's JIT needs thousands of calls to compile the 'data' listener fully). "x Node": below 1 the kit is faster. ` +
    `Server CPU: its threads' time on CPU (/proc/PID/task/*/schedstat) over the round trips, divided by their number. ` +
    `Accepting: from the client's first connect(2) to the N-th echo of its greeting (at most 256 in flight), and ` +
    `the server's CPU time over it; the rest is the client's share and the wait for a CPU. ` +
    `Server and client ${data.cpu === 'none' ? 'not pinned' : `pinned to CPU ${data.cpu}`}; ` +
    `the N idle connections come from ${data.sourcesNote}.`);
  out.push('');
  for (const b of data.backends.filter((x) => x !== 'node')) {
    out.push(`- ${LABELS[b]}, median round trip: ${crossing(data.results, b, 'rttMedianUs')}; ` +
      `server CPU per round trip: ${crossing(data.results, b, 'serverCpuUsPerRtt')}.`);
  }
  for (const g of goal(data)) out.push(`- ${g}`);
  return out;
}

/** gnuplot data: one line per N, the medians of each backend (NaN where missing). */
function dat(data) {
  const cols = ['rttMedianUs', 'rttP99Us', 'serverCpuUsPerRtt', 'acceptSeconds', 'rssMiB'];
  const out = [`# n ${['poll', 'epoll', 'node'].flatMap((b) => cols.map((c) => `${b}_${c}`)).join(' ')}`];
  for (const r of data.results) {
    out.push([r.n, ...['poll', 'epoll', 'node'].flatMap((b) => cols.map((c) => (r[b] && Number.isFinite(r[b][c]) ? r[b][c] : 'NaN')))].join(' '));
  }
  return out.join('\n') + '\n';
}

async function main() {
  const opt = L.options();
  for (const f of [SERVER, CLIENT]) {
    if (!fs.existsSync(f)) throw new Error(`${path.relative(L.ROOT, f)} is missing: run make bench-bins (or make bench)`);
  }
  const o = {
    rounds: Number(opt.rounds || process.env.BENCH_C10K_ROUNDS || 2000),
    reps: Number(opt.reps || process.env.BENCH_C10K_REPS || 5),
    maxSeconds: Number(opt['max-seconds'] || process.env.BENCH_C10K_MAX_SECONDS || 5),
    blocks: Number(opt.blocks || 10),
    cpu: opt.cpu ?? process.env.BENCH_C10K_CPU ?? String(os.availableParallelism() - 1),
  };
  const backends = String(opt.backends || 'poll,epoll,node').split(',').filter((b) => LABELS[b]);
  const { ns, skipped, max } = levels(opt.n || process.env.BENCH_C10K_N || '10,100,1000,3000,10000,max');
  for (const n of skipped) console.log(`c10k: skipping N = ${n}: the hard RLIMIT_NOFILE allows about ${max}`);
  console.log(`c10k: N = ${ns.join(', ')} idle connections; ${backends.join(', ')}; ${o.reps} repetition(s) of ` +
    `${o.rounds} round trips (at most ${o.maxSeconds} s each); ${o.cpu === 'none' ? 'not pinned' : `pinned to CPU ${o.cpu}`}`);
  const runs = Object.fromEntries(backends.map((b) => [b, Object.fromEntries(ns.map((n) => [n, []]))]));
  let turn = 0;
  for (let rep = 0; rep < o.reps; rep++) {
    for (const n of ns) {
      const order = [...backends];
      for (let k = 0; k < turn % order.length; k++) order.push(order.shift());
      turn++;
      const line = [];
      const got = await runN(n, order, o);
      for (const b of order) {
        const r = got[b];
        runs[b][n].push(r);
        line.push(`${b} ${us(r.rttMedianUs)} us (p99 ${us(r.rttP99Us)}, CPU ${us(r.serverCpuUsPerRtt)} us, ` +
          `accept ${fix(r.acceptSeconds, 2)} s)`);
      }
      console.log(`  ${String(n).padStart(6)} rep ${rep + 1}/${o.reps}: ${line.join('; ')}`);
    }
  }
  const results = ns.map((n) => {
    const r = { n };
    for (const b of backends) {
      r[b] = Object.fromEntries(KEYS.map((k) => [k, L.median(runs[b][n].map((x) => x[k]))]));
    }
    return r;
  });
  const data = { kind: 'c10k', ns, skipped, backends, reps: o.reps, rounds: o.rounds, blocks: o.blocks, size: 64,
    maxSeconds: o.maxSeconds,
    cpu: o.cpu, hardNofile: hardNofile(), sourcesNote: '127.0.0.2 to 127.0.0.5, in turn',
    results, runs };
  if (opt.out) {
    L.writeJson(opt.out, data);
    for (const g of goal(data)) console.log(g);
  } else {
    console.log('');
    console.log(table(data).join('\n'));
  }
}

if (require.main === module) L.main(main);
module.exports = { table, dat, goal, crossing, LABELS };
