'use strict';
// harness.js: what the differential tests share (tests/integration/diff.test.js and
// tests/integration/parity.test.js): free ports, child processes, the normalisation
// of Node's and the kit's output, the rules for documented differences, and the
// side-by-side report printed when two outputs differ. See tests/README.md.

const { spawn } = require('node:child_process');
const dgram = require('node:dgram');
const net = require('node:net');
const path = require('node:path');
const { deadTcpPort } = require('../integration/helpers');

const ROOT = path.resolve(__dirname, '..', '..');

// ---------------------------------------------------------------- known differences
// Each rule rewrites one stream of each side so that one documented difference of the
// kit (docs/differences.md) does not fail a comparison. A scenario opts in with
// `// @diff known RULE`; the parity tests name the rules they apply. Nothing else is
// accepted.
const KNOWN_DIFFERENCES = {
  // docs/differences.md, "Uncaught exceptions: the report's header". Node starts the
  // report of an uncaught exception with the throwing file and line, the source line
  // and a caret under the throw; the kit has no source positions at run time and
  // prints one line naming the C++ function that caught it
  // ("posix_impl/loop.cpp, Loop::invoke: Uncaught exception"). Both headers become
  // "<uncaught-exception header>"; the rest of the report (the error, its properties,
  // the runtime line) is still compared.
  'uncaught-exception-header': {
    stream: 'stderr',
    node: (text) => text.replace(/^(?:\/|node:)[^\n]*:\d+\n[^\n]*\n *\^+ *\n/, '<uncaught-exception header>\n'),
    kit: (text) => text.replace(/^posix_impl\/loop\.cpp, Loop::invoke: Uncaught exception\n/,
      '<uncaught-exception header>\n'),
  },
  // The raw programs (lessons/NN_name/raw.cpp) do not imitate Node's crash report:
  // where Node prints its report of an unhandled 'error' or an uncaught exception and
  // exits 1, they print only the report's error line ("Error: read ECONNRESET") and
  // exit 1. Node's report is reduced to that line, which must then be the same.
  'raw-crash-line': {
    stream: 'stderr',
    node: (text) => {
      const m = /^((?:\w*Error)(?: \[[A-Z_]+\])?: .*?)(?: \{)?$/m.exec(text);
      return m ? `${m[1]}\n` : text;
    },
    kit: (text) => text,
  },
  // docs/differences.md, "console.log(err): brackets". Node prints an error whose
  // stack holds no frames (fs errors such as ENOENT) as "[Error: message] {"; the
  // kit never has frames and never prints the brackets. Node's brackets are removed.
  'error-brackets': {
    stream: 'stdout',
    node: (text) => text.replace(/^\[((?:\w*Error)(?: \[[A-Z_]+\])?: .*)\]( \{)?$/gm, '$1$2'),
    kit: (text) => text,
  },
};

// ---------------------------------------------------------------- ports

const handedOut = new Set();

function tryBind(fn) {
  return new Promise((resolve) => fn(resolve));
}

// A port free for TCP on '::' (dual-stack, so on 127.0.0.1 and ::1 too) and for UDP on
// 0.0.0.0 and '::', never handed out before by this process. Another process may still
// take it before the scenario binds it; the tests treat that as a failure, not retry.
async function freePort() {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await tryBind((done) => {
      const s = net.createServer();
      s.once('error', () => done(0));
      s.listen(0, '::', () => {
        const p = s.address().port;
        s.close(() => done(p));
      });
    });
    if (port === 0 || handedOut.has(port)) continue;
    let udpFree = true;
    for (const type of ['udp4', 'udp6']) {
      const ok = await tryBind((done) => {
        const u = dgram.createSocket(type);
        u.once('error', () => {
          u.close();
          done(false);
        });
        u.bind(port, () => u.close(() => done(true)));
      });
      udpFree = udpFree && ok;
    }
    if (!udpFree) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error('no free port found');
}

// A port where nobody listens, for a connect() that must be refused (the fuzz's
// "refused" episode). Taken below the kernel's ephemeral range (ip_local_port_range):
// a port from freePort() can be handed by the kernel to any listen(0) or connect() of
// a program running at the same time, and one was, once (make stress: fuzz seed1060,
// node "ECONNREFUSED" against c++ "connect"). Below the range only an explicit bind to
// that number can take it, and the kit's tests never bind a number of their own there.
// The search is helpers.js's (deadTcpPort), shared with the integration suites' refused
// and no-server cases.
const deadPort = deadTcpPort;

// ---------------------------------------------------------------- processes

const running = new Set();

// Kill every child still running (call from the test file's `after` hook).
function killAll() {
  for (const p of running) p.child.kill('SIGKILL');
}

// A child process whose output is collected as it arrives. `done` resolves once it has
// exited and its pipes are drained ('close'); it is killed if it outlives timeoutMs.
class Proc {
  constructor(command, args, { cwd = ROOT, timeoutMs = 15000 } = {}) {
    this.stdout = '';
    this.stderr = '';
    this.code = null;
    this.signal = null;
    this.timedOut = false;
    this.child = spawn(command, args, {
      cwd,
      env: { ...process.env, KIT_TRACE: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.add(this);
    this.waiters = [];
    const changed = () => {
      this.waiters = this.waiters.filter((w) => !w());
    };
    this.child.stdout.setEncoding('utf8').on('data', (d) => {
      this.stdout += d;
      changed();
    });
    this.child.stderr.setEncoding('utf8').on('data', (d) => {
      this.stderr += d;
      changed();
    });
    const timer = setTimeout(() => {
      this.timedOut = true;
      this.child.kill('SIGKILL');
    }, timeoutMs);
    this.done = new Promise((resolve, reject) => {
      this.child.on('error', (err) => {
        clearTimeout(timer);
        running.delete(this);
        reject(err);
      });
      this.child.on('close', (code, signal) => {
        clearTimeout(timer);
        running.delete(this);
        this.code = code;
        this.signal = signal;
        changed();
        resolve(this);
      });
    });
  }

  get exited() {
    return this.code !== null || this.signal !== null;
  }

  // Resolves once predicate(this) is true; rejects if the process ends first or after
  // timeoutMs.
  waitFor(predicate, what, timeoutMs = 10000) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`timed out waiting for ${what}\nstdout:\n${this.stdout}\nstderr:\n${this.stderr}`));
      }, timeoutMs);
      const check = () => {
        if (predicate(this)) {
          clearTimeout(timer);
          resolve(this);
          return true;
        }
        if (this.exited) {
          clearTimeout(timer);
          reject(new Error(`exited (code ${this.code}, signal ${this.signal}) before ${what}\n` +
            `stdout:\n${this.stdout}\nstderr:\n${this.stderr}`));
          return true;
        }
        return false;
      };
      if (!check()) this.waiters.push(check);
    });
  }

  async stop(signal = 'SIGTERM') {
    if (!this.exited) this.child.kill(signal);
    return this.done;
  }
}

