'use strict';
// exercise-lists.test.js: one list of exercises per lesson.
//
// exercises/README.md describes every exercise under a heading
//   ### NN.K title
// followed by its grade line (`★★`, or `★, checked: \`make check-exercise E=NAME\``).
// Each lesson's README.md and LEIAME.md has an Exercises section with a table of the
// same exercises: number, title (README: the same words; LEIAME: its own), grade and
// how it is checked. A student who reads either page, or the exercises page, sees the
// same numbering and grades. Every checked exercise (a folder exercises/NN_name/ with a
// check.sh) is listed, and every `E=NAME` names such a folder.
//
// exercises/LEIAME.md is the Portuguese twin of exercises/README.md: the same heading
// levels, the same code blocks (shell comments may be translated) and the same doc-test
// marks, in the same order, and it names every checked exercise.
//
// Needs no build: it reads files.

const { test, describe } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const read = (p) => fs.readFileSync(path.join(ROOT, p), 'utf8');
const doctest = require(path.join(ROOT, 'tests', 'docs', 'doctest.js'));

// exercises/README.md -> [{ num, lesson, title, grade, checked }]
function exercisesPage() {
  const lines = read('exercises/README.md').split('\n');
  const out = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^### (\d\d)\.(\d+) (.+)$/.exec(lines[i]);
    if (!m) continue;
    let j = i + 1;
    while (j < lines.length && lines[j].trim() === '') j++;
    const g = /^(★+)(?:, checked: `make check-exercise E=([\w-]+)`)?/.exec(lines[j] || '');
    assert.ok(g, `exercises/README.md:${j + 1}: the line after "${lines[i]}" must give its grade`);
    out.push({ num: `${m[1]}.${m[2]}`, lesson: m[1], title: m[3].trim(), grade: g[1], checked: g[2] || null });
  }
  return out;
}

// A lesson page's Exercises table -> [{ num, title, grade, checked }]
function lessonTable(file) {
  const text = read(file);
  const sec = /^## (?:Exercises|Exercícios)\n([\s\S]*?)(?=^## |(?![\s\S]))/m.exec(text);
  assert.ok(sec, `${file} has no Exercises section`);
  return sec[1]
    .split('\n')
    .map((l) => /^\| (\d\d\.\d+) \| (.+?) \| (★+) \| (.+?) \|$/.exec(l))
    .filter(Boolean)
    .map((m) => {
      const c = /E=([\w-]+)`/.exec(m[4]);
      return { num: m[1], title: m[2], grade: m[3], checked: c ? c[1] : null };
    });
}

const lessons = fs
  .readdirSync(path.join(ROOT, 'lessons'), { withFileTypes: true })
  .filter((d) => d.isDirectory() && /^\d\d_/.test(d.name))
  .map((d) => d.name)
  .sort();

describe('one list of exercises per lesson', () => {
  const all = exercisesPage();

  test('exercises/README.md numbers each lesson\'s exercises NN.1, NN.2, ... in order', () => {
    const byLesson = {};
    for (const e of all) (byLesson[e.lesson] ||= []).push(e.num);
    for (const [lesson, nums] of Object.entries(byLesson)) {
      assert.deepEqual(nums, nums.map((_, i) => `${lesson}.${i + 1}`), `lesson ${lesson}`);
    }
  });

  test('every checked exercise folder is listed in exercises/README.md, and every listed one exists', () => {
    const folders = fs
      .readdirSync(path.join(ROOT, 'exercises'), { withFileTypes: true })
      .filter((d) => d.isDirectory() && fs.existsSync(path.join(ROOT, 'exercises', d.name, 'check.sh')))
      .map((d) => d.name)
      .sort();
    const listed = all.filter((e) => e.checked).map((e) => e.checked).sort();
    assert.deepEqual(listed, folders);
  });

  for (const lesson of lessons) {
    const nn = lesson.slice(0, 2);
    const expected = all.filter((e) => e.lesson === nn);
    test(`lessons/${lesson}: README.md lists the exercises of exercises/README.md (number, title, grade, check)`, () => {
      assert.ok(expected.length >= 3, `exercises/README.md has ${expected.length} exercises for lesson ${nn}`);
      const got = lessonTable(`lessons/${lesson}/README.md`);
      assert.deepEqual(got, expected.map(({ num, title, grade, checked }) => ({ num, title, grade, checked })));
    });
    test(`lessons/${lesson}: LEIAME.md lists the same numbers, grades and checks`, () => {
      const got = lessonTable(`lessons/${lesson}/LEIAME.md`).map(({ num, grade, checked }) => ({ num, grade, checked }));
      assert.deepEqual(got, expected.map(({ num, grade, checked }) => ({ num, grade, checked })));
    });
  }
});

// A page's outline: heading levels, and code blocks (info string, content without shell
// comments) in order; lines inside fences are never headings.
function outline(text) {
  const headings = [];
  const blocks = [];
  let fence = null;
  for (const line of text.split('\n')) {
    if (fence) {
      if (fence.close.test(line)) {
        const shell = /^(sh|bash|console)$/.test(fence.info);
        const code = fence.lines.map((l) => (shell ? l.replace(/(^|\s)#\s.*$/, '') : l).trimEnd());
        blocks.push(`${fence.info}\n${code.filter((l, i) => l !== '' || fence.lines[i].trim() === '').join('\n')}`);
        fence = null;
      } else {
        fence.lines.push(line);
      }
      continue;
    }
    const open = /^\s*(`{3,}|~{3,})\s*([^`\s]*)/.exec(line);
    if (open) {
      fence = { close: new RegExp(`^\\s*\\${open[1][0]}{${open[1].length},}\\s*$`), info: open[2], lines: [] };
      continue;
    }
    const h = /^(#{1,6})\s+\S/.exec(line);
    if (h) headings.push(h[1].length);
  }
  return { headings, blocks };
}

describe('exercises/LEIAME.md, the Portuguese twin of exercises/README.md', () => {
  const en = read('exercises/README.md');
  const pt = fs.existsSync(path.join(ROOT, 'exercises', 'LEIAME.md')) ? read('exercises/LEIAME.md') : null;

  test('it has the same heading levels and the same code blocks, in the same order', () => {
    assert.ok(pt !== null, 'exercises/LEIAME.md is missing');
    const a = outline(en);
    const b = outline(pt);
    assert.deepEqual(b.headings, a.headings, 'heading levels differ (same count, levels and order expected)');
    assert.deepEqual(b.blocks, a.blocks, 'code blocks differ');
  });

  test('it carries the same doc-test marks in the same order', () => {
    assert.ok(pt !== null, 'exercises/LEIAME.md is missing');
    assert.deepEqual(doctest.markSequence(pt), doctest.markSequence(en));
  });

  test('it numbers the same exercises and names every checked one', () => {
    assert.ok(pt !== null, 'exercises/LEIAME.md is missing');
    const nums = (t) => [...t.matchAll(/^### (\d\d\.\d+) /gm)].map((m) => m[1]);
    assert.deepEqual(nums(pt), nums(en));
    for (const e of exercisesPage().filter((x) => x.checked)) {
      assert.ok(pt.includes(`make check-exercise E=${e.checked}\``), `exercises/LEIAME.md does not name ${e.checked}`);
    }
  });
});
