'use strict';
// bench/retain.js: peak RSS of a server that keeps a 16-byte slice of a long stream's
// first chunk and drops the rest (project issue 20, item 5: "RSS with a small slice
// retained from a long stream stays within 2x of Node's in the same run").
//
// Round after round, in an order that alternates (C++, Node; then Node, C++; ...):
// start the receiver (bench/retain_slice.cpp, built as build/bench-bin/retain_slice,
// or its twin bench/retain_slice.js) on a free port, stream MIB MiB into it from
// build/bench-bin/floor_client --bytes (a pattern from memory, 64 KiB writes), wait
// for its 'recebidos N bytes' line, check N, read its peak RSS (VmHWM), kill and reap
// it. Every round and the spread of each program are written as JSON.
//
// Usage: node bench/retain.js [--mib 768] [--rounds 3] [--out build/bench/retain.json]
const L = require('./lib');

const opt = L.options();
const MIB = Number(opt.mib || 768);
const ROUNDS = Number(opt.rounds || 3);
const KINDS = ['cpp', 'node'];

async function runOnce(kind) {
  const bytes = MIB * 1024 * 1024;
  const port = await L.freePort();
  const dir = L.mkTemp('kit-bench-retain-');
  const server = new L.ServerProcess([...L.PROGRAMS.retainServer[kind], '--port', String(port), '--host', '127.0.0.1'], dir);
  try {
    await server.waitPrefix('escutando porta');
    const t0 = performance.now();
    const done = server.waitPrefix(`recebidos ${bytes} bytes`, 300000);
    await L.run([L.PROGRAMS.tcpClient.floor[0], '--port', String(port), '--host', '127.0.0.1', '--bytes', String(bytes)],
      { cwd: dir, timeoutMs: 300000 });
    const t1 = await done;
    return { rssMiB: L.peakRssMiB(server.pid), seconds: (t1 - t0) / 1000 };
  } finally {
    await server.stop();
    L.rmTemp(dir);
  }
}

const fmt = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '-');

L.main(async () => {
  L.requireBuilt();
  console.log(`retained slice: ${MIB} MiB streamed, a 16-byte slice of the first chunk kept, ${ROUNDS} round(s)`);
  const runs = { cpp: [], node: [] };
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 ? [...KINDS].reverse() : KINDS;
    for (const kind of order) runs[kind].push(await runOnce(kind));
    console.log(`  round ${r + 1}/${ROUNDS}: peak RSS C++ ${fmt(runs.cpp[r].rssMiB)} MiB, Node ${fmt(runs.node[r].rssMiB)} MiB`);
  }
  const spread = Object.fromEntries(KINDS.map((k) => [k, { rssMiB: L.spread(runs[k].map((x) => x.rssMiB)),
    seconds: L.spread(runs[k].map((x) => x.seconds)) }]));
  if (!opt.out) {
    const c = spread.cpp.rssMiB;
    const n = spread.node.rssMiB;
    console.log(`peak RSS median: C++ ${fmt(c.median)} MiB (max ${fmt(c.max)}), Node ${fmt(n.median)} MiB (max ${fmt(n.max)}); ` +
      `C++/Node ${fmt(c.median / n.median, 2)}x (bound: 2x)`);
  }
  L.writeJson(opt.out, { kind: 'retain', mib: MIB, rounds: ROUNDS, runs, spread });
});
