#!/usr/bin/env node
'use strict';
// doctest.js -- executable documentation: runs the command blocks of a Markdown page
// that carry a `<!-- doc-test SCENARIO ... -->` mark, and checks their output against
// the page. The grammar is in tests/README.md ("Executable documentation").
//
//   node tests/docs/doctest.js lessons/01_tcp_server/README.md [--scenario NAME] [--verbose]
//
// Each scenario runs in a fresh environment, the way a student would run it:
// - a temporary copy of the kit (the files git knows, as they are in the working tree),
//   with copies of build/lessons/ and node_modules/moment (NODE_PACKAGES);
// - new network, PID and mount namespaces (loopback up, so port 8124 is free and every
//   process started in it dies with it);
// - as an unprivileged user: uid/gid 65534 when run as root (setpriv), the invoking user
//   otherwise (a nested user namespace, no capabilities);
// - two persistent bash processes: the main shell ("terminal 2") and terminal 1.
// Inside the namespaces the shells are driven by this same file run as `--agent`, PID 1
// there: when it dies (torn down, or its stdin closed because the runner was killed) the
// kernel kills every process of the scenario.
// Each command is written to its shell as `{ CMD\n} </dev/null` followed by a printf of
// a random sentinel and $? (restored before the next command, so `echo $?` works across
// `$ ` lines). Output is a pipe, not a terminal (stdout and stderr merged, as on screen).
// The copies go under /dev/shm when it is a tmpfs that allows exec (copying ~700 files to
// a disk busy with compiles took 2 s, 0.2 s there); DOCTEST_TMPDIR chooses another place.
//
// Exit status: 0 every block passed, 1 some block failed, 2 usage error or the
// environment could not be set up (the message says why).

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const crypto = require('node:crypto');
const { spawn, spawnSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..', '..');
const COMMAND_INFOS = new Set(['sh', 'console']);
const DEFAULT_TIMEOUT_S = 10;   // a main-shell block, or a wait for terminal 1's output
const FIRST_LINE_WAIT_S = 5;    // terminal=1: wait this long for its first expected line

// ------------------------------------------------------------------ parsing

/** A mark's options, or throws with a message naming the problem. */
function parseMark(text) {
  const skip = /^skip(?::\s*(.*))?$/.exec(text);
  if (skip) {
    const reason = (skip[1] || '').trim();
    if (!reason) throw new Error('`doc-test skip` needs a reason: <!-- doc-test skip: REASON -->');
    return { skip: true, reason };
  }
  const words = text.split(/\s+/).filter(Boolean);
  const scenario = words.shift();
  if (!scenario || !/^[a-z0-9-]+$/.test(scenario)) {
    throw new Error(`bad scenario name '${scenario || ''}' (want [a-z0-9-]+, or skip: REASON)`);
  }
  const mark = { skip: false, scenario, terminal: 2, expect: null, statusAny: false, timeout: null, stop: false, needsUserns: false };
  for (const w of words) {
    let m;
    if (w === 'terminal=1') mark.terminal = 1;
    else if (w === 'expect=1') mark.expect = 1;
    else if (w === 'expect') mark.expect = 2;
    else if (w === 'status=any') mark.statusAny = true;
    else if (w === 'stop=1') mark.stop = true;
    else if ((m = /^timeout=(\d+(?:\.\d+)?)$/.exec(w))) mark.timeout = Number(m[1]);
    else if (w === 'needs=userns') mark.needsUserns = true;
    else throw new Error(`unknown option '${w}' (known: terminal=1, expect=1, expect, status=any, stop=1, timeout=S, needs=userns)`);
  }
  return mark;
}

/**
 * Every fenced block of a Markdown text: { line, info, lines, mark, markText, error }.
 * `line` is the 1-based line of the opening fence; `mark` the parsed doc-test mark on
 * the line right before it (or null). Also returns errors for marks that are not
 * followed by a fence.
 */
function parsePage(text) {
  const src = text.split('\n');
  const blocks = [];
  const errors = [];
  let fence = null;
  const markRe = /^\s*<!--\s*doc-test\b\s*(.*?)\s*-->\s*$/;
  for (let i = 0; i < src.length; i++) {
    const line = src[i];
    if (fence) {
      // A block indented under a list item: its lines lose the fence's indentation.
      if (fence.close.test(line)) { blocks.push(fence.block); fence = null; } else fence.block.lines.push(line.replace(fence.indent, ''));
      continue;
    }
    const open = /^\s*(`{3,}|~{3,})\s*([^`\s]*)/.exec(line);
    if (open) {
      const close = new RegExp(`^\\s*\\${open[1][0]}{${open[1].length},}\\s*$`);
      const block = { line: i + 1, info: open[2], lines: [], mark: null, markText: null, error: null };
      const prev = i > 0 ? markRe.exec(src[i - 1]) : null;
      if (prev) {
        block.markText = prev[1];
        try { block.mark = parseMark(prev[1]); } catch (e) { block.error = e.message; }
      }
      const width = /^\s*/.exec(line)[0].length;
      fence = { close, block, indent: new RegExp(`^ {0,${width}}`) };
      continue;
    }
    if (markRe.test(line) && !/^\s*(`{3,}|~{3,})/.test(src[i + 1] || '')) {
      errors.push(`line ${i + 1}: a doc-test mark must be on the line right before a code fence`);
    }
  }
  if (fence) errors.push(`line ${fence.block.line}: code block never closed`);
  return { blocks, errors };
}

/**
 * Checks the marks of a page and groups its runnable blocks into scenarios.
 * Returns { scenarios: Map(name -> [block...]), skipped: [block], unmarked: [block], errors: [string] }.
 */
function planPage(text) {
  const { blocks, errors } = parsePage(text);
  const scenarios = new Map();
  const skipped = [];
  const unmarked = [];
  const lastSh = new Map();  // scenario -> its latest main-shell sh block
  for (const b of blocks) {
    const where = `line ${b.line}`;
    if (b.error) { errors.push(`${where}: ${b.error}`); continue; }
    const isCommand = COMMAND_INFOS.has(b.info);
    if (!b.mark) {
      if (isCommand) unmarked.push(b);
      continue;
    }
    const m = b.mark;
    if (m.skip) {
      if (!isCommand) errors.push(`${where}: doc-test skip marks a \`\`\`sh or \`\`\`console block, not \`\`\`${b.info}`);
      else skipped.push(b);
      continue;
    }
    if (m.expect !== null) {
      if (b.info !== 'text') { errors.push(`${where}: expect/expect=1 go on a \`\`\`text block, not \`\`\`${b.info}`); continue; }
      if (m.terminal === 1 || m.statusAny) { errors.push(`${where}: an expect block takes no terminal=1 or status=any`); continue; }
      if (m.expect === 2) {
        if (!lastSh.has(m.scenario)) { errors.push(`${where}: \`expect\` needs a preceding \`\`\`sh block of scenario ${m.scenario}`); continue; }
        b.expectsBlock = lastSh.get(m.scenario);
        lastSh.delete(m.scenario);  // one expect block per sh block
      }
    } else if (!isCommand) {
      errors.push(`${where}: doc-test runs \`\`\`sh or \`\`\`console blocks (or \`\`\`text with expect), not \`\`\`${b.info || '(no info string)'}`);
      continue;
    } else if (m.terminal === 1 && b.info !== 'console') {
      errors.push(`${where}: terminal=1 goes on a \`\`\`console block (its output says when the server is up)`);
      continue;
    } else if (b.info === 'console') {
      try { b.commands = parseConsole(b.lines); } catch (e) { errors.push(`${where}: ${e.message}`); continue; }
    }
    if (b.info === 'sh' && m.terminal === 2) lastSh.set(m.scenario, b);
    else if (m.terminal === 2 && m.expect === null) lastSh.delete(m.scenario);
    if (!scenarios.has(m.scenario)) scenarios.set(m.scenario, []);
    scenarios.get(m.scenario).push(b);
  }
  return { blocks, scenarios, skipped, unmarked, errors };
}

