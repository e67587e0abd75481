'use strict';
// exercises.test.js: every exercise's check is proved three ways, so that a check
// really tests the exercise (a check that passes on the untouched starter, on a
// hard-coded answer or on a program that only prints the expected lines grades nothing):
//   the starter fails, the reference solution passes, and each wrong solution kept
//   beside it (a wrong_* directory: a plausible mistake) fails.
// And every lesson has at least three checked exercises (exercises/NN_*).
//
// For each exercises/NAME/ it expects starter/*.cpp, solution/*.cpp, at least one
// wrong_*/*.cpp, check.sh and a section in exercises/README.md. All variants are
// compiled first, once, by one `make -j2` (two compilers at most); then the checks
// run, two at a time, with EXERCISE_BIN naming the binary, so no check builds anything:
//   bash exercises/NAME/check.sh starter    must exit 1 (behaviour wrong; 2 would mean
//                                           the check could not run at all)
//   bash exercises/NAME/check.sh solution   must exit 0
//   bash exercises/NAME/check.sh wrong_X    must exit 1
//
//   node --test tests/integration/exercises.test.js

const { describe, it, before } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const EX = path.join(ROOT, 'exercises');
const LESSONS = ['00_event_loop', '01_tcp_server', '02_tcp_client', '03_udp_server', '04_udp_client'];

const names = fs.readdirSync(EX, { withFileTypes: true })
  .filter((d) => d.isDirectory() && /^\d\d_/.test(d.name))
  .map((d) => d.name)
  .sort();

const bin = (name, variant) => path.join('build', 'exercises', name, variant);
const wrongs = (name) => fs.readdirSync(path.join(EX, name), { withFileTypes: true })
  .filter((d) => d.isDirectory() && d.name.startsWith('wrong_'))
  .map((d) => d.name)
  .sort();
const variants = (name) => ['starter', 'solution', ...wrongs(name)];
// The lessons: every lessons/NN_*/ directory.
const lessonNumbers = fs.readdirSync(path.join(ROOT, 'lessons'), { withFileTypes: true })
  .filter((d) => d.isDirectory() && /^\d\d_/.test(d.name))
  .map((d) => d.name.slice(0, 2));

// Run a command; resolve with { code, signal, out } (stdout and stderr interleaved).
function run(cmd, args, { env = {}, ms = 120000 } = {}) {
  return new Promise((resolve) => {
    // A make above us (make test) leaves its flags in MAKEFLAGS: keep its variables
    // (`make CXX=clang++ test` must build the exercises with clang++ too, or the flags
    // stamp would change and rebuild every lesson under the running tests), drop its
    // jobserver and options: the build below has its own -j2.
    const base = { ...process.env };
    const flags = base.MAKEFLAGS || '';
    const cut = flags.startsWith('-- ') ? 3 : flags.indexOf(' -- ') >= 0 ? flags.indexOf(' -- ') + 4 : -1;
    for (const k of ['MAKEFLAGS', 'MFLAGS', 'MAKELEVEL', 'MAKEOVERRIDES']) delete base[k];
    if (cut >= 0 && flags.slice(cut).trim()) base.MAKEFLAGS = ` -- ${flags.slice(cut).trim()}`;
    const child = spawn(cmd, args, { cwd: ROOT, env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    const timer = setTimeout(() => { out += `\n[killed after ${ms} ms]\n`; child.kill('SIGKILL'); }, ms);
    child.on('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, out }); });
  });
}

before(async () => {
  assert.ok(names.length >= 5, `expected at least one exercise per lesson (00..04), found: ${names.join(', ')}`);
  const readme = fs.readFileSync(path.join(EX, 'README.md'), 'utf8');
  for (const name of names) {
    for (const f of ['check.sh', 'starter', 'solution']) {
      assert.ok(fs.existsSync(path.join(EX, name, f)), `exercises/${name}/${f} is missing`);
    }
    assert.ok(readme.includes(name), `exercises/README.md does not describe ${name}`);
  }
  const targets = names.flatMap((n) => variants(n).map((v) => bin(n, v)))
    .concat(LESSONS.map((l) => path.join('build', 'lessons', l)));
  const build = await run('make', ['-j2', '--no-print-directory', ...targets], { ms: 300000 });
  assert.equal(build.code, 0, `building the exercises failed:\n${build.out}`);
});

describe('exercises: what every lesson has', () => {
  for (const lesson of lessonNumbers) {
    it(`lesson ${lesson} has at least three checked exercises`, () => {
      const mine = names.filter((n) => n.startsWith(`${lesson}_`));
      assert.ok(mine.length >= 3, `lesson ${lesson} has ${mine.length} checked exercises: ${mine.join(', ') || 'none'}`);
    });
  }
  for (const name of names) {
    it(`${name} keeps at least one wrong solution beside its reference solution`, () => {
      assert.ok(wrongs(name).length >= 1, `exercises/${name} has no wrong_*/ directory`);
    });
  }
});

describe('exercises: each check fails on the starter and on every wrong solution, and passes on the solution', { concurrency: 2 }, () => {
  for (const name of names) {
    for (const variant of variants(name)) {
      const want = variant === 'solution' ? 0 : 1;
      it(`${name}: check.sh ${variant} exits ${want} (${want ? 'FAIL' : 'PASS'})`, async () => {
        const r = await run('bash', [path.join('exercises', name, 'check.sh'), variant],
          { env: { EXERCISE_BIN: bin(name, variant) }, ms: 60000 });
        assert.equal(r.code, want,
          `exercises/${name}/check.sh ${variant} exited ${r.code ?? r.signal}, expected ${want}:\n${r.out}`);
        const verdict = want ? ': FAIL: ' : ': PASS';
        assert.ok(r.out.includes(`check ${name} (${variant})${verdict}`), `no ${verdict.trim()} line:\n${r.out}`);
      });
    }
  }
});
