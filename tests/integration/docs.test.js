'use strict';
// docs.test.js: the documentation pages stay true to the code.
//
// 1. docs/cross-reference.md is what scripts/xref.sh prints today: every passage ID of
//    the document is cited in some lessons/*/main.cpp, and the file:line column
//    matches the lessons as they are now. After editing a lesson, refresh it with
//      bash scripts/xref.sh > docs/cross-reference.md
//    Its Portuguese twin docs/pt/cross-reference.md is what `scripts/xref.sh --pt` prints.
// 2. Every student-facing English page has its Portuguese twin, with the same headings
//    (count, levels, order) and the same code blocks in the same order:
//      lessons/NN_name/README.md       lessons/NN_name/LEIAME.md
//      exercises/README.md             exercises/LEIAME.md
//      docs/{pitfalls,glossary,architecture,cross-reference}.md   docs/pt/*.md
//      slides/README.md                slides/pt/README.md
//      slides/NN_name.md               slides/pt/NN_name.md: also slide by slide, the same
//                                      number of slides and, on each, the same code
//                                      blocks and the same `<!-- include: -->` excerpts
//    Heading texts differ by language, so only their levels are compared. In code
//    blocks, shell and C++/JS comments may be translated, so they are removed before
//    the comparison; the commands and outputs must be identical. No Portuguese page in
//    docs/pt/ or slides/pt/ lacks its English original.
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

  test('the Portuguese twin is up to date (bash scripts/xref.sh --pt > docs/pt/cross-reference.md)', () => {
    const pt = spawnSync('bash', [path.join(ROOT, 'scripts', 'xref.sh'), '--pt'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(pt.status, 0, `xref.sh --pt failed:\n${pt.stderr}`);
    const file = path.join(ROOT, 'docs', 'pt', 'cross-reference.md');
    assert.ok(fs.existsSync(file), 'docs/pt/cross-reference.md is missing: run `bash scripts/xref.sh --pt > docs/pt/cross-reference.md`');
    const twin = fs.readFileSync(file, 'utf8');
    assert.ok(
      twin === pt.stdout,
      'docs/pt/cross-reference.md is stale: run `bash scripts/xref.sh --pt > docs/pt/cross-reference.md`\n' +
        firstDifference(twin, pt.stdout),
    );
    // Both pages give the same lesson lines for each passage: only the words differ.
    const cells = (text) => text.split('\n').map((l) => /^\| ([A-Z]+(?:\.C?\d+)?) \|[^|]*\| ([^|]*) \|/.exec(l))
      .filter((m) => m && m[1] !== 'ID').map((m) => `${m[1]} ${m[2]}`);
    assert.deepEqual(cells(pt.stdout), cells(xref.stdout));
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

// Compare an English page and its Portuguese twin; `where` names them in messages.
function assertSameOutline(en, pt, where) {
  assert.ok(en.headings.length > 0, `${where.en} has no heading`);
  assert.deepEqual(pt.headings, en.headings, `${where.pt}: heading levels differ from ${where.en} (same count, levels and order expected)`);
  assert.deepEqual(
    pt.blocks.map((b) => b.info),
    en.blocks.map((b) => b.info),
    `${where.pt}: code blocks differ from ${where.en} in number, order or language`,
  );
  en.blocks.forEach((b, i) => {
    assert.equal(pt.blocks[i].code, b.code, `${where.pt}: code block ${i + 1} (\`\`\`${b.info}) differs from ${where.en}'s`);
  });
}

function readTwin(enRel, ptRel) {
  const en = path.join(ROOT, enRel);
  const pt = path.join(ROOT, ptRel);
  assert.ok(fs.existsSync(en), `${enRel} is missing`);
  assert.ok(fs.existsSync(pt), `${ptRel} is missing (the Portuguese twin of ${enRel})`);
  return [fs.readFileSync(en, 'utf8'), fs.readFileSync(pt, 'utf8')];
}

describe('lesson READMEs and their Portuguese twins (LEIAME.md)', () => {
  for (const lesson of lessonDirs) {
    test(`lessons/${lesson}: README.md and LEIAME.md exist, with the same headings and code blocks`, () => {
      const [en, pt] = readTwin(`lessons/${lesson}/README.md`, `lessons/${lesson}/LEIAME.md`);
      assertSameOutline(outline(en), outline(pt), { en: `lessons/${lesson}/README.md`, pt: `lessons/${lesson}/LEIAME.md` });
    });
  }
});

// The other student-facing pages and their twins.
const PAGES = [
  ['exercises/README.md', 'exercises/LEIAME.md'],
  ...['pitfalls', 'glossary', 'architecture', 'cross-reference'].map((p) => [`docs/${p}.md`, `docs/pt/${p}.md`]),
  ['slides/README.md', 'slides/pt/README.md'],
];

describe('exercises, docs and slides README: their Portuguese twins', () => {
  for (const [enRel, ptRel] of PAGES) {
    test(`${enRel} and ${ptRel} exist, with the same headings and code blocks`, () => {
      const [en, pt] = readTwin(enRel, ptRel);
      assertSameOutline(outline(en), outline(pt), { en: enRel, pt: ptRel });
    });
  }

  test('every page in docs/pt/ and slides/pt/ is the twin of an English page', () => {
    const orphans = [];
    for (const dir of ['docs', 'slides']) {
      const ptDir = path.join(ROOT, dir, 'pt');
      if (!fs.existsSync(ptDir)) continue;
      for (const f of fs.readdirSync(ptDir).filter((n) => n.endsWith('.md'))) {
        if (!fs.existsSync(path.join(ROOT, dir, f))) orphans.push(`${dir}/pt/${f}`);
      }
    }
    assert.deepEqual(orphans, [], 'Portuguese pages with no English original (rename or remove them)');
  });
});

// A deck, slide by slide (slides/build.sh runs pandoc with --slide-level=1: each level-1
// heading starts a slide). On each slide: its code blocks, and its include directives,
// which must be the same text in both languages (the same lines of the same file).
function slidesOf(text) {
  const body = text.replace(/^---\n[\s\S]*?\n---\n/, '');  // the YAML title block
  const slides = [];
  let fence = null;
  let current = null;
  for (const line of body.split('\n')) {
    if (fence) {
      if (fence.close.test(line)) {
        current.blocks.push({ info: fence.info, code: normalizeCode(fence.info, fence.lines) });
        fence = null;
      } else fence.lines.push(line);
      continue;
    }
    const open = /^\s*(`{3,}|~{3,})\s*([^`\s]*)/.exec(line);
    if (open) {
      fence = { close: new RegExp(`^\\s*\\${open[1][0]}{${open[1].length},}\\s*$`), info: open[2], lines: [] };
      if (!current) slides.push(current = { blocks: [] });
      continue;
    }
    if (/^#\s+\S/.test(line)) { slides.push(current = { blocks: [] }); continue; }
    const include = /^\s*<!--\s*include:\s*(.*?)\s*-->\s*$/.exec(line);
    if (include) {
      if (!current) slides.push(current = { blocks: [] });
      current.blocks.push({ info: 'include', code: include[1] });
    }
  }
  return slides;
}

const deckFiles = fs.readdirSync(path.join(ROOT, 'slides')).filter((f) => /^\d\d_.*\.md$/.test(f)).sort();

describe('slide decks and their Portuguese twins (slides/pt/)', () => {
  for (const deck of deckFiles) {
    test(`slides/${deck} and slides/pt/${deck}: the same slides, each with the same code and excerpts`, () => {
      const [enText, ptText] = readTwin(`slides/${deck}`, `slides/pt/${deck}`);
      const where = { en: `slides/${deck}`, pt: `slides/pt/${deck}` };
      assertSameOutline(outline(enText), outline(ptText), where);
      const en = slidesOf(enText);
      const pt = slidesOf(ptText);
      assert.ok(en.length >= 3, `${where.en}: only ${en.length} slide(s) found`);
      assert.equal(pt.length, en.length, `${where.pt} has ${pt.length} slides, ${where.en} has ${en.length}`);
      en.forEach((slide, i) => {
        assert.deepEqual(
          pt[i].blocks.map((b) => `${b.info}: ${b.code}`),
          slide.blocks.map((b) => `${b.info}: ${b.code}`),
          `slide ${i + 1}: code blocks or include excerpts differ between ${where.en} and ${where.pt}`,
        );
      });
    });
  }
});
