'use strict';
// view.js: draw KIT_TRACE=json traces as one self-contained HTML timeline.
//
//   node scripts/trace/view.js TRACE.jsonl... -o OUT.html [--title TEXT]
//
// Each file is one process's trace (the kit's, src "kit", or Node's with node-trace.js,
// src "node"). The page shows the kit's processes above and Node's below, each process
// as lanes:
//   loop          iterations as alternating bands, each phase a coloured block, each
//                 poll(2) a mark and the time it slept a hatched gap before it
//   server, socket 1, udp 1, readstream 1, process...   one lane per emitter/handle,
//                 numbered in order of appearance within its kind (ids differ between
//                 kit and Node, the order does not), with its emits and open/close
//   timers, ticks & immediates, thread pool (a bar from submit to callback, darker
//                 where a worker ran it), notes (the kit's KIT_TRACE=1 lines)
// Emits are matched kit <-> Node by (process role, lane, event name) in order; matched
// ones are linked by a line on hover, unmatched ones and listener counts that differ
// are ringed in red and listed under the timeline.
// Times are from each side's first record (the two runs happen one after the other).
// d3 (node_modules/d3/dist/d3.min.js) is inlined at build time, so the file opens
// offline: no network at view time.

const fs = require('node:fs');
const path = require('node:path');

// (d3's package.json exports no dist/ path, so the file is found by its place)
const D3 = path.resolve(__dirname, '..', '..', 'node_modules', 'd3', 'dist', 'd3.min.js');

const HANDLE_EVS = new Set(['emit', 'handle']);

function readTrace(file) {
  const recs = [];
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const last = lines.findLastIndex((l) => l.trim() !== '');
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    try { recs.push(JSON.parse(line)); } catch (err) {
      // a process killed while writing may leave its last line cut: drawn without it
      if (i === last && !line.endsWith('}')) {
        process.stderr.write(`view: ${file}:${i + 1}: cut line left out\n`);
        return;
      }
      throw new Error(`${file}:${i + 1}: not JSON (${err.message})`);
    }
  });
  return recs;
}

// server, client or main: from the program's name (its argv), else the file's name
function roleOf(recs, file) {
  const start = recs.find((r) => r.ev === 'start');
  const names = [...((start && start.argv) || []).map((a) => path.basename(String(a))), path.basename(file)];
  for (const n of names) {
    if (/server/.test(n)) return 'server';
    if (/client/.test(n)) return 'client';
  }
  return 'main';
}