// Run to the end.
function run(command, args, options) {
  return new Proc(command, args, options).done;
}

// ---------------------------------------------------------------- normalisation

function escapeRe(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// The normalisation both sides always get:
//   - every port in `ports` is printed as PORT1, PORT2...;
//   - Node's stack frames ("    at ...") are removed; a frame line ending in " {"
//     (the start of the error's properties) leaves that " {" on the line before;
//   - the last line of a fatal report, Node's "Node.js v20.x.y" and the kit's
//     "posix_impl (C++ twin of Node.js v20)", becomes "<runtime>";
//   - the header of the report of an 'error' event nobody listens to becomes
//     "<unhandled 'error' header>": Node's three lines name its own source
//     ("node:events:502", "      throw er; // Unhandled 'error' event", a caret), the
//     kit's one line names the C++ function that ends the process
//     (docs/differences.md, "Unhandled 'error': the report's header").
const NODE_UNHANDLED_HEADER = /^node:events:\d+\n {6}throw er; \/\/ Unhandled 'error' event\n *\^ *$/gm;
const KIT_UNHANDLED_HEADER = /^posix_impl\/events\.cpp, EventEmitter::emit: Unhandled 'error' event$/gm;
function normalise(text, ports = []) {
  let out = text
    .replace(NODE_UNHANDLED_HEADER, "<unhandled 'error' header>")
    .replace(KIT_UNHANDLED_HEADER, "<unhandled 'error' header>");
  ports.forEach((p, i) => {
    out = out.replace(new RegExp(`\\b${escapeRe(String(p))}\\b`, 'g'), `PORT${i + 1}`);
  });
  const kept = [];
  for (const line of out.split('\n')) {
    if (/^\s+at .*$/.test(line)) {
      if (line.endsWith(' {') && kept.length > 0 && !kept[kept.length - 1].endsWith(' {')) {
        kept[kept.length - 1] += ' {';
      }
      continue;
    }
    if (/^Node\.js v\d+\.\d+\.\d+$/.test(line) || line === 'posix_impl (C++ twin of Node.js v20)') {
      kept.push('<runtime>');
      continue;
    }
    kept.push(line);
  }
  return kept.join('\n');
}

// Apply the named known-difference rules to one side ('node' or 'kit').
function applyKnown(rules, side, streams) {
  const out = { ...streams };
  for (const rule of rules) {
    const k = KNOWN_DIFFERENCES[rule];
    if (!k) throw new Error(`no known-difference rule named ${rule}`);
    out[k.stream] = k[side](out[k.stream]);
  }
  return out;
}

function nonEmptyLines(text) {
  return text.split('\n').filter((l) => l !== '');
}

// Adjacent identical lines become one (the per-chunk "recebendo dados..." lines,
// whose number depends on how the kernel cut the stream).
function collapseRepeats(lines) {
  return lines.filter((l, i) => i === 0 || l !== lines[i - 1]);
}

// ---------------------------------------------------------------- reports

function objectOf(line) {
  return line.split(/\s+/, 1)[0];
}

// null when equal; else a short description of the first difference. 'lines': in
// order; 'per-object': grouped by the first word of each line, each group in order.
function compareTraces(a, b, mode = 'lines') {
  if (mode === 'lines') {
    const n = Math.max(a.length, b.length);
    for (let i = 0; i < n; i++) {
      if (a[i] !== b[i]) return `line ${i + 1}: node "${a[i] ?? '(none)'}" vs c++ "${b[i] ?? '(none)'}"`;
    }
    return null;
  }
  const group = (lines) => {
    const m = new Map();
    for (const l of lines) {
      const o = objectOf(l);
      if (!m.has(o)) m.set(o, []);
      m.get(o).push(l);
    }
    return m;
  };
  const ga = group(a);
  const gb = group(b);
  for (const o of new Set([...ga.keys(), ...gb.keys()])) {
    const la = ga.get(o) || [];
    const lb = gb.get(o) || [];
    const n = Math.max(la.length, lb.length);
    for (let i = 0; i < n; i++) {
      if (la[i] !== lb[i]) {
        return `object "${o}", its line ${i + 1}: node "${la[i] ?? '(none)'}" vs c++ "${lb[i] ?? '(none)'}"`;
      }
    }
  }
  return null;
}

// Two outputs next to each other, with a '*' on each row that differs.
function sideBySide(leftTitle, left, rightTitle, right) {
  const width = Math.min(70, Math.max(leftTitle.length, ...left.map((l) => l.length)));
  const cut = (s) => (s.length > width ? s.slice(0, width - 1) + '~' : s);
  const rows = [`      ${leftTitle.padEnd(width)} | ${rightTitle}`, `      ${'-'.repeat(width)} | ${'-'.repeat(20)}`];
  const n = Math.max(left.length, right.length);
  for (let i = 0; i < n; i++) {
    const l = left[i] ?? '';
    const r = right[i] ?? '';
    rows.push(`${String(i + 1).padStart(4)}${l === r ? ' ' : '*'} ${cut(l).padEnd(width)} | ${r}`);
  }
  return rows.join('\n');
}

// The same, object by object, as 'per-object' compares them.
function traceView(mode, leftTitle, left, rightTitle, right) {
  if (mode !== 'per-object') return sideBySide(leftTitle, left, rightTitle, right);
  const objects = [...new Set([...left, ...right].map(objectOf))];
  return objects
    .map((o) => `    [${o}]\n` + sideBySide(leftTitle, left.filter((l) => objectOf(l) === o),
      rightTitle, right.filter((l) => objectOf(l) === o)))
    .join('\n');
}

module.exports = {
  ROOT,
  KNOWN_DIFFERENCES,
  freePort,
  deadPort,
  Proc,
  run,
  killAll,
  normalise,
  applyKnown,
  nonEmptyLines,
  collapseRepeats,
  compareTraces,
  sideBySide,
  traceView,
};
