// lesson00.test.js: lesson 00's C++ program and its Node.js twin print the same lines
// in the same order.
//
//   node --test tests/integration/lesson00.test.js      (after `make`)
//
// Both programs run as real processes. Neither needs a port; main.js makes and
// removes its own directory under os.tmpdir(). Every child is waited for (its 'close'
// event comes after it exited and was reaped), and killed first if it overruns.
'use strict';

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const BINARY = path.join(ROOT, 'build', 'lessons', '00_event_loop');
const TWIN = path.join(ROOT, 'lessons', '00_event_loop', 'main.js');
const TIMEOUT_MS = 20000;

// The specification: what both programs print, in this order, on every run.
const EXPECTED = [
  'main program: starts, on the main thread',
  'main program: ends; now the event loop runs',
  "nextTick: after the main program, before the loop's first phase",
  'thread-pool job: ran on a pool thread',
  'thread-pool callback: runs on the main thread, in the poll phase',
  "I/O callback: read 'one thread, events and callbacks' in the poll phase",
  'nextTick: right after the I/O callback',
  'setImmediate: check phase of the same turn',
  'setTimeout 0: timers phase of a later turn',
  'exit: nothing left to wait for',
];

// Run a program to its end; resolve with its exit code, signal, stdout and stderr.
function run(command, args, env = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: ROOT,
      env: { ...process.env, KIT_TRACE: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
    child.on('error', (err) => { clearTimeout(timer); reject(err); });
    child.on('close', (code, signal) => {  // exited, reaped, and its pipes drained
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

const lines = (text) => text.split('\n').filter((l) => l !== '');

function requireBinary() {
  assert.ok(fs.existsSync(BINARY), `${BINARY} is missing: run make first`);
}

test('the Node.js twin prints the expected lines in order', async () => {
  const node = await run(process.execPath, [TWIN]);
  assert.equal(node.signal, null);
  assert.equal(node.code, 0, node.stderr);
  assert.deepEqual(lines(node.stdout), EXPECTED);
});

test('the C++ lesson prints the expected lines in order', async () => {
  requireBinary();
  const kit = await run(BINARY, []);
  assert.equal(kit.signal, null);
  assert.equal(kit.code, 0, kit.stderr);
  assert.equal(kit.stderr, '');
  assert.deepEqual(lines(kit.stdout), EXPECTED);
});

test('the C++ lesson and its Node.js twin print identical lines, run after run', async () => {
  requireBinary();
  for (let round = 0; round < 5; round++) {
    const [kit, node] = await Promise.all([run(BINARY, []), run(process.execPath, [TWIN])]);
    assert.equal(kit.code, 0, kit.stderr);
    assert.equal(node.code, 0, node.stderr);
    assert.deepEqual(lines(kit.stdout), lines(node.stdout), `round ${round}`);
  }
});

test('KIT_TRACE=1 adds the trace on stderr and leaves stdout unchanged', async () => {
  requireBinary();
  const traced = await run(BINARY, [], { KIT_TRACE: '1' });
  assert.equal(traced.code, 0, traced.stderr);
  assert.deepEqual(lines(traced.stdout), EXPECTED);
  // The README's claims: the loop sleeps in poll(2) with no timeout while the pool
  // works, goes through the check phase, and says why run() returned.
  const trace = traced.stderr.replace(/\x1b\[[0-9;]*m/g, '');
  // With KIT_POLLER=epoll the same wait reads epoll_wait(timeout=-1 (forever)) on [ 3r ].
  if (process.env.KIT_POLLER === 'epoll') assert.match(trace, /epoll_wait\(timeout=-1 \(forever\)\) on \[ \d+r \]/);
  else assert.match(trace, /poll\(\[ \d+r \], timeout=-1 \(forever\)\)/);
  assert.match(trace, /-- phase: check/);
  assert.match(trace, /loop: nothing left to wait for, run\(\) returns/);
});
