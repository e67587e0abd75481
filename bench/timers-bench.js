'use strict';
// timers-bench.js: N equal timeouts created, fired and closed, the kit
// (build/bench-bin/timers_close) beside Node (bench/timers_close.js), alternating, the
// order rotating each round. Each program reports its own time, from its first
// setTimeout to the end of its loop, so process start-up is left out. The kit's
// close phase releases each handle in O(1) (loop.cpp, Loop::removeHandle); issue 20
// asks for 1,000,000 timers within 3x of Node's time in the same run.
//
// Usage: node bench/timers-bench.js [--count 1000000] [--rounds 5] [--out build/bench/timers.json]
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
  const seconds = { cpp: [], node: [] };
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 ? ['node', 'cpp'] : ['cpp', 'node'];
    for (const kind of order) {
      const out = await L.run(programs[kind], { timeoutMs: 300000 });
      const [fired, ms] = out.trim().split(' ').map(Number);
      if (fired !== count) throw new Error(`${kind}: ${fired} of ${count} timers fired`);
      seconds[kind].push(ms / 1000);
      console.log(`round ${round + 1}: ${L.LABEL[kind].padEnd(4)} ${count} timers in ${(ms / 1000).toFixed(3)} s`);
    }
  }
  const median = { cpp: { seconds: L.median(seconds.cpp) }, node: { seconds: L.median(seconds.node) } };
  console.log(`median: C++ ${median.cpp.seconds.toFixed(3)} s, Node ${median.node.seconds.toFixed(3)} s, ` +
    `C++/Node ${(median.cpp.seconds / median.node.seconds).toFixed(2)}`);
  L.writeJson(opt.out, { count, rounds, seconds, median });
});