/** A console block's commands: [{ cmd, expected: [lines] }]. */
function parseConsole(lines) {
  const cmds = [];
  let cur = null;
  let inCmd = false;
  for (const line of lines) {
    if (line.startsWith('$ ') || line === '$') {
      cur = { cmd: line.slice(2), expected: [] };
      cmds.push(cur);
      inCmd = true;
    } else if (inCmd && (line.startsWith('> ') || line === '>')) {
      cur.cmd += '\n' + line.slice(2);
    } else if (!cur) {
      throw new Error(`console block: first line must be a command ("$ ..."), got '${line}'`);
    } else {
      inCmd = false;
      cur.expected.push(line);
    }
  }
  if (cmds.length === 0) throw new Error('console block without a "$ " command');
  return cmds;
}

/** The sequence of marks of a page, as comparable strings (for README/LEIAME twins). */
function markSequence(text) {
  return parsePage(text).blocks.filter((b) => b.markText !== null).map((b) => {
    if (b.mark && b.mark.skip) return `${b.info}: skip`;  // the reason is translated
    return `${b.info}: ${b.markText.replace(/\s+/g, ' ')}`;
  });
}

// ------------------------------------------------------------------ matching

function normalize(s) {
  return s
    .replace(/\r/g, '')
    .replace(/(?<!\d)\d{2}-\d{2}-\d{4} \d{1,2}-\d{2}-\d{2}(?!\d)/g, '<time>')
    .replace(/Node\.js v\d+\.\d+\.\d+/g, 'Node.js v<version>')
    // The runner feeds its shell line by line, so bash's messages name a line; in a
    // terminal they read `bash: CMD: No such file or directory`.
    .replace(/^bash: line \d+: /, 'bash: ')
    .replace(/[ \t]+$/, '');
}

