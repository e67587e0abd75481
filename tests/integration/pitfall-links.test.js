'use strict';
// pitfall-links.test.js: docs/pitfalls.md and docs/pt/pitfalls.md link every pitfall
// to the lines of lesson 06 that fix it (issue 16: "docs/pitfalls.md links every
// pitfall to the line of lesson 06 that fixes it"), and those links still point there.
//
// references.test.js proves that a linked file exists; it ignores the `#L12-L20`
// anchor. Lesson 06's code moves as it is worked on, and an anchor that drifted
// still opens the file, at the wrong lines. So, for each section `## N. ...` of both
// pages:
//   - it holds at least one link to lessons/06_upload/*.cpp or *.hpp with a line
//     anchor, `#La` or `#La-Lb`;
//   - lines a..b exist in that file, and either hold the marker `[pitfall N]` (the
//     C++ server marks each fix with it) or hold, verbatim, the first code span that
//     follows the link on the same line of the page (the client has no markers:
//     [`client.cpp:145`](...#L145) `fs::stat(cfg_.file` names what must be there);
//   - the Portuguese page links the same lines as the English one, section by section.
// On a failure it says where the witness is now, so the fix is one edit of the anchor.
//
// Needs no build: it reads files.
//
//   node --test tests/integration/pitfall-links.test.js

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const PAGES = ['docs/pitfalls.md', 'docs/pt/pitfalls.md'];
const PITFALLS = 12;
const LINK = /\]\(((?:\.\.\/)+lessons\/06_upload\/([\w.]+\.(?:cpp|hpp))#L(\d+)(?:-L(\d+))?)\)(?:[^`\n]*?`([^`]+)`)?/g;

/** Section number -> the lesson 06 links in it: { file, a, b, witness, line }. */
function linksBySection(page) {
  const text = fs.readFileSync(path.join(ROOT, page), 'utf8');
  const sections = new Map();
  let current = null;
  text.split('\n').forEach((line, i) => {
    const h = /^## (\d+)\. /.exec(line);
    if (h) {
      current = Number(h[1]);
      sections.set(current, []);
      return;
    }
    if (/^## /.test(line)) current = null;
    if (current === null) return;
    for (const m of line.matchAll(LINK)) {
      sections.get(current).push({
        target: m[1], file: m[2], a: Number(m[3]), b: Number(m[4] || m[3]), witness: m[5], line: i + 1,
      });
    }
  });
  return sections;
}

function sourceLines(file) {
  return fs.readFileSync(path.join(ROOT, 'lessons/06_upload', file), 'utf8').split('\n');
}

/** Why a link does not point at the fix of pitfall n, or null. */
function problem(n, link) {
  const lines = sourceLines(link.file);
  if (link.b < link.a) return `range L${link.a}-L${link.b} is backwards`;
  if (link.b > lines.length) return `${link.file} has ${lines.length} lines, the link ends at ${link.b}`;
  const range = lines.slice(link.a - 1, link.b).join('\n');
  const marker = `[pitfall ${n}]`;
  if (range.includes(marker)) return null;
  if (link.witness && range.includes(link.witness)) return null;
  const want = link.witness ? `${marker} or \`${link.witness}\`` : marker;
  const now = lines.map((l, i) => (l.includes(marker) || (link.witness && l.includes(link.witness)) ? i + 1 : 0)).filter(Boolean);
  return `lines ${link.a}-${link.b} of ${link.file} hold no ${want}` +
    (now.length ? `; it is now at line ${now.join(', ')}` : '; it is nowhere in the file');
}

for (const page of PAGES) {
  test(`${page}: every pitfall links to the lines of lesson 06 that fix it`, () => {
    const sections = linksBySection(page);
    const bad = [];
    for (let n = 1; n <= PITFALLS; ++n) {
      const links = sections.get(n);
      if (!links) { bad.push(`no section "## ${n}. "`); continue; }
      if (links.length === 0) bad.push(`pitfall ${n}: no link to lessons/06_upload/*.cpp#L...`);
      for (const link of links) {
        const why = problem(n, link);
        if (why) bad.push(`${page}:${link.line}: pitfall ${n}, ${link.target}: ${why}`);
      }
    }
    assert.deepEqual(bad, [], bad.join('\n'));
  });
}

test('the Portuguese page links the same lines as the English one', () => {
  const [en, pt] = PAGES.map((p) => linksBySection(p));
  for (let n = 1; n <= PITFALLS; ++n) {
    const targets = (m) => (m.get(n) || []).map((l) => `${l.file}#L${l.a}-L${l.b}`);
    assert.deepEqual(targets(pt), targets(en), `pitfall ${n}`);
  }
});

test('the check refuses an anchor that does not point at the fix', () => {
  // Pitfall 3's marker is in server.cpp; line 1 is the file's first comment line.
  assert.match(problem(3, { file: 'server.cpp', a: 1, b: 1 }), /hold no \[pitfall 3\]; it is now at line \d+/);
  assert.match(problem(3, { file: 'server.cpp', a: 1, b: 100000 }), /has \d+ lines/);
  assert.match(problem(6, { file: 'client.cpp', a: 1, b: 2, witness: 'no such code' }), /nowhere in the file/);
  const m = [...'[`client.cpp:145`](../lessons/06_upload/client.cpp#L145-L146) `fs::stat(x` and'.matchAll(LINK)][0];
  assert.deepEqual([m[2], m[3], m[4], m[5]], ['client.cpp', '145', '146', 'fs::stat(x']);
});
