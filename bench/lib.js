'use strict';
// bench/lib.js: what the bench scripts share: free ports, server processes whose
// output lines are counted as they arrive, /proc readings (peak RSS, CPU time),
// iperf3 runs (the loopback ceiling), medians, and the --json/--out option.
//
// Every process started here is killed and reaped by the function that started it,
// in a finally block, also when the measurement fails.
const { spawn, execFileSync } = require('node:child_process');
const dgram = require('node:dgram');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
// Every child still running, so that a signal to this process (a CI timeout, `kill`)
// takes them along: main() below installs the handlers.
const LIVE = new Set();
const TEMP_DIRS = new Set();
function track(child) {
  LIVE.add(child);
  child.on('close', () => LIVE.delete(child));
  return child;
}
// tmpfs: the uploads are written to memory, so the disk is not what is measured.
const TMP = process.env.BENCH_TMP || (fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir());
/** A fresh directory under TMP, removed by rmTemp() or, on a signal, by main(). */
function mkTemp(prefix) {
  const dir = fs.mkdtempSync(path.join(TMP, prefix));
  TEMP_DIRS.add(dir);
  return dir;
}
function rmTemp(dir) {
  fs.rmSync(dir, { recursive: true, force: true });
  TEMP_DIRS.delete(dir);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * The C++ lessons, our Node programs and the design floor (bench/floor_*.c: the same
 * design in plain C, no kit code), by lesson. BENCH_AB_SERVER and BENCH_AB_CLIENT name
 * another build of lesson 01's server and of lesson 02's client (kind `cppB`; the one
 * not named is this tree's build) for a same-run A/B.
 */
const AB = Boolean(process.env.BENCH_AB_SERVER || process.env.BENCH_AB_CLIENT);
const BENCH_BIN = path.join(ROOT, 'build/bench-bin');
const PROGRAMS = {
  tcpServer: {
    cpp: [path.join(ROOT, 'build/lessons/01_tcp_server')],
    node: [process.execPath, path.join(ROOT, 'lessons/01_tcp_server/server.js')],
    floor: [path.join(BENCH_BIN, 'floor_server')],
    ...(AB ? { cppB: [path.resolve(process.env.BENCH_AB_SERVER || path.join(ROOT, 'build/lessons/01_tcp_server'))] } : {}),
  },
  tcpClient: {
    cpp: [path.join(ROOT, 'build/lessons/02_tcp_client')],
    node: [process.execPath, path.join(ROOT, 'lessons/02_tcp_client/client.js')],
    floor: [path.join(BENCH_BIN, 'floor_client')],
    cppB: [path.resolve(process.env.BENCH_AB_CLIENT || path.join(ROOT, 'build/lessons/02_tcp_client'))],
  },
  retainServer: {
    cpp: [path.join(BENCH_BIN, 'retain_slice')],
    node: [process.execPath, path.join(ROOT, 'bench/retain_slice.js')],
  },
  udpServer: {
    cpp: [path.join(ROOT, 'build/lessons/03_udp_server')],
    node: [process.execPath, path.join(ROOT, 'lessons/03_udp_server/server.js')],
  },
};
const LABEL = { cpp: 'C++', cppB: 'C++ (B)', node: 'Node', floor: 'floor', iperf3: 'iperf3' };

function requireBuilt() {
  for (const prog of Object.values(PROGRAMS)) {
    for (const kind of ['cpp', 'floor', 'cppB']) {
      if (prog[kind] && !fs.existsSync(prog[kind][0])) {
        throw new Error(`${path.relative(ROOT, prog[kind][0])} is missing: run make bench-bins (or make bench)`);
      }
    }
  }
}

/** Command-line options: `--name value`; numbers and comma lists come back as strings. */
function options(argv = process.argv.slice(2)) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    if (!argv[i].startsWith('--')) throw new Error(`unexpected argument '${argv[i]}'`);
    out[argv[i].slice(2)] = argv[i + 1];
    i++;
  }
  return out;
}
const numList = (text) => String(text).split(',').filter((s) => s !== '').map(Number);

