#!/usr/bin/env bash
# slides/build.sh -- build the Markdown decks in slides/ into self-contained HTML.
#
#   bash slides/build.sh            every slides/NN_*.md -> build/slides/NN_*.html, and
#                                   every Portuguese twin slides/pt/NN_*.md -> build/slides/pt/NN_*.html
#   bash slides/build.sh 01_tcp_server.md pt/01_tcp_server.md ...   only these decks
#   make slides                     the same as the first form
#
# Each deck is a pandoc Markdown file. Code on a slide is never pasted: a line
#
#   <!-- include: lessons/01_tcp_server/main.cpp from "auto server = net::createServer" to "console::log(\"conectado!\");" -->
#
# is replaced, at build time, by the lines of that file from the first line that
# matches the `from` pattern to the first line (at or after it) that matches the `to`
# pattern, as a highlighted code block numbered with the file's own line numbers and
# captioned with the file name. Patterns:
#
#   "text"       a line containing text (\" and \\ escape a quote and a backslash)
#   /regex/      a line matching a JavaScript regular expression
#   P1 P2 ...    a chain: P1, then the first line after it matching P2, and so on
#
# The first `from` pattern must match exactly one line of the file. Flags after the
# patterns: `skip-comments` drops whole-line // comments (the block is then not
# numbered), `no-numbers` turns numbering off. Paths are relative to the kit's root.
#
# The build fails, naming the deck, its line and the file, when a file or a pattern is
# not found or the `from` pattern is ambiguous: a lesson that changed under a slide is
# caught here, not in front of a class. pandoc warnings fail the build too.
#
# Output: dzslides (pandoc's slide format whose script and styles live inside the
# template), with slides/theme.css and every resource embedded: each HTML file works
# offline, opened from disk, with no network. Keys: arrows/PageUp/PageDown, Home/End,
# `o` for the overview, `f` for full screen; `deck.html#3` opens slide 3.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=build/slides
GEN=$OUT/.gen

die() { echo "slides: $*" >&2; exit 1; }

command -v pandoc >/dev/null 2>&1 || die "pandoc is missing: run 'make deps' (Debian package pandoc)"
command -v node >/dev/null 2>&1 || die "node is missing: run 'make deps'"

# pandoc >= 2.19 has --embed-resources; Debian 12's 2.17 has --self-contained (the
# same thing, deprecated later).
if pandoc --help | grep -q -- '--embed-resources'; then
  EMBED=(--embed-resources --standalone)
else
  EMBED=(--self-contained)
fi

