'use strict';
// bench/report.js: the one report of `make bench`. Reads what bench/tcp.js,
// bench/retain.js, bench/concurrency.js and bench/udp-bench.js wrote (--out) into DIR,
// prints a table of the TCP upload's spread against the design floor, Node and
// iperf3 (min, median, p90, max of every program), the retained-slice RSS, and one
// markdown table (every measure: C++ lesson, our Node program, how many times better
// the C++ lesson is, and iperf3's ceiling with each program's share of it), writes it
// with the machine's description to DIR/report.md, writes the medians as gnuplot data
// (tcp.dat, concurrency.dat, udp.dat) and draws the plots (bench/plots.gp):
// tcp-time.png, tcp-throughput.png, tcp-rss.png, concurrency.png, udp.png.
// The C10K part (bench/c10k.js, c10k.json) gets its own table and c10k.dat, c10k.png.
//
// Usage: node bench/report.js [--dir build/bench]
//   environment (set by scripts/bench.sh): BENCH_SECONDS (how long the run took),
//   BENCH_LOAD_START (load average when it began); BENCH_COMMIT names the commit
//   when the tree is not a git checkout (e.g. a `git archive` copy)
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const L = require('./lib');
const C10K = require('./c10k');

const opt = L.options();
const DIR = path.resolve(opt.dir || path.join(L.ROOT, 'build/bench'));

const readJson = (name) => {
  const file = path.join(DIR, name);
  return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : null;
};
const sh = (cmd, args) => {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', cwd: L.ROOT, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
};
const fixed = (x, d) => (Number.isFinite(x) ? x.toFixed(d) : '-');
/** Three significant digits, at most 4 decimals. */
const num = (x) => {
  if (!Number.isFinite(x)) return '-';
  const a = Math.abs(x);
  if (a >= 100) return Math.round(x).toLocaleString('en-US');
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  if (a >= 0.01) return x.toFixed(3);
  return x.toFixed(4);
};
const pct = (x) => (Number.isFinite(x) ? `${x < 10 ? x.toFixed(1) : Math.round(x)}%` : '-');
const times = (x) => (Number.isFinite(x) ? `${x.toFixed(2)}x` : '-');
const rel = (p) => (p.startsWith(L.ROOT + path.sep) ? path.relative(L.ROOT, p) : p);
const sizeName = (mib) => (mib >= 1024 && mib % 1024 === 0 ? `${mib / 1024} GiB` : `${mib} MiB`);

function machine() {
  const cpuinfo = fs.readFileSync('/proc/cpuinfo', 'utf8');
  const model = (/^model name\s*:\s*(.*)$/m.exec(cpuinfo) || [])[1] || os.cpus()[0]?.model || '?';
  const osName = (/^PRETTY_NAME="?([^"\n]*)/m.exec(sh('cat', ['/etc/os-release'])) || [])[1] || os.type();
  const mount = fs.readFileSync('/proc/mounts', 'utf8').split('\n').map((l) => l.split(' '))
    .filter((f) => f.length > 2 && L.TMP.startsWith(f[1])).sort((a, b) => b[1].length - a[1].length)[0];
  const st = fs.statfsSync(L.TMP);
  const stamp = fs.existsSync(path.join(L.ROOT, 'build/.flags'))
    ? fs.readFileSync(path.join(L.ROOT, 'build/.flags'), 'utf8') : '';
  const cxx = stamp.split(' ')[0] || 'g++';
  const opt = (/ (-O\S*)/.exec(stamp) || [])[1] || '';
  const dirty = sh('git', ['status', '--porcelain', '--', 'posix_impl', 'lessons', 'Makefile', 'mk']);
  return {
    cpu: `${model}, ${os.availableParallelism()} cores (nproc)`,
    ram: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    os: `${osName}, Linux ${os.release()}`,
    tmp: `${L.TMP} (${mount ? mount[2] : 'file system'}, ${(st.blocks * st.bsize / 2 ** 30).toFixed(1)} GiB)`,
    tools: `node ${process.version}, ${sh(cxx, ['--version']).split('\n')[0] || cxx} ${opt}, ` +
      `${sh('iperf3', ['--version']).split('\n')[0].replace(/ \(.*/, '') || 'iperf3 ?'}`,
    commit: process.env.BENCH_COMMIT || (sh('git', ['rev-parse', '--short', 'HEAD']) || '?') +
      (dirty ? ' + uncommitted changes in ' + [...new Set(dirty.split('\n').map((l) => l.replace(/^\S+\s+/, '').split('/')[0]))].join(', ') : ''),
    load: `${process.env.BENCH_LOAD_START ? `${process.env.BENCH_LOAD_START} at the start, ` : ''}` +
      `${os.loadavg().map((x) => x.toFixed(2)).join(' ')} at the end (1/5/15 min)`,
  };
}

