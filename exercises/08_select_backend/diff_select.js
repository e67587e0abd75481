'use strict';
// diff_select.js -- part of exercise 08_select_backend's check (check.sh runs it).
//
//   node exercises/08_select_backend/diff_select.js BINDIR SCENARIO...
//
// Runs each differential scenario (tests/diff/scenarios/SCENARIO.js under Node, and
// BINDIR/SCENARIO: the same scenario's .cpp built with your poller_select.cpp) side by
// side, and compares them as tests/integration/diff.test.js does: exit status, stdout
// trace (line by line, or per object with `// @diff compare per-object`), stderr. It
// reads the same `// @diff` directives, through the same harness (tests/diff/harness.js).
// Prints one line per scenario; on the first difference, the side-by-side report, and
// exits 1.
const fs = require('node:fs');
const path = require('node:path');
const h = require('../../tests/diff/harness.js');

const SCENARIOS = path.join(h.ROOT, 'tests', 'diff', 'scenarios');

function directives(source) {
  const o = { compare: 'lines', ports: 0, replace: [], known: [], timeout: 15000 };
  for (const line of source.split('\n')) {
    const m = /^\/\/ @diff (\S+)\s*(.*)$/.exec(line.trim());
    if (!m) continue;
    const [, key, arg] = [m[0], m[1], m[2].trim()];
    if (key === 'compare') o.compare = arg;
    else if (key === 'ports') o.ports = Number(arg);
    else if (key === 'timeout') o.timeout = Number(arg);
    else if (key === 'known') o.known.push(arg);
    else if (key === 'replace') {
      const r = /^\/(.+)\/([a-z]*)\s+(.*)$/.exec(arg);
      o.replace.push([new RegExp(r[1], r[2]), r[3]]);
    }
  }
  return o;
}

async function one(binDir, name) {
  const js = path.join(SCENARIOS, `${name}.js`);
  const o = directives(fs.readFileSync(js, 'utf8'));
  const nodePorts = [];
  const kitPorts = [];
  for (let i = 0; i < o.ports; i++) {
    nodePorts.push(await h.freePort());
    kitPorts.push(await h.freePort());
  }
  const [nodeRun, kitRun] = await Promise.all([
    h.run(process.execPath, [js, ...nodePorts.map(String)], { timeoutMs: o.timeout }),
    h.run(path.join(binDir, name), kitPorts.map(String), { timeoutMs: o.timeout }),
  ]);
  const prep = (r, ports, side) => {
    const s = h.applyKnown(o.known, side, { stdout: h.normalise(r.stdout, ports), stderr: h.normalise(r.stderr, ports) });
    return {
      r,
      out: h.nonEmptyLines(s.stdout).map((l) => o.replace.reduce((acc, [re, to]) => acc.replace(re, to), l)),
      err: h.nonEmptyLines(s.stderr),
    };
  };
  const node = prep(nodeRun, nodePorts, 'node');
  const kit = prep(kitRun, kitPorts, 'kit');
  const status = (x) => `code=${x.r.code} signal=${x.r.signal}${x.r.timedOut ? ' (timed out)' : ''}`;
  let why = null;
  if (node.r.timedOut || kit.r.timedOut) why = `timed out after ${o.timeout} ms`;
  else if (node.r.code !== kit.r.code || node.r.signal !== kit.r.signal) why = 'exit status differs';
  else why = h.compareTraces(node.out, kit.out, o.compare) || h.compareTraces(node.err, kit.err, 'lines');
  if (!why) return null;
  return [
    `scenario ${name}: ${why}`,
    '  stdout:',
    h.traceView(o.compare, 'node', node.out, 'c++ (your select backend)', kit.out),
    '  stderr:',
    h.sideBySide('node', node.err, 'c++ (your select backend)', kit.err),
    `  exit: node ${status(node)} | c++ ${status(kit)}`,
  ].join('\n');
}

(async () => {
  const [binDir, ...names] = process.argv.slice(2);
  for (const name of names) {
    const failure = await one(binDir, name);
    if (failure) {
      console.log(failure);
      h.killAll();
      process.exit(1);
    }
    console.log(`scenario ${name}: same as Node`);
  }
})().catch((err) => {
  console.log(`diff_select.js: ${err.stack}`);
  h.killAll();
  process.exit(2);
});
