'use strict';
// pitfall-links.test.js: docs/pitfalls.md and docs/pt/pitfalls.md link every pitfall
// to the lines of lesson 06 that fix it (issue 16: "docs/pitfalls.md links every
// pitfall to the line of lesson 06 that fixes it"), and those links still point there.
//
// references.test.js proves that a linked file exists; it ignores the `#L12-L20`
// anchor. Lesson 06's code moves as it is worked on, and an anchor that drifted still
// opens the file, at the wrong lines. So each link is written
//
//   [server.cpp:384](../../lessons/06_upload/server.cpp#L384-L391) `[pitfall 3] Backpressure`
//
// with a code span after it quoting the first line of the range (the witness), and for
// each section `## N. ...` of both pages this test checks that
//   - it holds at least one such link to lessons/06_upload/*.cpp or *.hpp;
//   - the witness is on line a of the file, and on no other line (so it names one place);
//   - the link's text says the same line (`server.cpp:384`), and the range ends inside
//     the file;
//   - the Portuguese page links the same lines as the English one, section by section.
// When lesson 06 changes, the failure says where each witness is now, and
//
//   node tests/integration/pitfall-links.test.js --fix
//
// moves every link whose witness is still in the file exactly once to its new line
// (keeping the range's length), in both pages, then runs the checks.
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
const LINK = /\[([\w.]+\.(?:cpp|hpp)):(\d+)\]\(((?:\.\.\/)+lessons\/06_upload\/([\w.]+\.(?:cpp|hpp)))#L(\d+)(?:-L(\d+))?\)\s*`([^`]+)`/g;

function parse(m, line) {
  return {
    whole: m[0], text: m[1], textLine: Number(m[2]), rel: m[3], file: m[4],
    a: Number(m[5]), b: Number(m[6] || m[5]), witness: m[7], line,
  };
}

/** Section number -> the lesson 06 links in it. */
function linksBySection(text) {
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
    for (const m of line.matchAll(LINK)) sections.get(current).push(parse(m, i + 1));
  });
  return sections;
}

const sourceCache = new Map();
function sourceLines(file) {
  if (!sourceCache.has(file)) {
    sourceCache.set(file, fs.readFileSync(path.join(ROOT, 'lessons/06_upload', file), 'utf8').split('\n'));
  }
  return sourceCache.get(file);
}

/** The lines (1-based) of file that hold the witness. */
function witnessLines(file, witness) {
  return sourceLines(file).map((l, i) => (l.includes(witness) ? i + 1 : 0)).filter(Boolean);
}

/** Why a link does not point at its witness, or null. */
function problem(link) {
  const lines = sourceLines(link.file);
  if (link.text !== link.file) return `the link says ${link.text} but opens ${link.file}`;
  if (link.b < link.a) return `range L${link.a}-L${link.b} is backwards`;
  if (link.b > lines.length) return `${link.file} has ${lines.length} lines, the link ends at ${link.b}`;
  const at = witnessLines(link.file, link.witness);
  if (at.length === 0) return `\`${link.witness}\` is nowhere in ${link.file}: quote the fix's first line again`;
  if (at.length > 1) return `\`${link.witness}\` is on lines ${at.join(', ')} of ${link.file}: quote more of the line`;
  if (at[0] !== link.a) return `\`${link.witness}\` is on line ${at[0]} of ${link.file}, not ${link.a} (node ${path.relative(ROOT, __filename)} --fix)`;
  if (link.textLine !== link.a) return `the link's text says line ${link.textLine}, its anchor ${link.a}`;
  return null;
}

/** The link moved to its witness's line, or null if it cannot be moved. */
function fixed(link) {
  const at = witnessLines(link.file, link.witness);
  if (at.length !== 1) return null;
  const a = at[0];
  const b = a + (link.b - link.a);
  const range = b === a ? `#L${a}` : `#L${a}-L${b}`;
  return `[${link.file}:${a}](${link.rel}${range}) \`${link.witness}\``;
}

if (require.main === module && process.argv.includes('--fix')) {
  for (const page of PAGES) {
    const file = path.join(ROOT, page);
    const text = fs.readFileSync(file, 'utf8');
    let changes = 0;
    const out = text.replace(LINK, (...m) => {
      const link = parse(m, 0);
      const repl = problem(link) ? fixed(link) : null;
      if (!repl || repl === m[0]) return m[0];
      changes++;
      return repl;
    });
    if (changes) fs.writeFileSync(file, out);
    console.log(`# ${page}: ${changes} link(s) moved`);
  }
}

for (const page of PAGES) {
  test(`${page}: every pitfall links to the lines of lesson 06 that fix it`, () => {
    const sections = linksBySection(fs.readFileSync(path.join(ROOT, page), 'utf8'));
    const bad = [];
    for (let n = 1; n <= PITFALLS; ++n) {
      const links = sections.get(n);
      if (!links) { bad.push(`no section "## ${n}. "`); continue; }
      if (links.length === 0) bad.push(`pitfall ${n}: no [file.cpp:N](../lessons/06_upload/file.cpp#LN) \`first line\` link`);
      for (const link of links) {
        const why = problem(link);
        if (why) bad.push(`${page}:${link.line}: pitfall ${n}, ${link.file}#L${link.a}: ${why}`);
      }
    }
    assert.deepEqual(bad, [], bad.join('\n'));
  });
}

test('the Portuguese page links the same lines as the English one', () => {
  const [en, pt] = PAGES.map((p) => linksBySection(fs.readFileSync(path.join(ROOT, p), 'utf8')));
  for (let n = 1; n <= PITFALLS; ++n) {
    const targets = (m) => (m.get(n) || []).map((l) => `${l.file}#L${l.a}-L${l.b} ${l.witness}`);
    assert.deepEqual(targets(pt), targets(en), `pitfall ${n}`);
  }
});

test('the check refuses a link that does not point at its witness, and --fix moves it', () => {
  const [w] = witnessLines('server.cpp', '[pitfall 3] Backpressure');
  assert.ok(w > 1, 'server.cpp has no "[pitfall 3] Backpressure" line');
  const link = (a, witness = '[pitfall 3] Backpressure', text = 'server.cpp') => ({
    text, textLine: a, rel: '../lessons/06_upload/server.cpp', file: 'server.cpp', a, b: a + 2, witness,
  });
  assert.equal(problem(link(w)), null);
  assert.match(problem(link(w - 1)), new RegExp(`is on line ${w} of server.cpp, not ${w - 1}`));
  assert.match(problem(link(w, 'no such code')), /nowhere in server.cpp/);
  assert.match(problem(link(w, '[pitfall')), /is on lines \d+, \d+/);
  assert.match(problem(link(w, undefined, 'client.cpp')), /says client.cpp but opens server.cpp/);
  assert.match(problem({ ...link(w), b: 100000 }), /has \d+ lines/);
  assert.equal(fixed(link(w - 1)), `[server.cpp:${w}](../lessons/06_upload/server.cpp#L${w}-L${w + 2}) \`[pitfall 3] Backpressure\``);
  const m = [...'- [client.cpp:145](../../lessons/06_upload/client.cpp#L145-L146) `fs::stat(x`: and'.matchAll(LINK)][0];
  assert.deepEqual([m[1], m[2], m[4], m[5], m[6], m[7]], ['client.cpp', '145', 'client.cpp', '145', '146', 'fs::stat(x']);
});