function toLines(text, { keepPartial = true } = {}) {
  let lines = text.split('\n');
  if (!keepPartial || lines[lines.length - 1] === '') lines.pop();
  // bash's notes on the background jobs it reaps (`bash: line 3:  62 Killed  node -e
  // ...`) are dropped: a terminal shows them in its own form (`[1]+  Killed  ...`), at
  // the next prompt, and the pages leave them out.
  lines = lines.filter((l) => !JOB_NOTE.test(l)).map(normalize);
  while (lines.length && lines[lines.length - 1] === '') lines.pop();
  return lines;
}
const JOB_NOTE = /^bash: (line \d+: )?\s*\d+ (Killed|Terminated|Interrupt|Done|Exit \d+|Hangup|Aborted|Segmentation fault)\b/;

function expectLines(lines) {
  const out = lines.map(normalize);
  while (out.length && out[out.length - 1] === '') out.pop();
  return out;
}

const isEllipsis = (l) => l.trim() === '...';

/** Whole-sequence match: `...` matches 0+ lines. */
function matchAll(pattern, actual) {
  // memo[i][j]: pattern[i..] matches actual[j..]
  const memo = new Map();
  const go = (i, j) => {
    const key = i * 100003 + j;
    if (memo.has(key)) return memo.get(key);
    let r;
    if (i === pattern.length) r = j === actual.length;
    else if (isEllipsis(pattern[i])) r = go(i + 1, j) || (j < actual.length && go(i, j + 1));
    else r = j < actual.length && pattern[i] === actual[j] && go(i + 1, j + 1);
    memo.set(key, r);
    return r;
  };
  return go(0, 0);
}

/**
 * Contiguous match somewhere in actual[from..]: the index after the first (shortest)
 * match, or -1. Same rules as matchAll, but the match may end anywhere.
 */
function findContiguous(pattern, actual, from) {
  for (let s = from; s <= actual.length; s++) {
    const memo = new Map();
    const go = (i, j) => {  // smallest end of a match of pattern[i..] at actual[j..], or -1
      if (i === pattern.length) return j;
      const key = i * 100003 + j;
      if (memo.has(key)) return memo.get(key);
      let r = -1;
      if (isEllipsis(pattern[i])) {
        for (let k = j; k <= actual.length && r < 0; k++) r = go(i + 1, k);
      } else if (j < actual.length && pattern[i] === actual[j]) {
        r = go(i + 1, j + 1);
      }
      memo.set(key, r);
      return r;
    };
    const e = go(0, s);
    if (e >= 0) return e;
  }
  return -1;
}

/** In-order subsequence (ellipses ignored): true if every line appears, in order. */
function isSubsequence(pattern, actual) {
  let j = 0;
  for (const p of pattern) {
    if (isEllipsis(p)) continue;
    while (j < actual.length && actual[j] !== p) j++;
    if (j === actual.length) return false;
    j++;
  }
  return true;
}

/** A line diff (LCS) of expected vs actual, `...` lines shown as they are. */
function diff(expected, actual) {
  const n = expected.length;
  const m = actual.length;
  const L = Array.from({ length: n + 1 }, () => new Array(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      L[i][j] = expected[i] === actual[j] ? L[i + 1][j + 1] + 1 : Math.max(L[i + 1][j], L[i][j + 1]);
    }
  }
  const out = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && expected[i] === actual[j]) { out.push(`      ${expected[i]}`); i++; j++; } else if (j < m && (i === n || L[i][j + 1] >= L[i + 1][j])) { out.push(`    + ${actual[j]}`); j++; } else { out.push(`    - ${expected[i]}`); i++; }
  }
  return ['    (- expected by the page, + actual output; `...` matches any lines)', ...out].join('\n');
}

// ------------------------------------------------------------------ the environment

/** The packages of node_modules/ that the lessons' Node programs require. */
const NODE_PACKAGES = ['moment'];

