'use strict';
// references.test.js: every path the kit names exists in the kit (issue 12, item 4).
//
// It reads every tracked Markdown page and the comments of every tracked source file
// (*.cpp, *.hpp, *.js, *.sh, Makefile, mk/*.mk) and collects what looks like a
// reference to a file of the kit:
//   - Markdown link targets, `[text](path)`, resolved against the page's folder;
//   - paths that start at one of the kit's top-level folders, with or without
//     backticks (`posix_impl/buffer.hpp`, tests/integration/tcp.test.js, docs/), resolved
//     against the referencing file's folder, then against the kit's root;
//   - paths that climb with `../` (`../../exercises/README.md`), resolved against the
//     referencing file's folder only: one that leaves the kit is dangling by definition;
//   - paths on the machine the kit was written on (`/work/...`): a student's clone is
//     elsewhere, so such a path names nothing (recorded outputs in ```text blocks are
//     exempt: they show what Node printed there).
// Each one that names nothing in the kit fails the test, reported as file:line.
// "In the kit" means tracked by git or new and not ignored (git ls-files --cached
// --others --exclude-standard): build outputs and the lessons' server_files/ do not count.
// A path with a wildcard or an upper-case placeholder (lessons/0*/*.js,
// exercises/NAME/starter, lessons/NN_*/main.cpp) must match at least one kit path.
//
// Needs no build: it reads files and runs git.
//
//   node --test tests/integration/references.test.js

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');

// Paths that are not the kit's own files, on purpose. Keep this list short, and say why.
const ALLOWED = [
  // What `make` creates (objects, binaries, decks, reports) and npm installs.
  /^(\.\.\/)*(\.\/)?(build|node_modules)(\/|$)/,
  // Folders the lessons' programs create at run time, in the current directory.
  /(^|\/)(server_files|client_files)(\/|$)/,
  // The executable-documentation runner's temporary copies of the kit.
  /^tests\/docs\/tmp\//,
  // The path-traversal name lesson 06 refuses, quoted as the attack it is (upload.cpp).
  /^(\.\.\/)+etc\/passwd$/,
];

// The kit's top-level folders: a path starting with one of them is a kit path.
const TOP = ['lessons', 'docs', 'slides', 'exercises', 'tests', 'posix_impl', 'scripts',
  'bench', 'mk', 'fuzz', '.ci'];

