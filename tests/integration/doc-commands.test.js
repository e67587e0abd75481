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
// One scenario by hand: node tests/docs/doctest.js lessons/NN_*/README.md --scenario NAME

const { test, describe } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const doctest = require('../docs/doctest');

const ROOT = path.resolve(__dirname, '..', '..');
const lessons = fs
  .readdirSync(path.join(ROOT, 'lessons'), { withFileTypes: true })
  .filter((d) => d.isDirectory() && /^\d\d_/.test(d.name))
  .map((d) => d.name)
  .sort();

const read = (lesson, page) => readPage(path.join('lessons', lesson, page));
const readPage = (rel) => {
  const p = path.join(ROOT, rel);
  return fs.existsSync(p) ? fs.readFileSync(p, 'utf8') : null;
};

// Pages whose commands run: every lesson README (its LEIAME has the same blocks), and
// the two other pages a student works through with a terminal open.
const RUN_PAGES = [...lessons.map((l) => `lessons/${l}/README.md`), 'docs/pitfalls.md', 'exercises/README.md'];

// Pages whose every sh/console block must be marked: the lesson pages in both languages,
// and the two others that run.
const MARKED_PAGES = [
  ...lessons.flatMap((l) => [`lessons/${l}/README.md`, `lessons/${l}/LEIAME.md`]),
  'docs/pitfalls.md', 'exercises/README.md',
];

describe('lesson pages: every command block is marked', () => {
  for (const page of MARKED_PAGES) {
    test(`${page}: every sh/console block is marked doc-test or doc-test skip (with a reason), and the marks are well-formed`, () => {
      const text = readPage(page);
      assert.ok(text !== null, `${page} is missing`);
      const plan = doctest.planPage(text);
      const problems = [
        ...plan.errors,
        ...plan.unmarked.map((b) => `line ${b.line}: \`\`\`${b.info} block without <!-- doc-test SCENARIO --> or <!-- doc-test skip: REASON -->`),
      ];
      assert.deepEqual(problems, [], `${page}:\n  ${problems.join('\n  ')}`);
    });
  }
  for (const lesson of lessons) {
    test(`lessons/${lesson}: README.md and LEIAME.md carry the same doc-test marks in the same order`, () => {
      const en = read(lesson, 'README.md');
      const pt = read(lesson, 'LEIAME.md');
      assert.ok(en !== null && pt !== null, 'README.md or LEIAME.md is missing');
      assert.deepEqual(doctest.markSequence(pt), doctest.markSequence(en));
    });
  }
});

// A scenario marked needs=userns runs `unshare -r` as the scenario's unprivileged user
// (a user namespace of its own, as the page tells a student to do without root). Some
// systems forbid that to unprivileged users (a sysctl, AppArmor, or a chroot, where
// the kernel refuses CLONE_NEWUSER: make check-fresh runs in one): there the scenario
// is skipped, saying why, instead of failing on the system's policy.
let usernsProbe = null;
function unprivilegedUserns() {
  if (usernsProbe === null) {
    const cmd = process.getuid() === 0
      ? ['setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', 'unshare', '-rn', 'true']]
      : ['unshare', ['-rn', 'true']];
    const r = spawnSync(cmd[0], cmd[1], { encoding: 'utf8' });
    usernsProbe = r.status === 0 ? '' : (r.stderr || r.error?.message || `status ${r.status}`).trim();
  }
  return usernsProbe;
}

describe('lesson pages: the marked commands run as written', { concurrency: 2 }, () => {
  for (const page of RUN_PAGES) {
    const text = readPage(page);
    if (text === null) continue;
    const plan = doctest.planPage(text);
    for (const [name, blocks] of plan.scenarios) {
      test(`${page}: scenario ${name}`, async (t) => {
        assert.ok(fs.existsSync(path.join(ROOT, 'build', 'lessons')), 'build/lessons is missing: run make first');
        if (blocks.some((b) => b.mark.needsUserns) && unprivilegedUserns() !== '') {
          t.skip(`needs=userns: this system does not let an unprivileged user create a user namespace (${unprivilegedUserns()})`);
          return;
        }
        const results = await doctest.runScenario(blocks);
        const failed = results.filter((r) => !r.ok);
        assert.ok(
          failed.length === 0,
          `${page}, scenario ${name}: ${failed.length} of ${results.length} blocks failed\n` +
            `(run it by hand: node tests/docs/doctest.js ${page} --scenario ${name} --verbose)\n` +
            doctest.formatResults(results),
        );
      });
    }
  }
});

// The runner itself: a page that drifts fails, and the environment is what the grammar
// promises (tests/README.md). Written as small pages, run like the lessons' ones.
describe('tests/docs/doctest.js', { concurrency: 2 }, () => {
  const run = async (page) => {
    const plan = doctest.planPage(page);
    assert.deepEqual(plan.errors, []);
    const [blocks] = plan.scenarios.values();
    return doctest.runScenario(blocks);
  };
  const fence = '```';

  test('a command whose output drifts from the page fails, with a diff; one that matches passes', async () => {
    const results = await run([
      '<!-- doc-test s -->', `${fence}console`, '$ printf "one\\ntwo\\n"', 'one', 'two', fence,
      '<!-- doc-test s -->', `${fence}console`, '$ printf "one\\nthree\\n"', 'one', 'two', fence,
    ].join('\n'));
    assert.deepEqual(results.map((r) => r.ok), [true, false]);
    assert.match(results[1].detail, /^ +- two$/m);
    assert.match(results[1].detail, /^ +\+ three$/m);
  });

  test('scenario environment: unprivileged, loopback up with port 8124 free, only its own processes, shells that keep state', async () => {
    const results = await run([
      '<!-- doc-test env terminal=1 -->', `${fence}console`,
      '$ node -e "require(\'net\').createServer().listen(8124,()=>console.log(\'listening\'))"', 'listening', fence,
      '<!-- doc-test env -->', `${fence}console`,
      '$ id -u | grep -vx 0 >/dev/null && echo unprivileged', 'unprivileged',
      '$ grep CapEff /proc/self/status', 'CapEff:\t0000000000000000',
      '$ ls /proc | grep -cE "^[0-9]+$" | awk \'$1 < 20 { print "few processes" }\'', 'few processes',
      '$ X=kept; node -e "require(\'net\').connect(8124,\'127.0.0.1\',function(){console.log(\'connected\');this.end()})"', 'connected',
      '$ echo "$X" $PWD/package.json | sed "s#/[^ ]*/##"', 'kept package.json',
      fence,
      '<!-- doc-test env -->', `${fence}sh`, 'false', fence,
      '<!-- doc-test env status=any -->', `${fence}sh`, 'false', fence,
    ].join('\n'));
    assert.deepEqual(results.map((r) => [r.block.line, r.ok]), [[7, true], [20, false], [24, true], [2, true]],
      doctest.formatResults(results));
  });
});