function freePort(proto = 'tcp') {
  return new Promise((resolve, reject) => {
    if (proto === 'udp') {
      const s = dgram.createSocket('udp4');
      s.on('error', reject);
      s.bind(0, '127.0.0.1', () => {
        const { port } = s.address();
        s.close(() => resolve(port));
      });
      return;
    }
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function median(xs) {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * The spread of some rounds: min, median, p90 and max. p90 is the nearest rank (the
 * ceil(0.9 n)-th smallest: the 9th of 10 rounds, the largest of fewer than 10), so a
 * slow round in ten shows in p90 and one in five shows in max.
 */
function spread(xs) {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return { min: NaN, median: NaN, p90: NaN, max: NaN, n: 0 };
  return { min: s[0], median: median(s), p90: s[Math.ceil(0.9 * s.length) - 1], max: s[s.length - 1], n: s.length };
}

/** Peak resident set size of a live process, MiB (VmHWM in /proc/PID/status). */
function peakRssMiB(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+)/.exec(status)[1]) / 1024;
}

let clkTck = 0;
/** User + system CPU time of a live process and all its threads, seconds. */
function cpuSeconds(pid) {
  if (!clkTck) {
    try {
      clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clkTck = 100;
    }
  }
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // the command name (field 2) may hold spaces: count fields after its ')'
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / clkTck;  // utime, stime
}

/**
 * Per-thread counts of a live process, from /proc/PID/task/TID/{stat,status}: CPU time
 * (utime, stime, seconds), context switches (voluntary: the thread slept, e.g. in
 * poll(2) or on a futex; involuntary: it was preempted) and minor page faults. Threads
 * that already exited are not listed (the kit's pool threads live until exit).
 */
function threadCounts(pid) {
  cpuSeconds(pid);  // sets clkTck
  const out = [];
  let tids = [];
  try {
    tids = fs.readdirSync(`/proc/${pid}/task`).sort((a, b) => a - b);  // the main thread (tid = pid) first
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const status = fs.readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
      const field = (name) => Number((new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status) || [])[1]);
      out.push({
        tid: Number(tid), utime: Number(f[11]) / clkTck, stime: Number(f[12]) / clkTck, minflt: Number(f[7]),
        voluntary: field('voluntary_ctxt_switches'), involuntary: field('nonvoluntary_ctxt_switches'),
      });
    } catch {
      // the thread exited meanwhile
    }
  }
  return out;
}

/**
 * A program's CPU time (all its threads, user + system) without perf: bash runs it,
 * waits for it, and writes its `times` (the rusage wait4(2) returns for the children
 * it waited for) to file. cpuTimesArgv(argv, file) wraps argv (the exit status is the
 * program's); readCpuTimes(file) returns seconds, or NaN. Unlike `perf stat`, it adds
 * nothing to the program's context switches and system calls: perf stat's counters
 * cost lesson 06's client, 39,000 context switches per GiB, 0.2-0.5 s of wall time.
 */
const cpuTimesArgv = (argv, file) =>
  ['bash', '-c', 'f=$1; shift; "$@"; rc=$?; times > "$f"; exit $rc', 'bash', file, ...argv];
function readCpuTimes(file) {
  try {
    // Line 1: the shell's own times; line 2: its children's, "0m0.744s 0m0.936s".
    const children = fs.readFileSync(file, 'utf8').split('\n')[1] || '';
    const parts = [...children.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
    return parts.length === 2 ? parts[0] + parts[1] : NaN;
  } catch {
    return NaN;
  }
}

/**
 * BENCH_PERF_STAT=1: run a program under `perf stat` (all its threads, those that
 * exit too) and read its counts afterwards. perfStatArgv(argv, file) wraps argv;
 * readPerfStat(file) returns { 'context-switches': N, 'cpu-migrations': N,
 * 'task-clock': ms, 'page-faults': N, 'raw_syscalls:sys_enter': N (system calls) }.
 * Counts that load does not change much, unlike wall time.
 */
const PERF_EVENTS = 'context-switches,cpu-migrations,task-clock,page-faults,raw_syscalls:sys_enter';
const perfStatArgv = (argv, file) => ['perf', 'stat', '-x,', '-o', file, '-e', PERF_EVENTS, '--', ...argv];
function readPerfStat(file) {
  const out = {};
  try {
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      if (line.startsWith('#') || !line.trim()) continue;
      const f = line.split(',');
      if (f.length > 2 && f[0] !== '' && !Number.isNaN(Number(f[0]))) out[f[2]] = Number(f[0]);
    }
  } catch {
    // no perf: no counts
  }
  return out;
}

