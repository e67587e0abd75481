'use strict';
// diff.test.js: differential event traces. Every scenario is written twice, as a
// Node.js program (tests/diff/scenarios/NAME.js) and as its C++ twin on posix_impl
// (tests/diff/scenarios/NAME.cpp, built by `make` into build/tests/diff/NAME). Both
// print one line per event ("conn data 10", "client close true"); this file runs both
// and compares what they print. One test per scenario, named after it.
//
//   node --test tests/integration/diff.test.js          (after `make`)
//   DIFF_ONLY=tcp_reset,timers_io node --test tests/integration/diff.test.js
//
// How to add a scenario is described in tests/README.md.
//
// What is compared, for each scenario:
//   - the exit status (code and signal);
//   - stdout, line by line: in order ("compare lines", the default), or per object
//     ("compare per-object"): the lines are grouped by their first word (the object:
//     client, conn, server...) and each group is compared in order, so the two sides
//     of a connection living in one process may interleave differently;
//   - stderr, line by line.
// Both sides get the standard normalisation of tests/diff/harness.js (ports passed in
// argv print as PORT1..., Node's "    at ..." stack lines are removed, the runtime's
// name on the last line of a fatal report becomes "<runtime>").
//
// Directives: lines of the scenario's .js file of the form `// @diff NAME ARGS`:
//   // @diff compare per-object        compare per object instead of in order
//   // @diff ports N                   pass N free ports in argv (free for TCP and UDP)
//   // @diff replace /RE/FLAGS TEXT     rewrite both sides' stdout lines: only for what
//                                      the machine decides, not the kit (EAI_AGAIN...)
//   // @diff known RULE                 accept one documented difference, a rule of
//                                      KNOWN_DIFFERENCES in tests/diff/harness.js
//   // @diff timeout MS                 per-run time limit (default 15000)
// A scenario whose trace shows a documented difference has an expectation file,
// NAME.expected (tests/README.md says how to write one): the runner then checks that
// Node prints its [node] section and the kit its [kit] section, and that the two
// still differ (once the kit is fixed, the expectation file must go).
//
// Scenarios run a few at a time (DIFF_CONCURRENCY, default 3), each with its Node and
// C++ runs side by side, on ports of their own. No retries: a flaky scenario fails.

const { describe, it, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const h = require('../diff/harness.js');

const SCENARIOS = path.join(h.ROOT, 'tests', 'diff', 'scenarios');
const BINARIES = path.join(h.ROOT, 'build', 'tests', 'diff');
const DEFAULT_TIMEOUT_MS = 15000;
const CONCURRENCY = Number(process.env.DIFF_CONCURRENCY || 3);

after(h.killAll);

// ---------------------------------------------------------------- scenarios

function discover() {
  const names = new Set();
  for (const f of fs.readdirSync(SCENARIOS)) {
    const m = /^(.+)\.(js|cpp)$/.exec(f);
    if (m) names.add(m[1]);
  }
  let list = [...names].sort();
  if (process.env.DIFF_ONLY) {
    const only = new Set(process.env.DIFF_ONLY.split(',').map((s) => s.trim()));
    list = list.filter((n) => only.has(n));
  }
  return list;
}

function parseDirectives(name, source) {
  const options = { compare: 'lines', ports: 0, replace: [], known: [], timeout: DEFAULT_TIMEOUT_MS };
  for (const line of source.split('\n')) {
    const m = /^\/\/ @diff (\S+)\s*(.*)$/.exec(line.trim());
    if (!m) continue;
    const [, key, rest] = m;
    const arg = rest.trim();
    if (key === 'compare') {
      if (arg !== 'lines' && arg !== 'per-object') throw new Error(`${name}: @diff compare ${arg}?`);
      options.compare = arg;
    } else if (key === 'ports') {
      options.ports = Number(arg);
    } else if (key === 'timeout') {
      options.timeout = Number(arg);
    } else if (key === 'replace') {
      const r = /^\/(.+)\/([a-z]*)\s+(.*)$/.exec(arg);
      if (!r) throw new Error(`${name}: @diff replace wants /RE/FLAGS TEXT, got "${arg}"`);
      options.replace.push([new RegExp(r[1], r[2]), r[3]]);
    } else if (key === 'known') {
      if (!h.KNOWN_DIFFERENCES[arg]) throw new Error(`${name}: @diff known ${arg}: no such rule in harness.js`);
      options.known.push(arg);
    } else {
      throw new Error(`${name}: unknown directive @diff ${key}`);
    }
  }
  return options;
}

// NAME.expected: '#' comment lines, then a [node] section and a [kit] section.
function parseExpected(file) {
  const sections = { node: null, kit: null };
  let current = null;
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^\[(node|kit)\]$/.exec(line.trim());
    if (m) {
      current = m[1];
      sections[current] = [];
    } else if (current && line !== '') {
      sections[current].push(line);
    }
  }
  if (!sections.node || !sections.kit) throw new Error(`${file}: needs a [node] and a [kit] section`);
  return sections;
}

