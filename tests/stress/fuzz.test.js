'use strict';
// fuzz.test.js (stress): the randomized differential test over many more seeds than
// `make test` runs (tests/README.md, "Randomized differential test"). Default seeds
// 1000-1079 (FUZZ_STRESS_SEEDS to change) and every seed that once failed
// (tests/diff/fuzz/failed/*.json), compiled in batches of FUZZ_BATCH (40)
// programs, one translation unit each, built with ASan+UBSan against
// build/asan/libposix_impl.a. A failing seed not listed in
// tests/diff/fuzz/KNOWN_FAILING.txt fails the suite: minimize it and save it
// (`node tests/diff/fuzz/run.js --save SEED`), and list it there only if it is one
// of the known defects.
//
//   make stress STRESS_ONLY=fuzz
//   FUZZ_STRESS_SEEDS=5000-5099 node --test tests/stress/fuzz.test.js

const { describe, it, after } = require('node:test');
const fuzz = require('../diff/fuzz/run.js');
const h = require('../diff/harness.js');

const SEEDS = process.env.FUZZ_STRESS_SEEDS || '1000-1079';
const BATCH = Number(process.env.FUZZ_BATCH || 40);
const TIMEOUT_MS = Number(process.env.FUZZ_TIMEOUT_MS || 10000);
const KNOWN_TIMEOUT_MS = Number(process.env.FUZZ_KNOWN_TIMEOUT_MS || 4000);  // known hangs

const known = fuzz.knownFailing();
// the seeds, then every seed that once failed (tests/diff/fuzz/failed/*.json, replayed
// from its saved description)
const cases = fuzz.parseSeeds(SEEDS).map(fuzz.caseOfSeed);
const failed = fuzz.failedCases();
const batches = [];
for (let i = 0; i < cases.length; i += BATCH) batches.push(cases.slice(i, i + BATCH));
for (let i = 0; i < failed.length; i += BATCH) batches.push(failed.slice(i, i + BATCH));

after(h.killAll);

describe('fuzz stress: generated programs, Node.js v20 and posix_impl', () => {
  batches.forEach((batch) => {
    const first = batch[0].name;
    const last = batch[batch.length - 1].name;
    it(`programs ${first}..${last} agree with Node (or are known failing)`, { timeout: 30 * 60 * 1000 }, async () => {
      const bin = fuzz.buildBatch(batch, { log: (s) => console.log(s) });
      const unexpected = [];
      const stillKnown = [];
      const fixed = [];
      await fuzz.runAll(batch, bin, {
        jobs: 2,
        timeoutFor: (c) => (known.has(c.name) ? KNOWN_TIMEOUT_MS : TIMEOUT_MS),
        isKnown: (c) => known.has(c.name),
        onResult: (c, r) => {
          const why = known.get(c.name);
          if (why && !r.ok) stillKnown.push(`${c.name}: ${why}`);
          else if (why && r.ok) fixed.push(c.name);
          else if (!r.ok) unexpected.push(r.report);
        },
      });
      for (const k of stillKnown) console.log(`fuzz: known failing ${k}`);
      const problems = [...unexpected];
      if (fixed.length > 0) problems.push(`now agree with Node, remove from KNOWN_FAILING.txt: ${fixed.join(' ')}`);
      if (problems.length > 0) throw new Error(problems.join('\n\n'));
    });
  });
});