// One process: its lanes and marks. Lane keys are the same on both sides.
function buildProcess(recs, file) {
  const src = (recs.find((r) => r.src) || {}).src || (/node/.test(path.basename(file)) ? 'node' : 'kit');
  const role = roleOf(recs, file);
  const lanes = new Map();   // key -> { key, label, marks: [], bars: [] }
  const lane = (key, label) => {
    if (!lanes.has(key)) lanes.set(key, { key, label, marks: [], bars: [] });
    return lanes.get(key);
  };
  lane('loop', 'loop');
  const ordinals = new Map();   // `${kind}#${id}` -> `${kind} ${n}`
  const perKind = new Map();
  const handleKey = (kind, id) => {
    const k = `${kind}#${id}`;
    if (!ordinals.has(k)) {
      const n = (perKind.get(kind) || 0) + 1;
      perKind.set(kind, n);
      ordinals.set(k, kind === 'process' ? 'process' : `${kind} ${n}`);
    }
    return ordinals.get(k);
  };
  const phases = [];
  const sleeps = [];
  const iterations = new Map();   // it -> [t0, t1]
  const open = new Map();         // phase -> enter t
  const jobs = new Map();
  const timers = new Map();
  let index = 0;
  for (const r of recs) {
    if (typeof r.it === 'number') {
      const span = iterations.get(r.it);
      if (span) span[1] = Math.max(span[1], r.t); else iterations.set(r.it, [r.t, r.t]);
    }
    if (r.ev === 'phase') {
      if (r.edge === 'enter') open.set(r.phase, r.t);
      else if (open.has(r.phase)) {
        phases.push({ phase: r.phase, t0: open.get(r.phase), t1: r.t, it: r.it });
        open.delete(r.phase);
      }
      continue;
    }
    const mark = { i: index++, t: r.t, rec: r };
    if (r.ev === 'poll') {
      if (r.slept_us > 0) sleeps.push({ t0: r.t - r.slept_us, t1: r.t, it: r.it });
      lane('loop').marks.push(mark);
    } else if (r.ev === 'start' || r.ev === 'exit') {
      lane('loop').marks.push(mark);
    } else if (r.ev === 'handle' && r.kind === 'timer') {
      lane('timers', 'timers').marks.push(mark);      // Node shows its timers no handle
    } else if (r.ev === 'handle' && r.kind === 'async') {
      lane('pool', 'thread pool').marks.push(mark);   // the pool's doorbell (eventfd)
    } else if (HANDLE_EVS.has(r.ev)) {
      const key = handleKey(r.kind, r.id);
      mark.lane = key;
      lane(key, key).marks.push(mark);
    } else if (r.ev === 'timer') {
      const l = lane('timers', 'timers');
      l.marks.push(mark);
      if (r.op === 'arm') timers.set(r.id, r.t);
      else if (timers.has(r.id)) { l.bars.push({ t0: timers.get(r.id), t1: r.t, what: `timer ${r.id}` }); timers.delete(r.id); }
    } else if (r.ev === 'tick' || r.ev === 'immediate') {
      lane('queues', 'ticks & immediates').marks.push(mark);
    } else if (r.ev === 'pool') {
      const l = lane('pool', 'thread pool');
      l.marks.push(mark);
      const job = jobs.get(r.job) || { t0: r.t, what: r.what };
      if (r.op === 'submit') jobs.set(r.job, job);
      if (r.op === 'start') job.s0 = r.t;
      if (r.op === 'finish') job.s1 = r.t;
      if (r.op === 'callback' && jobs.has(r.job)) {
        l.bars.push({ t0: job.t0, t1: r.t, w0: job.s0, w1: job.s1, what: job.what });
        jobs.delete(r.job);
      }
    } else if (r.ev === 'note') {
      lane('notes', 'notes (KIT_TRACE=1 lines)').marks.push(mark);
    } else {
      lane('other', 'other').marks.push(mark);
    }
  }
  // lanes in a stable order: loop, handles (as they appeared), timers, queues, pool
  const order = (k) => (k === 'loop' ? 0 : k === 'timers' ? 2 : k === 'queues' ? 3 : k === 'pool' ? 4 : k === 'notes' ? 5 : k === 'other' ? 6 : 1);
  const laneList = [...lanes.values()].sort((a, b) => order(a.key) - order(b.key));
  return {
    file: path.basename(file), src, role,
    pid: (recs[0] || {}).pid, t0: recs.length ? Math.min(...recs.map((r) => r.t)) : 0,
    t1: recs.length ? Math.max(...recs.map((r) => r.t)) : 0,
    lanes: laneList, phases, sleeps,
    iterations: [...iterations.entries()].map(([it, [t0, t1]]) => ({ it, t0, t1 })),
  };
}

// Link the k-th emit of each (role, lane, name) on the kit's side with Node's k-th.
function matchEmits(procs) {
  const diffs = [];
  const byRole = (src) => new Map(procs.filter((p) => p.src === src).map((p) => [p.role, p]));
  const kit = byRole('kit');
  const node = byRole('node');
  const links = [];
  for (const role of new Set([...kit.keys(), ...node.keys()])) {
    const a = kit.get(role);
    const b = node.get(role);
    if (!a || !b) { diffs.push({ role, text: `${role}: only ${a ? 'the kit' : 'Node'} ran it` }); continue; }
    const keys = new Set([...a.lanes, ...b.lanes].map((l) => l.key));
    for (const key of keys) {
      const la = a.lanes.find((l) => l.key === key);
      const lb = b.lanes.find((l) => l.key === key);
      if (!la || !lb) {
        (la || lb).only = true;
        const jobs = (l) => l && l.marks.some((m) => m.rec.ev === 'pool');   // not only the doorbell
        if (!['queues', 'timers', 'notes'].includes(key) && (key !== 'pool' || jobs(la) || jobs(lb))) diffs.push({ role, lane: key, text: `${role} · ${key}: lane only in ${la ? 'the kit' : 'Node'}` });
      }
      if (['loop', 'timers', 'queues', 'pool', 'notes', 'other'].includes(key) || !la || !lb) continue;
      const emits = (l) => {
        const m = new Map();
        for (const mk of l.marks) if (mk.rec.ev === 'emit') { if (!m.has(mk.rec.name)) m.set(mk.rec.name, []); m.get(mk.rec.name).push(mk); }
        return m;
      };
      const ea = emits(la);
      const eb = emits(lb);
      for (const name of new Set([...ea.keys(), ...eb.keys()])) {
        const xs = ea.get(name) || [];
        const ys = eb.get(name) || [];
        const n = Math.min(xs.length, ys.length);
        for (let k = 0; k < n; k++) {
          links.push({ role, lane: key, kit: xs[k].i, node: ys[k].i });
          xs[k].match = ys[k].i;
          ys[k].match = xs[k].i;
          if (xs[k].rec.listeners !== ys[k].rec.listeners) {
            xs[k].diff = ys[k].diff = 'listeners';
            if (k === 0) diffs.push({ role, lane: key, text: `${role} · ${key} '${name}': ${xs[k].rec.listeners} listener(s) in the kit, ${ys[k].rec.listeners} in Node` });
          }
        }
        for (const extra of [...xs.slice(n), ...ys.slice(n)]) extra.diff = 'unmatched';
        if (xs.length !== ys.length) {
          diffs.push({ role, lane: key, text: `${role} · ${key} '${name}': ${xs.length}× in the kit, ${ys.length}× in Node` });
        }
      }
    }
  }
  return { links, diffs };
}