function report(name, mode, what, node, kit, extra = '') {
  const exit = (r) => `code=${r.code} signal=${r.signal}${r.timedOut ? ' (timed out)' : ''}`;
  return [
    `scenario ${name}: ${what} (compare: ${mode})`,
    extra,
    `  stdout${mode === 'per-object' ? ', per object' : ''}:`,
    h.traceView(mode, 'node', node.stdoutLines, 'c++', kit.stdoutLines),
    '  stderr:',
    h.sideBySide('node', node.stderrLines, 'c++', kit.stderrLines),
    `  exit: node ${exit(node)} | c++ ${exit(kit)}`,
  ].filter((s) => s !== '').join('\n');
}

// ---------------------------------------------------------------- one scenario

async function runScenario(name) {
  const jsFile = path.join(SCENARIOS, `${name}.js`);
  const cppFile = path.join(SCENARIOS, `${name}.cpp`);
  const binary = path.join(BINARIES, name);
  assert.ok(fs.existsSync(jsFile), `${name}: ${jsFile} is missing (a scenario is a .js and a .cpp)`);
  assert.ok(fs.existsSync(cppFile), `${name}: ${cppFile} is missing (a scenario is a .js and a .cpp)`);
  assert.ok(fs.existsSync(binary), `${name}: ${binary} is missing: run make`);
  const options = parseDirectives(name, fs.readFileSync(jsFile, 'utf8'));
  const expectedFile = path.join(SCENARIOS, `${name}.expected`);
  const expected = fs.existsSync(expectedFile) ? parseExpected(expectedFile) : null;

  const nodePorts = [];
  const kitPorts = [];
  for (let i = 0; i < options.ports; i++) {
    nodePorts.push(await h.freePort());
    kitPorts.push(await h.freePort());
  }
  const [nodeRun, kitRun] = await Promise.all([
    h.run(process.execPath, [jsFile, ...nodePorts.map(String)], { timeoutMs: options.timeout }),
    h.run(binary, kitPorts.map(String), { timeoutMs: options.timeout }),
  ]);

  const prepare = (r, ports, side) => {
    const streams = h.applyKnown(options.known, side, {
      stdout: h.normalise(r.stdout, ports),
      stderr: h.normalise(r.stderr, ports),
    });
    return {
      code: r.code,
      signal: r.signal,
      timedOut: r.timedOut,
      stdoutLines: h.nonEmptyLines(streams.stdout)
        .map((l) => options.replace.reduce((acc, [re, to]) => acc.replace(re, to), l)),
      stderrLines: h.nonEmptyLines(streams.stderr),
    };
  };
  const node = prepare(nodeRun, nodePorts, 'node');
  const kit = prepare(kitRun, kitPorts, 'kit');
  const mode = options.compare;

  if (node.timedOut || kit.timedOut) assert.fail(report(name, mode, `timed out after ${options.timeout} ms`, node, kit));
  if (node.code !== kit.code || node.signal !== kit.signal) assert.fail(report(name, mode, 'exit status differs', node, kit));

  if (expected) {
    // A documented difference: each side must print exactly its expected trace.
    const nodeDiff = h.compareTraces(expected.node, node.stdoutLines, mode);
    if (nodeDiff) {
      assert.fail(report(name, mode, `Node's trace is not the [node] section of ${name}.expected`, node, kit,
        `  ${nodeDiff}\n  [node] section and Node's trace:\n` +
        h.traceView(mode, 'expected [node]', expected.node, 'node', node.stdoutLines)));
    }
    const kitDiff = h.compareTraces(expected.kit, kit.stdoutLines, mode);
    if (kitDiff) {
      assert.fail(report(name, mode, `the kit's trace is not the [kit] section of ${name}.expected`, node, kit,
        `  ${kitDiff}\n  [kit] section and the kit's trace:\n` +
        h.traceView(mode, 'expected [kit]', expected.kit, 'c++', kit.stdoutLines)));
    }
    if (h.compareTraces(expected.node, expected.kit, mode) === null) {
      assert.fail(`${name}.expected: its [node] and [kit] sections no longer differ; remove the file`);
    }
  } else {
    const diff = h.compareTraces(node.stdoutLines, kit.stdoutLines, mode);
    if (diff) assert.fail(report(name, mode, 'stdout traces differ', node, kit, `  ${diff}`));
  }
  const stderrDiff = h.compareTraces(node.stderrLines, kit.stderrLines, 'lines');
  if (stderrDiff) assert.fail(report(name, mode, 'stderr differs', node, kit, `  ${stderrDiff}`));
  if (node.stdoutLines.length === 0) assert.fail(`${name}: the scenario printed nothing`);
}

// ---------------------------------------------------------------- the tests

describe('differential traces: Node.js v20 and posix_impl', { concurrency: CONCURRENCY }, () => {
  for (const name of discover()) {
    it(name, () => runScenario(name));
  }
});