function git(args) {
  const r = spawnSync('git', args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, `git ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout.split('\0').filter(Boolean);
}

const kitFiles = git(['ls-files', '-z', '--cached', '--others', '--exclude-standard'])
  .filter((f) => fs.existsSync(path.join(ROOT, f)));
const kitPaths = new Set(kitFiles);
for (const f of kitFiles) {
  for (let d = path.posix.dirname(f); d !== '.'; d = path.posix.dirname(d)) kitPaths.add(d);
}

const scanned = git(['ls-files', '-z'])
  .filter((f) => !f.startsWith('node_modules/'))
  // This file names dangling paths on purpose, as examples the finder must catch.
  .filter((f) => f !== path.relative(ROOT, __filename).split(path.sep).join('/'))
  .filter((f) => /\.(md|cpp|hpp|js|sh)$/.test(f) || f === 'Makefile' || /^mk\/[^/]+\.mk$/.test(f))
  .filter((f) => fs.existsSync(path.join(ROOT, f)));

// The text of each line that may hold a reference: all of a Markdown line (but not
// recorded output in ```text blocks for machine paths), the comment part of a source line.
function linesOf(file, text) {
  const lines = text.split('\n');
  const out = [];
  if (file.endsWith('.md')) {
    let fence = null; // the open fence's marker and language
    lines.forEach((line, i) => {
      const m = /^\s*(`{3,}|~{3,})\s*([\w-]*)/.exec(line);
      if (m && (!fence || (m[1][0] === fence.mark[0] && m[1].length >= fence.mark.length && !m[2]))) {
        fence = fence ? null : { mark: m[1], lang: m[2] };
        return;
      }
      out.push({ n: i + 1, text: line, output: fence !== null && fence.lang === 'text' });
    });
    return out;
  }
  const hash = file.endsWith('.sh') || file === 'Makefile' || file.endsWith('.mk');
  let inBlock = false;
  lines.forEach((line, i) => {
    let comment = '';
    if (hash) {
      const m = /(?:^|\s)#(.*)$/.exec(line);
      if (m) comment = m[1];
    } else {
      let rest = line;
      if (inBlock) {
        const end = rest.indexOf('*/');
        if (end < 0) { comment = rest; rest = ''; } else { comment = rest.slice(0, end); rest = rest.slice(end + 2); inBlock = false; }
      }
      const sl = rest.search(/(?<![:'"\\])\/\//);
      const bl = rest.indexOf('/*');
      if (sl >= 0 && (bl < 0 || sl < bl)) comment += ' ' + rest.slice(sl + 2);
      else if (bl >= 0) {
        const end = rest.indexOf('*/', bl + 2);
        if (end < 0) { comment += ' ' + rest.slice(bl + 2); inBlock = true; } else comment += ' ' + rest.slice(bl + 2, end);
      }
    }
    if (comment.trim()) out.push({ n: i + 1, text: comment, output: false });
  });
  return out;
}

const PATH_CHARS = String.raw`[\w.,*<>{}\/-]`;
const START = String.raw`(?<![\w.\/~$@:*<>{}-])`;
const KIT_PATH = new RegExp(`${START}(?:\\.\\/)?((?:\\.\\.\\/)*(?:${TOP.map((t) => t.replace('.', '\\.')).join('|')})\\/${PATH_CHARS}*)`, 'g');
const CLIMB = new RegExp(`${START}(?:\\.\\/)?((?:\\.\\.\\/)+${PATH_CHARS}+)`, 'g');
const MACHINE = /(?<![\w.\/-])(\/work\/[\w.\/-]+)/g;
const LINK = /\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g;

function tidy(ref) {
  // Sentence punctuation and Markdown emphasis are not part of the path.
  return ref.replace(/[.,;:]+$/, '').replace(/\*\*+$/, '').replace(/[.,;:]+$/, '');
}

// A placeholder stands for any name: `*`, `<target>`, `{starter,solution}`, an
// upper-case word (NN, NAME, 0N) and the word `name` (lessons/NN_name/).
const PLACEHOLDER = /<[^>]*>|\{[^}]*\}|\*|(?<![a-z])[A-Z]+(?![a-z])|(?<![A-Za-z])name(?![A-Za-z])/g;

function placeholderRegex(segments) {
  const src = segments.map((seg) => seg
    .split(PLACEHOLDER)
    .map((lit) => lit.replace(/[.+?^$()|[\]\\]/g, '\\$&'))
    .join('[^/]*')).join('/');
  return new RegExp(`^${src}$`);
}

function matchesSome(segments) {
  const re = placeholderRegex(segments);
  for (const k of kitPaths) if (re.test(k)) return true;
  return false;
}

function exists(rel) {
  const p = path.posix.normalize(rel).replace(/\/$/, '');
  if (p === '' || p === '.') return true;
  if (p.startsWith('../')) return false; // outside the kit
  if (kitPaths.has(p)) return true;
  const segments = p.split('/');
  const last = segments.length - 1;
  const templated = (seg) => seg.search(PLACEHOLDER) >= 0;
  if (!segments.some(templated)) return false;
  if (matchesSome(segments)) return true;
  // A pattern in the last part only names a kind of file to create in a folder that
  // exists (tests/diff/scenarios/NAME.expected): the folder must match.
  return segments.findIndex(templated) === last && (last === 0 || matchesSome(segments.slice(0, last)));
}

function allowed(ref) {
  return ALLOWED.some((re) => re.test(ref));
}

function findDangling() {
  const bad = [];
  for (const file of scanned) {
    const dir = path.posix.dirname(file);
    const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
    for (const { n, text: line, output } of linesOf(file, text)) {
      const seen = new Set();
      const report = (ref, why) => {
        if (seen.has(ref)) return;
        seen.add(ref);
        bad.push(`${file}:${n}: ${ref} (${why})`);
      };
      if (file.endsWith('.md')) {
        for (const m of line.matchAll(LINK)) {
          const target = m[1].replace(/#.*$/, '');
          if (!target || /^[a-z][\w+.-]*:/i.test(target) || target.startsWith('/')) continue;
          if (allowed(target)) continue;
          if (!exists(path.posix.join(dir, decodeURI(target)))) report(target, 'link to nothing in the kit');
        }
      }
      for (const m of line.matchAll(KIT_PATH)) {
        const ref = tidy(m[1]);
        // Half of a shell brace expansion ({lessons,tests/unit}/*.o) is not a path.
        if ((ref.match(/\{/g) || []).length !== (ref.match(/\}/g) || []).length) continue;
        if (allowed(ref) || allowed(path.posix.join(dir, ref))) continue;
        const fromFile = path.posix.join(dir, ref);
        if (exists(fromFile)) continue;
        if (!ref.startsWith('../') && exists(ref)) continue;
        report(ref, path.posix.normalize(fromFile).startsWith('../') ? 'outside the kit' : 'no such file in the kit');
      }
      for (const m of line.matchAll(CLIMB)) {
        const ref = tidy(m[1]);
        if ((ref.match(/\{/g) || []).length !== (ref.match(/\}/g) || []).length) continue;
        if (allowed(ref) || allowed(path.posix.join(dir, ref))) continue;
        if (!exists(path.posix.join(dir, ref))) {
          report(ref, path.posix.normalize(path.posix.join(dir, ref)).startsWith('../') ? 'outside the kit' : 'no such file in the kit');
        }
      }
      if (!output) {
        for (const m of line.matchAll(MACHINE)) report(tidy(m[1]), 'a path on the authors\' machine, not in the kit');
      }
    }
  }
  return bad;
}

test('the scan covers the pages and sources it is meant to (README.md, docs/, lessons/, posix_impl/)', () => {
  for (const f of ['README.md', 'docs/pitfalls.md', 'posix_impl/net.hpp', 'Makefile']) {
    assert.ok(scanned.includes(f), `${f} is not scanned`);
  }
  assert.ok(scanned.some((f) => /^lessons\/[^/]+\/README\.md$/.test(f)), 'no lesson README scanned');
});

test('the reference finder catches each kind of dangling reference it claims to', () => {
  // A known-good and a known-bad example of each kind, checked with the same functions.
  assert.ok(exists('docs/pitfalls.md'));
  assert.ok(exists('lessons/01_tcp_server'));
  assert.ok(exists('lessons/NN_*/main.cpp'));
  assert.ok(exists('lessons/0*/*.js'));
  assert.ok(!exists('lessons/NN_*/no-such-file.cpp'));
  assert.ok(!exists('docs/no-such-page.md'));
  assert.ok(!exists('../shared/seed/README.md'));
  assert.deepEqual([...'see `../../shared/x.md` and `posix_impl/net.hpp`'.matchAll(CLIMB)].map((m) => m[1]),
    ['../../shared/x.md']);
  assert.deepEqual([...'(`posix_impl/net.hpp`, lessons/0*/*.js).'.matchAll(KIT_PATH)].map((m) => tidy(m[1])),
    ['posix_impl/net.hpp', 'lessons/0*/*.js']);
  assert.deepEqual([...'[a](b.md#x) [u](https://x.org/a.md)'.matchAll(LINK)].map((m) => m[1]),
    ['b.md#x', 'https://x.org/a.md']);
  assert.ok(allowed('build/lessons/01_tcp_server'));
  assert.ok(!allowed('docs/build.md'));
});

test('every path named in a page or a source comment exists in the kit', () => {
  const bad = findDangling();
  assert.deepEqual(bad, [], `dangling references (file:line: path):\n  ${bad.join('\n  ')}`);
});
