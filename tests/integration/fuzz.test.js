'use strict';
// fuzz.test.js: the randomized differential test (tests/diff/fuzz/, described in
// tests/README.md, "Randomized differential test"), the part that runs in `make test`:
//   - the seeds FUZZ_SEEDS (default 1-12): each seed is a program drawn by
//     tests/diff/fuzz/gen.js, emitted as a Node program and its C++ twin (built with
//     ASan+UBSan), both run, their traces compared per object;
//   - every saved case, tests/diff/fuzz/cases/*.json: the (minimized) description of a
//     seed that once failed, replayed as it was saved.
// One test per program, named after it. A program listed in
// tests/diff/fuzz/KNOWN_FAILING.txt (a known defect of posix_impl, issue 20) is reported
// as TODO, not counted as a pass; once it agrees with Node its test FAILS, saying to
// remove its line from KNOWN_FAILING.txt, so a fixed defect re-enables its programs.
//
//   node --test tests/integration/fuzz.test.js                  (after make asan-tests)
//   FUZZ_SEEDS=1-40 node --test tests/integration/fuzz.test.js

const { describe, it, before, after } = require('node:test');
const fuzz = require('../diff/fuzz/run.js');
const h = require('../diff/harness.js');

const SEEDS = process.env.FUZZ_SEEDS || '1-12';
const TIMEOUT_MS = Number(process.env.FUZZ_TIMEOUT_MS || 10000);
// A known-failing program may be a known hang: it gets less time (it is reported
// either way, and a fixed one finishes in well under a second).
const KNOWN_TIMEOUT_MS = Number(process.env.FUZZ_KNOWN_TIMEOUT_MS || 4000);

const known = fuzz.knownFailing();
const cases = [...fuzz.parseSeeds(SEEDS).map(fuzz.caseOfSeed), ...fuzz.savedCases()];
let bin = null;

after(() => {
  h.killAll();
  const listed = cases.filter((c) => known.has(c.name));
  if (listed.length > 0) {
    console.log(`fuzz: ${listed.length} program(s) known to fail (tests/diff/fuzz/KNOWN_FAILING.txt), reported as TODO:`);
    for (const c of listed) console.log(`fuzz:   ${c.name}: ${known.get(c.name)}`);
  }
});

describe('randomized differential test: generated programs, Node.js v20 and posix_impl', { concurrency: 2 }, () => {
  before(() => {
    // one translation unit for every program (see tests/diff/fuzz/run.js)
    bin = fuzz.buildBatch(cases, { log: (s) => console.log(s) });
  });
  for (const c of cases) {
    const why = known.get(c.name);
    const title = why ? `${c.name} [KNOWN FAILING: ${why}]` : c.name;
    it(title, async (t) => {
      const r = why ? await fuzz.runKnown(c, bin, { timeoutMs: KNOWN_TIMEOUT_MS })
        : await fuzz.runCase(c, bin, { timeoutMs: TIMEOUT_MS });
      if (why) {
        if (r.ok) {
          throw new Error(`${c.name} now agrees with Node (3 runs in a row): remove its line from ` +
            'tests/diff/fuzz/KNOWN_FAILING.txt');
        }
        t.todo(`known failing: ${why}`);
      }
      if (!r.ok) throw new Error(r.report);
    });
  }
});