/**
 * The machine's transparent-huge-page and compaction counters (/proc/vmstat):
 * compact_stall counts page faults that compacted memory synchronously (the stall of
 * project issue 21), thp_fault_alloc faults served with a 2 MiB page,
 * thp_fault_fallback those that wanted one and got 4 KiB pages. Machine-wide: take the
 * difference around a run. Empty where /proc/vmstat is missing.
 */
const VMSTAT_KEYS = ['compact_stall', 'thp_fault_alloc', 'thp_fault_fallback'];
function vmstat() {
  const out = {};
  try {
    for (const line of fs.readFileSync('/proc/vmstat', 'utf8').split('\n')) {
      const [k, v] = line.split(' ');
      if (VMSTAT_KEYS.includes(k)) out[k] = Number(v);
    }
  } catch {
    // not Linux: no counters
  }
  return out;
}
/** What grew between two vmstat() readings. */
const vmstatDelta = (a, b) => Object.fromEntries(Object.keys(b).map((k) => [k, b[k] - (a[k] ?? b[k])]));

/**
 * A counter of the network namespace from /proc/net/netstat or /proc/net/snmp, e.g.
 * netCounter('TcpExt', 'ListenOverflows') or netCounter('Udp', 'RcvbufErrors').
 * NaN when it cannot be read. Other traffic in the namespace adds to it too.
 */
function netCounter(group, name) {
  for (const file of ['/proc/net/netstat', '/proc/net/snmp']) {
    try {
      const lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.startsWith(`${group}:`));
      for (let i = 0; i + 1 < lines.length; i += 2) {
        const names = lines[i].trim().split(/\s+/);
        const k = names.indexOf(name);
        if (k > 0) return Number(lines[i + 1].trim().split(/\s+/)[k]);
      }
    } catch {
      // not on Linux, or no /proc: NaN below
    }
  }
  return NaN;
}

/** The soft limit on open descriptors of this process (children inherit it). */
function nofileLimit() {
  const limits = fs.readFileSync('/proc/self/limits', 'utf8');
  const m = /Max open files\s+(\S+)/.exec(limits);
  return m && m[1] !== 'unlimited' ? Number(m[1]) : Infinity;
}

/**
 * A server process whose stdout lines are counted as they arrive.
 * `count(line)` is how many times that exact line was printed, `lastAt.get(line)` when
 * it last arrived; `waitCount(line, n)` resolves with performance.now() at the moment
 * the n-th one arrived.
 *
 * The server's stdout is a file on tmpfs, not a pipe, read as it grows (inotify through
 * fs.watch, plus a 20 ms poll). A pipe holds 64 KiB: while this process is busy (it is
 * also the UDP sender and the TCP load generator), a server printing one line per
 * datagram or per chunk fills it and then blocks in write(2), and a blocked server
 * stops reading its socket: the bench would measure its own pipe, not the server.
 */
