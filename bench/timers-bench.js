'use strict';
// timers-bench.js: N equal timeouts created, fired and closed, the kit
// (build/bench-bin/timers_close) beside Node (bench/timers_close.js), alternating, the
// order rotating each round. Each program reports its own time, from its first
// setTimeout to the end of its loop, so process start-up is left out. The kit's
// close phase releases each handle in O(1) (loop.cpp, Loop::removeHandle); issue 20
// asks for 1,000,000 timers within 3x of Node's time in the same run.
//
// Usage: node bench/timers-bench.js [--count 1000000] [--rounds 5] [--out build/bench/timers.json]
// The trace's cost (issue 19, docs/performance.md, "The trace's cost"), in the same
// rounds: row "notrace" is timers_close_notrace, the kit built with every trace point
// compiled away (mk/bench.mk), the peer of row "cpp" (trace off: one test per trace
// point); row "json" is the kit binary under KIT_TRACE=json:/dev/null (about six records
// per timer, formatted and written; the disk left out), the cost when on.
// BENCH_AB_TIMERS=PATH runs another build of timers_close in every round beside them
// (row "ab"), e.g. one built from an older commit: a same-run before/after.
const fs = require('node:fs');
const path = require('node:path');
const L = require('./lib');

L.main(async () => {
  const opt = L.options();
  const count = Number(opt.count || process.env.BENCH_TIMERS || 1000000);
  const rounds = Number(opt.rounds || process.env.BENCH_ROUNDS || 5);
  const programs = {
    cpp: [path.join(L.ROOT, 'build/bench-bin/timers_close'), String(count)],
    node: [process.execPath, path.join(__dirname, 'timers_close.js'), String(count)],
  };
  programs.notrace = [path.join(L.ROOT, 'build/bench-bin/timers_close_notrace'), String(count)];
  // /usr/bin/env sets the variable for this row only (L.run passes our environment on).
  programs.json = ['env', 'KIT_TRACE=json:/dev/null', ...programs.cpp];
  for (const [bin] of [programs.cpp, programs.notrace]) {
    if (!fs.existsSync(bin)) throw new Error(`${path.relative(L.ROOT, bin)} is missing: run make bench-bins (or make bench)`);
  }
  const seconds = { cpp: [], node: [], notrace: [], json: [] };
  const kinds = ['cpp', 'node', 'notrace', 'json'];
  if (process.env.BENCH_AB_TIMERS) {
    programs.ab = [process.env.BENCH_AB_TIMERS, String(count)];
    seconds.ab = [];
    kinds.push('ab');
  }
  for (let round = 0; round < rounds; round++) {
    const order = kinds.map((_, i) => kinds[(i + round) % kinds.length]);
    for (const kind of order) {
      const out = await L.run(programs[kind], { timeoutMs: 300000 });
      const [fired, ms] = out.trim().split(' ').map(Number);
      if (fired !== count) throw new Error(`${kind}: ${fired} of ${count} timers fired`);
      seconds[kind].push(ms / 1000);
      console.log(`round ${round + 1}: ${(L.LABEL[kind] || kind).padEnd(4)} ${count} timers in ${(ms / 1000).toFixed(3)} s`);
    }
  }
  const median = { cpp: { seconds: L.median(seconds.cpp) }, node: { seconds: L.median(seconds.node) } };
  console.log(`median: C++ ${median.cpp.seconds.toFixed(3)} s, Node ${median.node.seconds.toFixed(3)} s, ` +
    `C++/Node ${(median.cpp.seconds / median.node.seconds).toFixed(2)}`);
  median.notrace = { seconds: L.median(seconds.notrace) };
  median.json = { seconds: L.median(seconds.json) };
  console.log(`median: trace compiled out ${median.notrace.seconds.toFixed(3)} s, C++ (trace off)/compiled out ` +
    `${(median.cpp.seconds / median.notrace.seconds).toFixed(3)}`);
  console.log(`median: KIT_TRACE=json ${median.json.seconds.toFixed(3)} s, json/C++ ${(median.json.seconds / median.cpp.seconds).toFixed(2)}`);
  if (seconds.ab) {
    median.ab = { seconds: L.median(seconds.ab) };
    console.log(`median: ab ${median.ab.seconds.toFixed(3)} s, ab/C++ ${(median.ab.seconds / median.cpp.seconds).toFixed(3)}`);
  }
  L.writeJson(opt.out, { count, rounds, seconds, median });
});