function main() {
  const tcp = readJson('tcp.json');
  const conc = readJson('concurrency.json');
  const udp = readJson('udp.json');
  const retain = readJson('retain.json');
  const timers = readJson('timers.json');
  const c10k = readJson('c10k.json');
  const upload = readJson('upload.json');  // lesson 06 (bench/upload-bench.js)
  if (!tcp && !conc && !udp && !retain && !timers && !c10k && !upload) throw new Error(`no results in ${DIR}: run scripts/bench.sh`);
  const rows = [];
  // row(measure, cpp, node, better, ceiling, cppShare, nodeShare)
  const row = (...cells) => rows.push(cells);

  if (tcp) {
    for (const r of tcp.results) {
      const m = r.median;
      const n = `TCP ${sizeName(r.mib)}`;
      const ip = m.iperf3.seconds;
      row(`${n}: upload time, client start to saved (s)`, num(m.cpp.seconds), num(m.node.seconds),
        times(m.node.seconds / m.cpp.seconds), num(ip), pct(100 * ip / m.cpp.seconds), pct(100 * ip / m.node.seconds));
      row(`${n}: upload time, connected to saved (s)`, num(m.cpp.afterConnectSeconds), num(m.node.afterConnectSeconds),
        times(m.node.afterConnectSeconds / m.cpp.afterConnectSeconds), num(ip),
        pct(100 * ip / m.cpp.afterConnectSeconds), pct(100 * ip / m.node.afterConnectSeconds));
      row(`${n}: server peak RSS (MiB)`, num(m.cpp.rssMiB), num(m.node.rssMiB), times(m.node.rssMiB / m.cpp.rssMiB),
        '', '', '');
    }
  }
  if (conc) {
    for (const r of conc.results) {
      const m = r.median;
      const n = `${r.clients.toLocaleString('en-US')} client${r.clients > 1 ? 's' : ''} x ${r.bytesEach / 1024} KiB`;
      const ip = m.iperf3.seconds;
      row(`${n}, burst: time to all saved (s)`, num(m.cpp.seconds), num(m.node.seconds),
        times(m.node.seconds / m.cpp.seconds), num(ip), pct(100 * ip / m.cpp.seconds), pct(100 * ip / m.node.seconds));
      row(`${n}, held: time to all saved (s)`, num(m.cppHeld.seconds), num(m.nodeHeld.seconds),
        times(m.nodeHeld.seconds / m.cppHeld.seconds), num(ip),
        pct(100 * ip / m.cppHeld.seconds), pct(100 * ip / m.nodeHeld.seconds));
      row(`${n}, burst: server peak RSS (MiB)`, num(m.cpp.rssMiB), num(m.node.rssMiB),
        times(m.node.rssMiB / m.cpp.rssMiB), '', '', '');
      row(`${n}, burst: server CPU time (s)`, fixed(m.cpp.cpuSeconds, 2), fixed(m.node.cpuSeconds, 2),
        m.cpp.cpuSeconds > 0 ? times(m.node.cpuSeconds / m.cpp.cpuSeconds) : '-', '', '', '');
    }
  }
  if (udp) {
    const m = udp.median;
    const n = `UDP ${udp.count.toLocaleString('en-US')} x ${udp.size} B flood`;
    row(`${n}: datagrams/s received and saved`, num(m.cpp.perSec), num(m.node.perSec),
      times(m.cpp.perSec / m.node.perSec), num(m.iperf3.perSec),
      pct(100 * m.cpp.perSec / m.iperf3.perSec), pct(100 * m.node.perSec / m.iperf3.perSec));
    row(`${n}: datagrams received and saved (% of sent)`, pct(100 * m.cpp.saved / udp.count), pct(100 * m.node.saved / udp.count),
      times(m.cpp.saved / m.node.saved), `(${pct(100 * m.iperf3.saved / udp.count)})`, '', '');
  }

  if (timers) {
    const m = timers.median;
    row(`${timers.count.toLocaleString('en-US')} timers created, fired and closed (s)`, num(m.cpp.seconds),
      num(m.node.seconds), times(m.node.seconds / m.cpp.seconds), '', '', '');
  }

  const mc = machine();
  const roundsText = [
    tcp && `TCP ${tcp.rounds} round(s)${tcp.bigRounds !== tcp.rounds ? ` (${tcp.bigRounds} at 1 GiB)` : ''}`,
    conc && `concurrency ${conc.rounds}`, udp && `UDP ${udp.rounds}`, timers && `timers ${timers.rounds}`,
    c10k && `C10K ${c10k.reps}`,
  ].filter(Boolean).join(', ');
  const big = tcp && tcp.results.find((r) => r.mib === Math.max(...tcp.results.map((x) => x.mib)));
  const lines = [];
  lines.push('# make bench: the C++ lessons against our Node programs, side by side');
  lines.push('');
  lines.push(`- machine: ${mc.cpu}; ${mc.ram} RAM; ${mc.os}; files on ${mc.tmp}`);
  lines.push(`- tools: ${mc.tools}`);
  lines.push(`- commit: ${mc.commit}; ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}`);
  lines.push(`- load average: ${mc.load}`);
  lines.push(`- medians of ${roundsText}; in each round the programs run one after the other, in an order ` +
    'that rotates each round' + (process.env.BENCH_SECONDS ? `; the whole run took ${process.env.BENCH_SECONDS} s` : ''));
  if (big) {
    lines.push(`- loopback ceiling: iperf3 moves ${sizeName(big.mib)} in ${num(big.median.iperf3.seconds)} s ` +
      `(${fixed(big.bytes / big.median.iperf3.seconds / 2 ** 30, 2)} GiB/s, ` +
      `${fixed(big.bytes * 8 / big.median.iperf3.seconds / 1e9, 1)} Gbit/s)`);
  }
  if (conc && conc.skipped.length) lines.push(`- skipped (RLIMIT_NOFILE ${conc.nofile}): ${conc.skipped.join(', ')} clients`);
  lines.push('');
  if (tcp) lines.push(...floorTable(tcp));
  if (retain) lines.push(...retainTable(retain));
  if (upload) lines.push(...require('./upload-bench').reportLines(upload));
  lines.push('## Medians: the C++ lessons against our Node programs');
  lines.push('');
  lines.push('| measure | C++ lesson | Node program | C++ better by | iperf3 ceiling | C++ share of ceiling | Node share of ceiling |');
  lines.push('|---|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) lines.push(`| ${r.join(' | ')} |`);
  lines.push('');
  lines.push('"C++ better by": Node/C++ for times and memory, C++/Node for datagrams; above 1.00x the C++ lesson ' +
    'does better. Ceiling: iperf3 on loopback moving the same bytes (TCP: same size; concurrency: the same total ' +
    'in one connection) or the same datagrams (UDP); the share is iperf3 time / program time, or program rate / ' +
    'iperf3 rate. iperf3 sends UDP with its own, faster sender, so its share received (in brackets) is no ceiling. "burst": N connect() at once, each uploads when connected (a SYN dropped by a full accept ' +
    'queue is sent again 1 s later); "held": all N connected first, then all upload. Method: docs/performance.md. ' +
    `Raw rounds: ${rel(DIR)}/*.json; plots: ${rel(DIR)}/*.png.`);
  if (c10k) {
    lines.push('');
    lines.push('## C10K: N idle connections and one active, the kit on poll(2) and epoll(7) against Node');
    lines.push('');
    lines.push(...C10K.table(c10k));
  }
  // Lesson 07 (bench/tftp-bench.js) writes its own markdown table: folded in as it is.
  const tftpMd = path.join(DIR, 'tftp.md');
  if (fs.existsSync(tftpMd)) lines.push('', fs.readFileSync(tftpMd, 'utf8').trimEnd());
  const text = lines.join('\n') + '\n';
  fs.writeFileSync(path.join(DIR, 'report.md'), text);
  process.stdout.write(text);

  writeData(tcp, conc, udp);
  if (c10k) fs.writeFileSync(path.join(DIR, 'c10k.dat'), C10K.dat(c10k));
  if (upload) fs.writeFileSync(path.join(DIR, 'upload.dat'), require('./upload-bench').dataLines(upload));
  plot();
}

/**
 * The TCP upload, every program's spread (min, median, p90, max of "client start to
 * saved"), with the lesson's median and p90 as multiples of the design floor's
 * (bench/floor_*.c), and its median as a multiple of Node's and of iperf3's.
 */
function floorTable(tcp) {
  const out = [];
  out.push('## TCP upload: lessons 01+02 against the design floor, Node and iperf3');
  out.push('');
  out.push('| size | program | min (s) | median (s) | p90 (s) | max (s) | x floor median | x floor p90 | x Node median | x iperf3 median | peak RSS median (MiB) | RSS / file | server CPU median (s) |');
  out.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of tcp.results) {
    if (!r.spread || !r.spread.floor) continue;
    const sp = r.spread;
    for (const kind of r.kinds) {
      const t = sp[kind].seconds;
      const isLesson = kind === 'cpp' || kind === 'cppB';
      const rss = kind === 'iperf3' ? NaN : r.median[kind].rssMiB;
      out.push(`| ${sizeName(r.mib)} | ${LABELS[kind]} (${t.n}) | ${num(t.min)} | ${num(t.median)} | ${num(t.p90)} | ${num(t.max)} ` +
        `| ${kind === 'floor' ? '1' : times(t.median / sp.floor.seconds.median)} ` +
        `| ${kind === 'floor' ? '1' : times(t.p90 / sp.floor.seconds.p90)} ` +
        `| ${isLesson || kind === 'floor' ? times(t.median / sp.node.seconds.median) : ''} ` +
        `| ${kind === 'iperf3' ? '1' : times(t.median / sp.iperf3.seconds.median)} ` +
        `| ${num(rss)} | ${Number.isFinite(rss) ? fixed(rss / r.mib, 2) : ''} ` +
        `| ${kind === 'iperf3' ? '' : fixed(r.median[kind].cpuSeconds, 2)} |`);
    }
  }
  out.push('');
  out.push('Times run from spawning the client to the server\'s save line. "x" columns: this program\'s time over the ' +
    'peer\'s (below 1 it is faster); x floor p90 compares the p90s. The floor is the document\'s design in plain C with ' +
    'no kit code (bench/floor_server.c, bench/floor_client.c: 64 KiB pieces, everything kept, one write at EOF). ' +
    'p90 is the nearest rank (the 9th of 10 rounds); the number of rounds is in brackets. ' +
    'Server CPU: utime + stime of the server process, all threads; less sensitive than wall time to other ' +
    'load on the machine.');
  out.push('');
  return out;
}

