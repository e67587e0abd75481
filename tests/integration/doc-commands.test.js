'use strict';
// doc-commands.test.js: the commands in the lessons' pages run as written, and print
// what the pages say they print (issue 12, item 3; grammar in tests/README.md,
// "Executable documentation").
//
// For every lessons/*/README.md:
// - one test per doc-test scenario: tests/docs/doctest.js runs its blocks in a temporary
//   copy of the kit, in new network/PID namespaces, as an unprivileged user; the test
//   fails on a command that fails or on output that drifts from the page;
// - every ```sh and ```console block of README.md and LEIAME.md is marked doc-test or
//   doc-test skip (with a reason), and the marks are well-formed;
// - README.md and its Portuguese twin LEIAME.md carry the same marks in the same order
//   (their code blocks are the same, docs.test.js checks it), so running README's
//   scenarios covers LEIAME's.
//
// Needs the build (`make`): the scenarios run build/lessons/*. Scenarios run 2 at a time.
// One scenario by hand: node tests/docs/doctest.js lessons/NN_x/README.md --scenario NAME

const { test, describe } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const doctest = require('../docs/doctest');

const ROOT = path.resolve(__dirname, '..', '..');
const lessons = fs
  .readdirSync(path.join(ROOT, 'lessons'), { withFileTypes: true })
  .filter((d) => d.isDirectory() && /^\d\d_/.test(d.name))
  .map((d) => d.name)
  .sort();

const read = (lesson, page) => {
  const p = path.join(ROOT, 'lessons', lesson, page);
  return fs.existsSync(p) ? fs.readFileSync(p, 'utf8') : null;
};

describe('lesson pages: every command block is marked', () => {
  for (const lesson of lessons) {
    for (const page of ['README.md', 'LEIAME.md']) {
      test(`lessons/${lesson}/${page}: every sh/console block is marked doc-test or doc-test skip (with a reason), and the marks are well-formed`, () => {
        const text = read(lesson, page);
        assert.ok(text !== null, `lessons/${lesson}/${page} is missing`);
        const plan = doctest.planPage(text);
        const problems = [
          ...plan.errors,
          ...plan.unmarked.map((b) => `line ${b.line}: \`\`\`${b.info} block without <!-- doc-test SCENARIO --> or <!-- doc-test skip: REASON -->`),
        ];
        assert.deepEqual(problems, [], `lessons/${lesson}/${page}:\n  ${problems.join('\n  ')}`);
      });
    }

    test(`lessons/${lesson}: README.md and LEIAME.md carry the same doc-test marks in the same order`, () => {
      const en = read(lesson, 'README.md');
      const pt = read(lesson, 'LEIAME.md');
      assert.ok(en !== null && pt !== null, 'README.md or LEIAME.md is missing');
      assert.deepEqual(doctest.markSequence(pt), doctest.markSequence(en));
    });
  }
});

describe('lesson pages: the marked commands run as written', { concurrency: 2 }, () => {
  for (const lesson of lessons) {
    const text = read(lesson, 'README.md');
    if (text === null) continue;
    const plan = doctest.planPage(text);
    for (const [name, blocks] of plan.scenarios) {
      test(`lessons/${lesson}/README.md: scenario ${name}`, async () => {
        const results = await doctest.runScenario(blocks);
        const failed = results.filter((r) => !r.ok);
        assert.ok(
          failed.length === 0,
          `lessons/${lesson}/README.md, scenario ${name}: ${failed.length} of ${results.length} blocks failed\n` +
            `(run it by hand: node tests/docs/doctest.js lessons/${lesson}/README.md --scenario ${name} --verbose)\n` +
            doctest.formatResults(results),
        );
      });
    }
  }
});
