'use strict';
// docs.test.js: the documentation pages stay true to the code.
//
// 1. docs/cross-reference.md is what scripts/xref.sh prints today: every passage ID of
//    the document is cited in some lessons/*/main.cpp, and the file:line column
//    matches the lessons as they are now. After editing a lesson, refresh it with
//      bash scripts/xref.sh > docs/cross-reference.md
// 2. Every lesson folder has its README.md and its Portuguese twin LEIAME.md, with the
//    same headings (count, levels, order) and the same code blocks in the same order.
//    Heading texts differ by language, so only their levels are compared. In code
//    blocks, shell and C++/JS comments may be translated, so they are removed before
//    the comparison; the commands and outputs must be identical.
//
// Needs no build: it reads files and runs one bash script.

const { test, describe } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');

// The document's passages (its citation IDs, as docs/cross-reference.md lists them): each must be cited
// as `[doc ID]` in lessons/, at the code that implements it.
const DOC_IDS = [
  'INTRO.1', 'INTRO.2',
  'TCPS.1', 'TCPS.2', 'TCPS.3', 'TCPS.C1', 'TCPS.C2', 'TCPS.C3', 'TCPS.C4', 'TCPS.C5', 'TCPS.C6',
  'TCPC.1', 'TCPC.C1', 'TCPC.C2', 'TCPC.C3', 'TCPC.C4',
  'UDPS.1', 'UDPS.C1', 'UDPS.C2', 'UDPS.C3', 'UDPS.C4',
  'UDPC.1', 'UDPC.C1', 'UDPC.C2', 'UDPC.C3',
  'REFS',
];

const lessonDirs = fs
  .readdirSync(path.join(ROOT, 'lessons'), { withFileTypes: true })
  .filter((d) => d.isDirectory() && /^\d\d_/.test(d.name))
  .map((d) => d.name)
  .sort();

// ---------------------------------------------------------------- cross-reference