/** Peak RSS of the retained-slice servers (bench/retain.js). */
function retainTable(retain) {
  const c = retain.spread.cpp.rssMiB;
  const n = retain.spread.node.rssMiB;
  return [
    `## A 16-byte slice kept from a ${retain.mib} MiB stream: server peak RSS (MiB)`,
    '',
    '| program | min | median | max | C++ / Node (median) | rounds |',
    '|---|---:|---:|---:|---:|---|',
    `| C++ (bench/retain_slice.cpp) | ${num(c.min)} | ${num(c.median)} | ${num(c.max)} | ${times(c.median / n.median)} | ${retain.runs.cpp.map((x) => num(x.rssMiB)).join(', ')} |`,
    `| Node (bench/retain_slice.js) | ${num(n.min)} | ${num(n.median)} | ${num(n.max)} | | ${retain.runs.node.map((x) => num(x.rssMiB)).join(', ')} |`,
    '',
    'The bound (project issue 20, item 5): C++ within 2x of Node in the same run.',
    '',
  ];
}

const LABELS = { cpp: 'C++ lessons 01+02', cppB: 'C++ (B build, BENCH_AB_SERVER/CLIENT)', floor: 'design floor', node: 'Node', iperf3: 'iperf3' };

function writeData(tcp, conc, udp) {
  if (tcp) {
    const out = ['# mib cpp_s node_s iperf3_s cpp_connected_s node_connected_s cpp_rss_mib node_rss_mib cpp_cpu_s node_cpu_s'];
    for (const r of tcp.results) {
      const m = r.median;
      out.push([r.mib, m.cpp.seconds, m.node.seconds, m.iperf3.seconds, m.cpp.afterConnectSeconds,
        m.node.afterConnectSeconds, m.cpp.rssMiB, m.node.rssMiB, m.cpp.cpuSeconds, m.node.cpuSeconds].join(' '));
    }
    fs.writeFileSync(path.join(DIR, 'tcp.dat'), out.join('\n') + '\n');
  }
  if (conc) {
    const out = ['# clients cpp_burst_s node_burst_s cpp_held_s node_held_s iperf3_s cpp_rss_mib node_rss_mib ' +
      'cpp_cpu_s node_cpu_s cpp_syn_dropped node_syn_dropped'];
    for (const r of conc.results) {
      const m = r.median;
      out.push([r.clients, m.cpp.seconds, m.node.seconds, m.cppHeld.seconds, m.nodeHeld.seconds, m.iperf3.seconds,
        m.cpp.rssMiB, m.node.rssMiB, m.cpp.cpuSeconds, m.node.cpuSeconds, m.cpp.listenOverflows,
        m.node.listenOverflows].map((x) => (Number.isFinite(x) ? x : 'NaN')).join(' '));
    }
    fs.writeFileSync(path.join(DIR, 'concurrency.dat'), out.join('\n') + '\n');
  }
  if (udp) {
    const out = [`# receiver datagrams_per_s saved_percent   (${udp.count} x ${udp.size} B)`];
    for (const [kind, label] of [['cpp', 'C++ lesson 03'], ['node', 'Node server.js'], ['iperf3', 'iperf3 (ceiling)']]) {
      const m = udp.median[kind];
      out.push(`"${label}" ${m.perSec} ${100 * m.saved / udp.count}`);
    }
    fs.writeFileSync(path.join(DIR, 'udp.dat'), out.join('\n') + '\n');
  }
}

function plot() {
  const r = spawnSync('gnuplot', ['-e', `dir='${DIR}'`, path.join(__dirname, 'plots.gp')],
    { encoding: 'utf8', stdio: ['ignore', 'inherit', 'pipe'] });
  if (r.error || r.status !== 0) {
    console.error(`report: gnuplot failed (${r.error ? r.error.message : r.stderr.trim()}); no plots`);
    process.exitCode = 1;
    return;
  }
  const pngs = fs.readdirSync(DIR).filter((f) => f.endsWith('.png')).sort();
  console.log(`\nplots: ${pngs.map((f) => path.join(rel(DIR), f)).join(', ')}`);
}

try {
  main();
} catch (e) {
  console.error(`report: ${e.message}`);
  process.exit(1);
}