/** Copies the kit into dir: the files git knows (tracked or new, not ignored). */
function copyKit(dir) {
  let files;
  const git = spawnSync('git', ['-C', ROOT, '-c', `safe.directory=${ROOT}`, 'ls-files', '-z', '--cached', '--others', '--exclude-standard'], { encoding: 'utf8' });
  if (git.status === 0) {
    files = git.stdout.split('\0').filter(Boolean);
  } else {
    files = [];
    const walk = (rel) => {
      for (const d of fs.readdirSync(path.join(ROOT, rel), { withFileTypes: true })) {
        const r = path.join(rel, d.name);
        if (['.git', 'build', 'node_modules', 'server_files', 'client_files'].includes(r)) continue;
        if (d.isDirectory()) walk(r); else files.push(r);
      }
    };
    walk('');
  }
  const made = new Set();
  for (const f of files) {
    if (/^(build|node_modules)(\/|$)/.test(f)) continue;
    const src = path.join(ROOT, f);
    let st;
    try { st = fs.lstatSync(src); } catch { continue; }  // deleted in the working tree
    const dst = path.join(dir, f);
    const parent = path.dirname(dst);
    if (!made.has(parent)) { fs.mkdirSync(parent, { recursive: true }); made.add(parent); }
    if (st.isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(src), dst);
    else if (st.isFile()) {
      fs.copyFileSync(src, dst);
      fs.chmodSync(dst, st.mode & 0o7777);
      fs.utimesSync(dst, st.atime, st.mtime);  // make sees the same ages as in the kit
    }
  }
  // The built programs and the Node twins' packages are copied, not linked: the
  // unprivileged user of the scenario may not be allowed to reach the real kit (a clone
  // under /root, say), and a page's commands must not be able to change the real build.
  // Of node_modules/, only what the Node twins require (moment, 4 MB): the rest, d3 and
  // playwright-core (about 20 MB), serves the trace viewer, which no page's scenario runs.
  for (const d of ['build/lessons', ...NODE_PACKAGES.map((p) => `node_modules/${p}`)]) {
    if (fs.existsSync(path.join(ROOT, d))) {
      fs.cpSync(path.join(ROOT, d), path.join(dir, d), { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
    }
  }
}

// /dev/shm (tmpfs) when there is one: copying and removing ~700 files there takes
// 0.2 s, against 2 s or more on a disk busy with compiles. DOCTEST_TMPDIR overrides.
function tempBase() {
  for (const d of [process.env.DOCTEST_TMPDIR, '/dev/shm']) {
    if (!d) continue;
    if (d === '/dev/shm' && noexec(d)) continue;  // the copy's scripts must be executable
    try { fs.accessSync(d, fs.constants.W_OK | fs.constants.X_OK); if (fs.statSync(d).isDirectory()) return d; } catch { /* next */ }
  }
  return os.tmpdir();
}

function noexec(dir) {
  try {
    return fs.readFileSync('/proc/mounts', 'utf8').split('\n').some((l) => {
      const f = l.split(' ');
      return f[1] === dir && f[3].split(',').includes('noexec');
    });
  } catch { return true; }
}

function chownTree(p, uid, gid) {
  fs.lchownSync(p, uid, gid);
  const st = fs.lstatSync(p);
  if (st.isDirectory()) for (const e of fs.readdirSync(p)) chownTree(path.join(p, e), uid, gid);
}

function findProgram(name) {
  for (const d of (process.env.PATH || '').split(':').concat(['/usr/sbin', '/sbin', '/usr/bin', '/bin'])) {
    const p = path.join(d || '.', name);
    try { fs.accessSync(p, fs.constants.X_OK); return p; } catch { /* next */ }
  }
  return null;
}

// Scenarios still running (unshare's process group -> temp dir): if this process exits
// half-way, they are killed and removed. (If it is killed outright, the agent sees its
// stdin close and exits; PID 1 of the namespace gone, the kernel kills the rest.)
const live = new Map();
process.on('exit', () => {
  for (const [pid, tmp] of live) {
    try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ }
    try { fs.rmSync(tmp, { recursive: true, force: true }); } catch { /* best effort */ }
  }
});

/**
 * One scenario's environment: a temp copy of the kit and the namespaces with two shells.
 * Methods: start(), run(terminal, cmd, timeoutS) -> { out, status }, send(terminal, text),
 * output(terminal), signal(terminal, sig), close().
 */
class Environment {
  constructor() {
    this.tmp = fs.mkdtempSync(path.join(tempBase(), 'doctest-'));
    this.kit = path.join(this.tmp, 'kit');
    this.home = path.join(this.tmp, 'home');
    this.token = crypto.randomBytes(6).toString('hex');
    this.buf = { 1: Buffer.alloc(0), 2: Buffer.alloc(0) };
    this.mainPos = 0;  // bytes of the main shell's output already attributed to a command
    this.stderr = '';
    this.proc = null;
    this.exited = null;
    this.waiters = new Set();
  }

  async start() {
    for (const p of ['unshare', 'ip', 'bash']) {
      if (!findProgram(p)) throw new Error(`doc-test environment: '${p}' not found (util-linux, iproute2, bash needed)`);
    }
    fs.mkdirSync(this.kit);
    fs.mkdirSync(this.home);
    copyKit(this.kit);
    const ip = findProgram('ip');
    const envArgs = [
      'env', '-i',
      `PATH=${[...new Set([path.dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin', '/usr/local/sbin', '/usr/sbin', '/sbin'])].join(':')}`,
      `HOME=${this.home}`, 'LANG=C.UTF-8', 'TERM=dumb', 'QUOTING_STYLE=shell-escape',
      process.execPath, path.join(this.kit, 'tests', 'docs', 'doctest.js'), '--agent', this.tmp,
    ];
    const q = (a) => `'${a.replace(/'/g, "'\\''")}'`;
    let drop;
    const uid = process.getuid();
    if (uid === 0) {
      chownTree(this.tmp, 65534, 65534);
      drop = `exec setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all ${envArgs.map(q).join(' ')}`;
    } else {
      drop = `exec unshare --user --map-user=${uid} --map-group=${process.getgid()} ${envArgs.map(q).join(' ')}`;
    }
    const inner = `${q(ip)} link set lo up || { echo "doc-test: cannot bring up lo in the new network namespace" >&2; exit 97; }; cd ${q(this.kit)} && ${drop}`;
    const ns = ['--net', '--pid', '--fork', '--kill-child', '--mount-proc'];
    const args = uid === 0 ? [...ns, '--', 'sh', '-c', inner] : ['--user', '--map-root-user', ...ns, '--', 'sh', '-c', inner];
    this.proc = spawn('unshare', args, { cwd: this.kit, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    live.set(this.proc.pid, this.tmp);
    this.exited = new Promise((resolve) => this.proc.on('close', (code, sig) => {
      live.delete(this.proc.pid);
      this.exitInfo = { code, sig };
      this.wake();
      resolve();
    }));
    this.proc.stderr.on('data', (d) => { this.stderr += d; });
    let pending = '';
    let ready;
    const readyP = new Promise((r) => { ready = r; });
    this.proc.stdout.on('data', (d) => {
      pending += d;
      let nl;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const msg = JSON.parse(pending.slice(0, nl));
        pending = pending.slice(nl + 1);
        if (msg.ready) ready();
        else if (msg.stopped) this.stopped = (this.stopped || 0) + 1;
        else if (msg.t) this.buf[msg.t] = Buffer.concat([this.buf[msg.t], Buffer.from(msg.d, 'base64')]);
        this.wake();
      }
    });
    this.proc.stdin.on('error', () => {});
    let timer;
    const ok = await Promise.race([
      readyP.then(() => true),
      this.exited.then(() => false),
      new Promise((r) => { timer = setTimeout(() => r(false), 10000); }),
    ]);
    clearTimeout(timer);
    if (!ok) {
      throw new Error(
        'doc-test environment: could not start the scenario in new network/PID namespaces as an unprivileged user.\n' +
        `  command: unshare ${args.join(' ')}\n  said: ${this.stderr.trim() || '(nothing)'}\n` +
        '  It needs unshare(2) with CLONE_NEWNET|CLONE_NEWPID: run as root, or as a user with unprivileged\n' +
        '  user namespaces enabled (sysctl kernel.unprivileged_userns_clone=1, user.max_user_namespaces > 0,\n' +
        '  and no AppArmor restriction), and util-linux >= 2.38 (unshare --map-user).',
      );
    }
  }

  wake() { for (const w of this.waiters) w(); }

  /**
   * Resolves true when cond() holds, false after timeoutS or when the namespace is gone.
   * Checked on new output, at most every 50 ms (a server may print thousands of lines).
   */
  waitFor(cond, timeoutS) {
    return new Promise((resolve) => {
      if (cond()) return resolve(true);
      const end = Date.now() + timeoutS * 1000;
      let dirty = false;
      const w = () => { dirty = true; };
      this.waiters.add(w);
      const tick = setInterval(() => {
        const done = Date.now() >= end || this.exitInfo;
        if (dirty || done) {
          dirty = false;
          const ok = cond();
          if (ok || done) { clearInterval(tick); this.waiters.delete(w); resolve(ok); }
        }
      }, 50);
    });
  }

  /**
   * Ctrl-C in terminal 1, as the page asks the student to do: SIGINT to its process
   * group, SIGKILL after 2 s if something is left, then a new shell there (a
   * non-interactive bash ends with its interrupted job). Resolves once it is ready.
   */
  async stop1() {
    const before = this.stopped || 0;
    this.proc.stdin.write(JSON.stringify({ op: 'stop', t: 1 }) + '\n');
    await this.waitFor(() => (this.stopped || 0) > before, 5);
  }

  send(t, data) { this.proc.stdin.write(JSON.stringify({ op: 'w', t, d: data }) + '\n'); }
  signal(t, sig) { this.proc.stdin.write(JSON.stringify({ op: 'kill', t, sig }) + '\n'); }
  output(t) { return this.buf[t].toString('utf8'); }

  /** Runs cmd in the main shell; resolves { out, status } or { out, timedOut: true }. */
  async run(cmd, timeoutS) {
    const tag = `\x1eDT${this.token} `;
    this.send(2, `__dt_ret "$__dt_rc"; { ${cmd}\n} </dev/null; __dt_rc=$?; printf '${tag.replace('\x1e', '\\036')}%d\\036' "$__dt_rc"\n`);
    let found = null;
    const re = new RegExp(`\x1eDT${this.token} (\\d+)\x1e`);
    const ok = await this.waitFor(() => {
      const rest = this.buf[2].subarray(this.mainPos).toString('utf8');
      const m = re.exec(rest);
      if (m) found = { idx: m.index, len: m[0].length, status: Number(m[1]), rest };
      return Boolean(m);
    }, timeoutS);
    if (!ok || !found) {
      return { out: this.buf[2].subarray(this.mainPos).toString('utf8'), timedOut: true };
    }
    const out = found.rest.slice(0, found.idx);
    this.mainPos += Buffer.byteLength(found.rest.slice(0, found.idx + found.len));
    return { out, status: found.status };
  }

  async close() {
    if (this.proc && !this.exitInfo) {
      try { process.kill(-this.proc.pid, 'SIGKILL'); } catch { /* gone */ }
      await this.exited;
    }
    fs.rmSync(this.tmp, { recursive: true, force: true });
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ------------------------------------------------------------------ the agent (inside the namespaces)

function agent() {
  const shells = {};
  const out = (t) => (d) => process.stdout.write(JSON.stringify({ t, d: d.toString('base64') }) + '\n');
  const spawnShell = (t) => {
    const sh = spawn('bash', ['--norc', '--noprofile'], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    sh.stdout.on('data', out(t));
    sh.stderr.on('data', out(t));  // only until `exec 2>&1` below
    sh.stdin.on('error', () => {});
    sh.stdin.write('exec 2>&1; __dt_rc=0; __dt_ret() { return "$1"; }\n');
    sh.gone = new Promise((r) => sh.on('close', r));
    shells[t] = sh;
  };
  for (const t of [1, 2]) spawnShell(t);
  const stop = async (t) => {
    const sh = shells[t];
    try { process.kill(-sh.pid, 'SIGINT'); } catch { /* gone */ }
    const timer = setTimeout(() => { try { process.kill(-sh.pid, 'SIGKILL'); } catch { /* gone */ } }, 2000);
    sh.stdin.end();
    await sh.gone;
    clearTimeout(timer);
    spawnShell(t);
    process.stdout.write(JSON.stringify({ stopped: t }) + '\n');
  };
  let pending = '';
  process.stdin.on('data', (d) => {
    pending += d;
    let nl;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const msg = JSON.parse(pending.slice(0, nl));
      pending = pending.slice(nl + 1);
      const sh = shells[msg.t];
      if (msg.op === 'w') sh.stdin.write(msg.d);
      else if (msg.op === 'kill') { try { process.kill(-sh.pid, msg.sig); } catch { /* gone */ } }
      else if (msg.op === 'stop') stop(msg.t);
    }
  });
  // stdin closes when the runner is gone without tearing the scenario down (killed):
  // stop the shells and remove the temporary copy ourselves (it is ours, see start()).
  process.stdin.on('end', () => {
    for (const sh of Object.values(shells)) { try { process.kill(-sh.pid, 'SIGKILL'); } catch { /* gone */ } }
    const tmp = process.argv[3];
    if (tmp && path.basename(tmp).startsWith('doctest-')) {
      process.chdir('/');
      try { fs.rmSync(tmp, { recursive: true, force: true, maxRetries: 3 }); } catch { /* best effort */ }
    }
    process.exit(0);
  });
  process.stdout.write(JSON.stringify({ ready: true }) + '\n');
}

// ------------------------------------------------------------------ running a scenario

/**
 * Runs one scenario's blocks. Returns [{ block, ok, what, detail }] in page order,
 * one per block; `what` names the block, `detail` explains a failure.
 */
async function runScenario(blocks, { verbose = false, log = () => {} } = {}) {
  const env = new Environment();
  const results = [];
  const report = (block, ok, detail = '', what = '') => {
    const r = { block, ok, detail, what: what || describe(block) };
    results.push(r);
    log(r);
  };
  const t1 = { blocks: [], cursor: 0 };  // terminal=1 blocks not checked yet; expect=1 cursor (lines)
  const t1Lines = (final) => toLines(env.output(1), { keepPartial: final });

  const checkTerminal1Blocks = async (final) => {
    for (const { block, start } of t1.blocks) {
      const pattern = expectLines(block.commands.flatMap((c) => c.expected));
      const lines = () => toLines(env.output(1).slice(start), { keepPartial: final });
      const ok = await env.waitFor(() => isSubsequence(pattern, lines()), block.mark.timeout ?? DEFAULT_TIMEOUT_S);
      report(block, ok, ok ? '' : `  terminal 1 did not print these lines, in this order:\n${diff(pattern, lines())}`);
    }
    t1.blocks = [];
  };

  let aborted = null;
  try {
    await env.start();
    for (const block of blocks) {
      if (aborted) { report(block, false, `  not run: ${aborted}`); continue; }
      const m = block.mark;
      const timeout = m.timeout ?? DEFAULT_TIMEOUT_S;
      // Ctrl-C in terminal 1 first: asked for (stop=1), or implied by a new terminal=1
      // block while an earlier one still runs there. What it printed is checked first.
      if (m.stop || (m.terminal === 1 && t1.started)) {
        await checkTerminal1Blocks(false);
        await env.stop1();
        t1.started = false;
      }
      if (m.terminal === 1) {
        t1.started = true;
        const start = env.output(1).length;
        for (const c of block.commands) env.send(1, `{ ${c.cmd}\n} </dev/null\n`);
        const first = expectLines(block.commands.flatMap((c) => c.expected)).find((l) => !isEllipsis(l) && l !== '');
        if (first !== undefined) {
          await env.waitFor(() => toLines(env.output(1).slice(start), { keepPartial: false }).includes(first), Math.min(FIRST_LINE_WAIT_S, timeout));
        }
        t1.blocks.push({ block, start });
      } else if (m.expect === 1) {
        await checkTerminal1Blocks(false);
        const pattern = expectLines(block.lines);
        let end = -1;
        const ok = await env.waitFor(() => (end = findContiguous(pattern, t1Lines(false), t1.cursor)) >= 0, timeout);
        if (ok) t1.cursor = end;
        report(block, ok, ok ? '' : `  terminal 1 did not print these lines (since the previous check):\n${diff(pattern, t1Lines(false).slice(t1.cursor))}`);
      } else if (m.expect === 2) {
        const ran = block.expectsBlock.ran;
        if (!ran) { report(block, false, '  its ```sh block did not run'); continue; }
        const pattern = expectLines(block.lines);
        const actual = toLines(ran.out);
        const ok = matchAll(pattern, actual);
        report(block, ok, ok ? '' : `  output of the \`\`\`sh block at line ${block.expectsBlock.line}:\n${diff(pattern, actual)}`);
      } else if (block.info === 'sh') {
        const r = await env.run(block.lines.join('\n'), timeout);
        block.ran = r;
        if (verbose) log({ verbose: `$ (sh block, line ${block.line})\n${r.out}` });
        if (r.timedOut) {
          aborted = `the sh block at line ${block.line} was still running after ${timeout} s`;
          report(block, false, `  still running after ${timeout} s (timeout=S raises the limit); output so far:\n${indent(r.out)}`);
        } else {
          const ok = m.statusAny || r.status === 0;
          report(block, ok, ok ? '' : `  exit status ${r.status} (want 0; status=any accepts any); output:\n${indent(r.out)}`);
        }
      } else {  // console, main shell
        const problems = [];
        for (const c of block.commands) {
          const r = await env.run(c.cmd, timeout);
          if (verbose) log({ verbose: `$ ${c.cmd}\n${r.out}` });
          if (r.timedOut) {
            aborted = `'${c.cmd}' (line ${block.line}) was still running after ${timeout} s`;
            problems.push(`  $ ${c.cmd}\n  still running after ${timeout} s (timeout=S raises the limit); output so far:\n${indent(r.out)}`);
            break;
          }
          const pattern = expectLines(c.expected);
          const actual = toLines(r.out);
          if (!matchAll(pattern, actual)) problems.push(`  $ ${c.cmd}\n${diff(pattern, actual)}`);
        }
        report(block, problems.length === 0, problems.join('\n'));
      }
    }
    if (!aborted) await checkTerminal1Blocks(false);
    else for (const { block } of t1.blocks) report(block, false, `  not checked: ${aborted}`);
    t1.blocks = [];
    if (verbose) log({ verbose: `terminal 1 printed:\n${env.output(1)}` });
  } catch (e) {
    results.push({ block: null, ok: false, what: 'environment', detail: e.message });
    log(results[results.length - 1]);
  } finally {
    if (env.proc && !env.exitInfo) {
      env.signal(1, 'SIGINT');  // Ctrl-C in terminal 1
      await sleep(300);
      env.signal(1, 'SIGKILL');
    }
    await env.close();  // kills everything left in the namespaces
  }
  return results;
}

function indent(s) { return s.split('\n').map((l) => `    | ${l}`).join('\n'); }

function describe(b) {
  const m = b.mark;
  let kind = `\`\`\`${b.info}`;
  if (m.terminal === 1) kind += ' in terminal 1';
  if (m.expect === 1) kind += ' expect=1 (terminal 1 output)';
  if (m.expect === 2) kind += ' expect (output of the sh block above)';
  const first = b.info === 'console' ? `$ ${b.commands[0].cmd.split('\n')[0]}` : (b.lines.find((l) => l.trim()) || '').trim();
  return `line ${b.line} ${kind}: ${first.length > 70 ? first.slice(0, 67) + '...' : first}`;
}

/** A text report of a scenario's results, in page order. */
function formatResults(results) {
  return [...results].sort((a, b) => (a.block ? a.block.line : 0) - (b.block ? b.block.line : 0)).map((r) => `${r.ok ? 'PASS' : 'FAIL'}  ${r.what}${r.ok ? '' : '\n' + r.detail}`).join('\n');
}

// ------------------------------------------------------------------ command line

async function main(argv) {
  if (argv[0] === '--agent') return agent();
  process.stdout.on('error', (e) => { if (e.code === 'EPIPE') process.exit(1); throw e; });  // | head
  const usage = 'usage: node tests/docs/doctest.js PAGE.md [--scenario NAME] [--verbose]';
  let page = null;
  let only = null;
  let verbose = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--scenario') only = argv[++i];
    else if (argv[i] === '--verbose' || argv[i] === '-v') verbose = true;
    else if (argv[i] === '--help' || argv[i] === '-h') { console.log(usage); return 0; } else if (!page) page = argv[i];
    else { console.error(usage); return 2; }
  }
  if (!page || (argv.includes('--scenario') && !only)) { console.error(usage); return 2; }
  let text;
  try { text = fs.readFileSync(page, 'utf8'); } catch (e) { console.error(`doctest: ${e.message}`); return 2; }
  const plan = planPage(text);
  let failed = false;
  for (const e of plan.errors) { console.log(`FAIL  ${page}: ${e}`); failed = true; }
  for (const b of plan.unmarked) { console.log(`FAIL  ${page}: line ${b.line}: \`\`\`${b.info} block without a doc-test or doc-test skip mark`); failed = true; }
  for (const b of plan.skipped) console.log(`SKIP  line ${b.line} \`\`\`${b.info}: ${b.mark.reason}`);
  const names = [...plan.scenarios.keys()].filter((n) => !only || n === only);
  if (only && names.length === 0) { console.error(`doctest: no scenario '${only}' in ${page} (have: ${[...plan.scenarios.keys()].join(', ') || 'none'})`); return 2; }
  for (const name of names) {
    console.log(`== scenario ${name}`);
    const t0 = Date.now();
    const results = await runScenario(plan.scenarios.get(name), {
      verbose,
      log: (r) => {
        if (r.verbose) console.log(r.verbose.split('\n').map((l) => `  . ${l}`).join('\n'));
        else console.log(`${r.ok ? 'PASS' : 'FAIL'}  ${r.what}${r.ok ? '' : '\n' + r.detail}`);
      },
    });
    if (results.some((r) => !r.ok)) failed = true;
    if (results.some((r) => r.what === 'environment')) return 2;
    console.log(`   (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  }
  return failed ? 1 : 0;
}

module.exports = { parsePage, planPage, parseConsole, markSequence, runScenario, formatResults, normalize, matchAll, findContiguous, isSubsequence };

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => { if (typeof code === 'number') process.exitCode = code; }, (e) => {
    console.error(e.stack || String(e));
    process.exitCode = 2;
  });
}