describe('docs/cross-reference.md', () => {
  const xref = spawnSync('bash', [path.join(ROOT, 'scripts', 'xref.sh')], { cwd: ROOT, encoding: 'utf8' });
  const page = fs.readFileSync(path.join(ROOT, 'docs', 'cross-reference.md'), 'utf8');

  test('every passage ID is cited as [doc ID] in some lessons/*/main.cpp', () => {
    const sources = lessonDirs
      .map((d) => path.join(ROOT, 'lessons', d, 'main.cpp'))
      .filter((f) => fs.existsSync(f))
      .map((f) => fs.readFileSync(f, 'utf8'))
      .join('\n');
    const missing = DOC_IDS.filter((id) => !sources.includes(`[doc ${id}]`));
    assert.deepEqual(missing, [], `not cited in lessons/*/main.cpp: ${missing.join(', ')}`);
  });

  test('scripts/xref.sh knows every passage ID and succeeds', () => {
    assert.equal(xref.status, 0, `xref.sh failed:\n${xref.stderr}`);
    const rows = xref.stdout
      .split('\n')
      .map((line) => /^\| ([A-Z]+\.C?\d+|REFS) \|/.exec(line))
      .filter(Boolean)
      .map((m) => m[1]);
    assert.deepEqual(rows, DOC_IDS);
  });

  test('the page is up to date (bash scripts/xref.sh > docs/cross-reference.md)', () => {
    assert.equal(xref.status, 0, `xref.sh failed:\n${xref.stderr}`);
    assert.ok(
      page === xref.stdout,
      'docs/cross-reference.md is stale: run `bash scripts/xref.sh > docs/cross-reference.md`\n' +
        firstDifference(page, xref.stdout),
    );
  });

  test('each file:line in the page points at a line that cites that ID', () => {
    for (const line of page.split('\n')) {
      const m = /^\| ([A-Z]+(?:\.C?\d+)?) \|[^|]*\| ([^|]*) \|/.exec(line);
      if (!m) continue;
      const [, id, cell] = m;
      for (const ref of cell.matchAll(/`([^`:]+):([\d,]+)`/g)) {
        const lines = fs.readFileSync(path.join(ROOT, 'lessons', ref[1]), 'utf8').split('\n');
        for (const n of ref[2].split(',')) {
          assert.ok(lines[Number(n) - 1]?.includes(`[doc ${id}]`), `lessons/${ref[1]}:${n} does not cite [doc ${id}]`);
        }
      }
    }
  });
});

function firstDifference(a, b) {
  const la = a.split('\n');
  const lb = b.split('\n');
  for (let i = 0; i < Math.max(la.length, lb.length); i++) {
    if (la[i] !== lb[i]) return `first difference at line ${i + 1}:\n  page:   ${la[i]}\n  script: ${lb[i]}`;
  }
  return '';
}

// ---------------------------------------------------------------- README.md / LEIAME.md

// The outline of a Markdown file: heading levels, and code blocks (info string and
// content without comments), in document order. Lines inside fences are never headings.
function outline(text) {
  const headings = [];
  const blocks = [];
  let fence = null;
  for (const line of text.split('\n')) {
    if (fence) {
      if (fence.close.test(line)) {
        blocks.push({ info: fence.info, code: normalizeCode(fence.info, fence.lines) });
        fence = null;
      } else {
        fence.lines.push(line);
      }
      continue;
    }
    const open = /^\s*(`{3,}|~{3,})\s*([^`\s]*)/.exec(line);
    if (open) {
      // Closed by a line of the same character, at least as long (CommonMark).
      const close = new RegExp(`^\\s*\\${open[1][0]}{${open[1].length},}\\s*$`);
      fence = { close, info: open[2], lines: [] };
      continue;
    }
    const h = /^(#{1,6})\s+\S/.exec(line);
    if (h) headings.push(h[1].length);
  }
  return { headings, blocks };
}

// Comments may be translated: drop them, and the spaces that aligned them.
function normalizeCode(info, lines) {
  const shell = /^(sh|bash|shell|console|zsh)$/.test(info);
  const cLike = /^(cpp|c\+\+|c|js|javascript)$/.test(info);
  const out = [];
  for (const line of lines) {
    let l = line;
    if (shell) l = l.replace(/(^|\s)#\s.*$/, '');
    if (cLike) l = l.replace(/(^|\s)\/\/\s.*$/, '');
    l = l.trimEnd();
    if (l === '' && line.trim() !== '') continue;  // a line that was only a comment
    out.push(l);
  }
  return out.join('\n');
}

describe('lesson READMEs and their Portuguese twins (LEIAME.md)', () => {
  for (const lesson of lessonDirs) {
    test(`lessons/${lesson}: README.md and LEIAME.md exist, with the same headings and code blocks`, () => {
      const readme = path.join(ROOT, 'lessons', lesson, 'README.md');
      const leiame = path.join(ROOT, 'lessons', lesson, 'LEIAME.md');
      assert.ok(fs.existsSync(readme), `lessons/${lesson}/README.md is missing`);
      assert.ok(fs.existsSync(leiame), `lessons/${lesson}/LEIAME.md is missing (the Portuguese twin of README.md)`);
      const en = outline(fs.readFileSync(readme, 'utf8'));
      const pt = outline(fs.readFileSync(leiame, 'utf8'));
      assert.ok(en.headings.length > 0, `lessons/${lesson}/README.md has no heading`);
      assert.deepEqual(pt.headings, en.headings, 'heading levels differ (same count, levels and order expected)');
      assert.deepEqual(
        pt.blocks.map((b) => b.info),
        en.blocks.map((b) => b.info),
        'code blocks differ in number, order or language',
      );
      en.blocks.forEach((b, i) => {
        assert.equal(pt.blocks[i].code, b.code, `code block ${i + 1} (\`\`\`${b.info}) differs`);
      });
    });
  }
});