function build(files, { title } = {}) {
  const procs = files.map((f) => buildProcess(readTrace(f), f));
  const roleOrder = { server: 0, main: 1, client: 2 };
  procs.sort((a, b) => (a.src === b.src ? roleOrder[a.role] - roleOrder[b.role] : a.src === 'kit' ? -1 : 1));
  // ids unique over the whole page: the mark index within its process is not
  let n = 0;
  for (const p of procs) for (const l of p.lanes) for (const m of l.marks) { m.local = m.i; m.i = n++; }
  const { links, diffs } = matchEmits(procs);
  return { title: title || 'KIT_TRACE timeline', procs, links, diffs, marks: n };
}

function html(model) {
  if (!fs.existsSync(D3)) throw new Error(`${D3} is missing: run make deps (npm ci)`);
  const d3 = fs.readFileSync(D3, 'utf8');
  const page = fs.readFileSync(path.join(__dirname, 'view-page.js'), 'utf8');
  const css = fs.readFileSync(path.join(__dirname, 'view-page.css'), 'utf8');
  const json = JSON.stringify(model).replace(/</g, '\\u003c');
  const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>${esc(model.title)}</title>
<style>${css}</style>
</head><body>
<header><h1>${esc(model.title)}</h1>
<p class="help">The kit (C++, <code>KIT_TRACE=json</code>) above, Node (<code>node-trace.js</code>) below, each from its own first record.
Scroll or pinch to zoom, drag to pan, double-click to zoom in; hover an event for its details, click to keep them; a matched event's partner is linked.</p>
<div id="legend"></div><div id="controls"><button id="reset">reset zoom</button> <label><input type="checkbox" id="shorten" checked> compressed time (every event its own place; a dashed line: over 1 ms with nothing recorded)</label> <label><input type="checkbox" id="links"> show all kit ↔ Node links</label></div></header>
<div id="chart"></div>
<aside id="details">Click an event to see its record here.</aside>
<section id="differences"><h2>Differences kit ↔ Node</h2><ul id="difflist"></ul></section>
<div id="tooltip" hidden></div>
<script id="trace-data" type="application/json">${json}</script>
<script>${d3.replace(/<\/script/gi, '<\\/script')}</script>
<script>${page}</script>
</body></html>
`;
}

module.exports = { build, html, readTrace };

if (require.main === module) {
  const args = process.argv.slice(2);
  let out = null;
  let title;
  const files = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '-o') out = args[++i];
    else if (args[i] === '--title') title = args[++i];
    else files.push(args[i]);
  }
  if (!out || files.length === 0) {
    process.stderr.write('usage: node scripts/trace/view.js TRACE.jsonl... -o OUT.html [--title TEXT]\n');
    process.exit(2);
  }
  let model;
  try {
    model = build(files, { title });
  } catch (err) {
    process.stderr.write(`view: ${err.message}\n`);
    process.exit(1);
  }
  fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
  fs.writeFileSync(out, html(model));
  const lanes = model.procs.reduce((s, p) => s + p.lanes.length, 0);
  console.log(`${out}: ${model.procs.length} processes, ${lanes} lanes, ${model.marks} events, ${model.diffs.length} differences`);
}