# A deck is named by its path under slides/: 01_tcp_server.md, or pt/01_tcp_server.md
# for its Portuguese twin (a leading slides/ is accepted too).
if (( $# > 0 )); then
  decks=()
  for d in "$@"; do decks+=("slides/${d#slides/}"); done
else
  shopt -s nullglob
  decks=(slides/[0-9][0-9]_*.md slides/pt/[0-9][0-9]_*.md)
  shopt -u nullglob
fi
(( ${#decks[@]} > 0 )) || die "no decks (slides/NN_*.md) found"
for d in "${decks[@]}"; do [[ -f $d ]] || die "no such deck: $d"; done

mkdir -p "$OUT/pt" "$GEN/pt"

# ---------------------------------------------------------------- includes
# Resolve every include line of every deck into $GEN/NAME.md (all decks checked
# before pandoc runs, so one run reports every broken include).
node - "$GEN" "${decks[@]}" <<'JS'
'use strict';
const fs = require('fs');
const path = require('path');

const [genDir, ...decks] = process.argv.slice(2);
const DIRECTIVE = /^\s*<!--\s*include:\s*(.*?)\s*-->\s*$/;
const LANG = { '.cpp': 'cpp', '.hpp': 'cpp', '.h': 'cpp', '.js': 'javascript', '.sh': 'bash', '.mk': 'makefile' };
const errors = [];

// Split the directive's text into words, "strings" and /regexes/.
function tokenize(text) {
  const tokens = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) { i++; continue; }
    if (c === '"' || c === '/') {
      let j = i + 1, value = '';
      while (j < text.length && text[j] !== c) {
        if (text[j] === '\\' && j + 1 < text.length) {
          // In "strings" \x is x; in /regexes/ the backslash is kept for RegExp.
          value += c === '"' ? text[j + 1] : text[j] + text[j + 1];
          j += 2;
        } else value += text[j++];
      }
      if (j >= text.length) throw new Error(`unterminated ${c === '"' ? 'string' : 'regex'} in: ${text}`);
      tokens.push(c === '"' ? { kind: 'text', value } : { kind: 'regex', value: new RegExp(value) });
      i = j + 1;
    } else {
      let j = i;
      while (j < text.length && !/\s/.test(text[j])) j++;
      tokens.push({ kind: 'word', value: text.slice(i, j) });
      i = j;
    }
  }
  return tokens;
}

function parse(text) {
  const tokens = tokenize(text);
  if (!tokens.length || tokens[0].kind !== 'word') throw new Error('include: needs a file path first');
  const spec = { file: tokens[0].value, from: [], to: [], flags: new Set() };
  let list = null;
  for (const t of tokens.slice(1)) {
    if (t.kind === 'word' && (t.value === 'from' || t.value === 'to')) list = spec[t.value];
    else if (t.kind === 'word') {
      if (!['skip-comments', 'no-numbers'].includes(t.value)) throw new Error(`unknown word '${t.value}'`);
      spec.flags.add(t.value);
      list = null;
    } else if (list) list.push(t);
    else throw new Error('a pattern must follow "from" or "to"');
  }
  if (!spec.from.length || !spec.to.length) throw new Error('needs: from PATTERN... to PATTERN...');
  return spec;
}

const show = (p) => (p.kind === 'regex' ? String(p.value) : JSON.stringify(p.value));
const matches = (p, line) => (p.kind === 'regex' ? p.value.test(line) : line.includes(p.value));

// First line index >= start matching p, or throw.
function find(lines, p, start, file) {
  for (let i = start; i < lines.length; i++) if (matches(p, lines[i])) return i;
  throw new Error(`pattern ${show(p)} not found in ${file}` + (start > 0 ? ` after line ${start}` : ''));
}

function excerpt(spec) {
  if (!fs.existsSync(spec.file)) throw new Error(`no such file: ${spec.file}`);
  const lines = fs.readFileSync(spec.file, 'utf8').split('\n');
  const first = spec.from[0];
  const hits = lines.map((l, i) => (matches(first, l) ? i + 1 : 0)).filter(Boolean);
  if (hits.length === 0) throw new Error(`pattern ${show(first)} not found in ${spec.file}`);
  if (hits.length > 1) throw new Error(`pattern ${show(first)} matches lines ${hits.join(', ')} of ${spec.file}; make it match one`);
  let start = hits[0] - 1;
  for (const p of spec.from.slice(1)) start = find(lines, p, start + 1, spec.file);
  let end = find(lines, spec.to[0], start, spec.file);
  for (const p of spec.to.slice(1)) end = find(lines, p, end + 1, spec.file);

  let body = lines.slice(start, end + 1);
  const skip = spec.flags.has('skip-comments');
  if (skip) body = body.filter((l) => !/^\s*\/\//.test(l));
  // Remove the indentation common to every non-blank line.
  const indent = Math.min(...body.filter((l) => l.trim()).map((l) => l.match(/^ */)[0].length));
  body = body.map((l) => l.slice(Math.min(indent, l.match(/^ */)[0].length)).replace(/\s+$/, ''));

  const lang = LANG[path.extname(spec.file)];
  const numbered = !skip && !spec.flags.has('no-numbers');
  const classes = [lang ? `.${lang}` : '.text', '.excerpt'];
  if (numbered) classes.push('.numberLines', `startFrom="${start + 1}"`);
  // A fence longer than any run of backticks inside the excerpt.
  const longest = Math.max(2, ...body.map((l) => Math.max(0, ...(l.match(/`+/g) || []).map((r) => r.length))));
  const fence = '`'.repeat(longest + 1);
  const range = start === end ? `${start + 1}` : `${start + 1}–${end + 1}`;
  const caption = `[${spec.file}:${range}${skip ? ' (no comments)' : ''}]{.src}`;
  return ['', caption, '', `${fence} {${classes.join(' ')}}`, ...body, fence, ''];
}

for (const deck of decks) {
  const out = [];
  const lines = fs.readFileSync(deck, 'utf8').split('\n');
  lines.forEach((line, i) => {
    const m = DIRECTIVE.exec(line);
    if (!m) { out.push(line); return; }
    try {
      out.push(...excerpt(parse(m[1])));
    } catch (err) {
      errors.push(`${deck}:${i + 1}: ${err.message}`);
    }
  });
  // slides/pt/01_x.md -> GEN/pt/01_x.md: the twins keep their folder, so names never clash.
  fs.writeFileSync(path.join(genDir, path.relative('slides', deck)), out.join('\n'));
}

if (errors.length) {
  for (const e of errors) process.stderr.write(`slides: ${e}\n`);
  process.stderr.write(`slides: ${errors.length} broken include(s); a lesson changed under its slides\n`);
  process.exit(1);
}
JS

# ---------------------------------------------------------------- pandoc
built=()
for deck in "${decks[@]}"; do
  name=${deck#slides/}
  name=${name%.md}                       # 01_tcp_server or pt/01_tcp_server
  tmp="$OUT/$name.html.tmp"
  log="$GEN/$name.pandoc.log"
  if ! pandoc "$GEN/$name.md" \
        --from markdown --to dzslides --slide-level=1 \
        "${EMBED[@]}" --css slides/theme.css --highlight-style=pygments \
        --resource-path=.:slides --fail-if-warnings \
        --output "$tmp" 2>"$log" || [[ -s $log ]]; then
    cat "$log" >&2
    rm -f "$tmp"
    die "pandoc failed or warned on $deck (see above)"
  fi
  # Offline means nothing the browser would fetch by itself: no script, style, image or
  # frame from a host (a plain link in the text, followed only on a click, is fine).
  if grep -Eq "<(script|img|link|iframe|video|audio|source|embed)[^>]*(src|href)=\"(https?:)?//" "$tmp" ||
     grep -Eq "@import|url\([\"']?(https?:)?//" "$tmp"; then
    rm -f "$tmp"
    die "$deck: the HTML refers to a remote resource; it must work offline"
  fi
  mv -f "$tmp" "$OUT/$name.html"
  built+=("$OUT/$name.html")
done

echo "slides: ${#built[@]} deck(s) in $OUT/: ${built[*]#"$OUT"/}"