class ServerProcess {
  constructor(argv, cwd) {
    this.outDir = mkTemp('kit-bench-out-');
    const outFile = path.join(this.outDir, 'stdout');
    const outFd = fs.openSync(outFile, 'w');
    try {
      this.child = track(spawn(argv[0], argv.slice(1), { cwd, stdio: ['ignore', outFd, 'pipe'] }));
    } finally {
      fs.closeSync(outFd);
    }
    this.counts = new Map();
    this.lastAt = new Map();  // line -> performance.now() when it last arrived
    this.waiters = [];
    this.stderr = '';
    this.exitCode = undefined;
    this.readFd = fs.openSync(outFile, 'r');
    this.pending = '';
    this.chunk = Buffer.alloc(1 << 16);
    this.watcher = fs.watch(outFile, () => this.drain());
    this.watcher.on('error', () => {});
    this.poll = setInterval(() => this.drain(), 20);
    this.child.stderr.setEncoding('utf8').on('data', (d) => { this.stderr += d; });
    this.closed = new Promise((resolve) => this.child.on('close', (code, signal) => {
      this.drain();
      this.exitCode = code ?? signal;
      for (const w of this.waiters) w.fail(new Error(`server exited (${this.exitCode}) ${this.stderr.trim()}`));
      this.waiters = [];
      this.watcher.close();
      clearInterval(this.poll);
      fs.closeSync(this.readFd);
      rmTemp(this.outDir);
      resolve();
    }));
    this.child.on('error', (e) => { this.stderr += String(e); });
  }

  /** Reads what the server has printed since the last call; counts whole lines. */
  drain() {
    if (this.exitCode !== undefined) return;
    let n;
    let got = false;
    while ((n = fs.readSync(this.readFd, this.chunk, 0, this.chunk.length, null)) > 0) {
      this.pending += this.chunk.toString('latin1', 0, n);
      got = true;
    }
    if (!got) return;
    const lines = this.pending.split('\n');
    this.pending = lines.pop();
    const now = performance.now();
    for (const l of lines) {
      const line = Buffer.from(l, 'latin1').toString('utf8');
      this.counts.set(line, (this.counts.get(line) || 0) + 1);
      this.lastAt.set(line, now);
    }
    this.waiters = this.waiters.filter((w) => !w.check(now));
  }

  get pid() { return this.child.pid; }

  count(line) { return this.counts.get(line) || 0; }

  /** Lines starting with `prefix` seen so far. */
  countPrefix(prefix) {
    let n = 0;
    for (const [l, c] of this.counts) if (l.startsWith(prefix)) n += c;
    return n;
  }

  /** Resolves with the time the predicate first held (checked after each chunk of output). */
  waitUntil(pred, what, timeoutMs) {
    return new Promise((resolve, reject) => {
      if (pred()) { resolve(performance.now()); return; }
      if (this.exitCode !== undefined) { reject(new Error(`server exited before ${what}`)); return; }
      const w = {
        check: (now) => {
          if (!pred()) return false;
          clearTimeout(w.timer);
          resolve(now);
          return true;
        },
        fail: (e) => { clearTimeout(w.timer); reject(e); },
      };
      w.timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(new Error(`timeout (${timeoutMs} ms) waiting for ${what}`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  waitCount(line, n, timeoutMs) {
    return this.waitUntil(() => this.count(line) >= n, `${n} x '${line}'`, timeoutMs);
  }

  waitPrefix(prefix, timeoutMs = 15000) {
    return this.waitUntil(() => this.countPrefix(prefix) > 0, `'${prefix}...'`, timeoutMs);
  }

  /** SIGKILL and reap. */
  async stop() {
    if (this.exitCode === undefined) this.child.kill('SIGKILL');
    await this.closed;
  }
}

/** Runs `argv` to completion; resolves with its stdout; kills it after timeoutMs. */
function run(argv, { cwd, timeoutMs = 60000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = track(spawn(argv[0], argv.slice(1), { cwd, stdio: ['ignore', 'pipe', 'pipe'] }));
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d) => { out += d; });
    child.stderr.setEncoding('utf8').on('data', (d) => { err += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${path.basename(argv[0])} exited ${code ?? signal}: ${err.trim() || out.trim().slice(0, 300)}`));
    });
  });
}

/**
 * One iperf3 test on loopback: a one-off server (-1) on a free port, the client with
 * JSON output (-J) and `clientArgs`. Resolves with the parsed JSON. The server is
 * reaped in finally.
 */
async function iperf3(clientArgs, { udp = false } = {}) {
  let lastError;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();  // iperf3's control connection is TCP, even for -u
    const server = new ServerProcess(['iperf3', '-s', '-1', '--forceflush', '-B', '127.0.0.1', '-p', String(port)], TMP);
    try {
      await server.waitPrefix('Server listening', 10000);
      const out = await run(['iperf3', '-c', '127.0.0.1', '-p', String(port), '-J', ...(udp ? ['-u'] : []),
        ...clientArgs], { timeoutMs: 120000 });
      return JSON.parse(out);
    } catch (e) {
      lastError = e;
    } finally {
      await server.stop();
    }
  }
  throw lastError;
}

/**
 * iperf3's TCP throughput for `bytes` bytes (-n), bytes per second, from the sender's
 * summary (end.sum_sent): first byte written to last byte written. Under a few MiB
 * the data fits in the loopback socket buffers and this is mostly a copy into the
 * kernel, so it overstates the ceiling (the safe side for a ceiling).
 */
async function iperf3Tcp(bytes) {
  const blk = Math.min(131072, bytes);
  const j = await iperf3(['-n', String(bytes), '-l', String(blk)]);
  const s = j.end.sum_sent;
  return { seconds: s.seconds, bytesPerSec: s.bytes / s.seconds, bytes: s.bytes };
}

/**
 * iperf3 over UDP: `count` datagrams of `size` bytes (-k, -l) as fast as it can
 * send them (-b 0). Returns what its receiver got (end.sum_received: it counts every
 * byte it read; its packet count also counts datagrams it only inferred from sequence
 * numbers, so received datagrams are bytes / size), per second of the test.
 */
async function iperf3Udp(count, size) {
  const j = await iperf3(['-b', '0', '-l', String(size), '-k', String(count)], { udp: true });
  const r = j.end.sum_received;
  const received = Math.round(r.bytes / size);
  return { sent: j.end.sum_sent.packets, received, seconds: r.seconds, perSec: received / r.seconds };
}

/** Writes `data` as JSON to the --out file, if one was given. */
function writeJson(file, data) {
  if (!file) return;
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(data, null, 1) + '\n');
}

/** Runs main, prints the error and exits 1 on failure; on a signal, kills the children. */
function main(fn) {
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      for (const child of LIVE) child.kill('SIGKILL');
      for (const dir of TEMP_DIRS) fs.rmSync(dir, { recursive: true, force: true });
      console.error(`${path.basename(process.argv[1])}: ${sig}, ${LIVE.size} child process(es) killed`);
      process.exit(128 + os.constants.signals[sig]);
    });
  }
  fn().catch((e) => {
    console.error(`${path.basename(process.argv[1])}: ${e && e.stack ? e.stack : e}`);
    process.exit(1);
  });
}

/**
 * Whether files `a` and `b` (both `size` bytes) agree at three places, the start, the
 * middle and the end, `sample` bytes each: enough to catch a short, shifted or wrong
 * upload without reading a gigabyte twice.
 */
function samplesMatch(a, b, size, sample = 64 * 1024) {
  const fa = fs.openSync(a, 'r');
  const fb = fs.openSync(b, 'r');
  try {
    for (const off of [0, Math.floor(size / 2), Math.max(0, size - sample)]) {
      const ba = Buffer.alloc(sample);
      const bb = Buffer.alloc(sample);
      const na = fs.readSync(fa, ba, 0, sample, off);
      const nb = fs.readSync(fb, bb, 0, sample, off);
      if (na !== nb || !ba.subarray(0, na).equals(bb.subarray(0, nb))) return false;
    }
    return true;
  } finally {
    fs.closeSync(fa);
    fs.closeSync(fb);
  }
}

module.exports = {
  ROOT, TMP, PROGRAMS, LABEL, sleep, track, mkTemp, rmTemp, requireBuilt, options, numList, freePort, median, spread,
  peakRssMiB, cpuSeconds, threadCounts, cpuTimesArgv, readCpuTimes, perfStatArgv, readPerfStat, vmstat, vmstatDelta, netCounter, nofileLimit, ServerProcess, run, iperf3Tcp, iperf3Udp, writeJson, main, samplesMatch,
};
