'use strict';
// trace.test.js: KIT_TRACE=json:PATH (posix_impl/trace.hpp), the machine-readable trace.
//
// Records lessons 00, 01+02 (a real upload) and 03+04 with KIT_TRACE=json, validates
// every line against tests/trace/trace.schema.json (tests/trace/validate.js), and checks
// what the records claim about the loop: the phases in libuv's order in every turn, turn
// numbers that only grow, a poll(2) that sleeps no longer than its timeout, each
// 'connection' followed by its socket's 'data'... 'end' 'close', each thread-pool job
// submitted, started and finished on one worker, then called back. Runs under both
// backends (make test runs the suite again with KIT_POLLER=epoll).

const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const h = require('./helpers');
const { loadSchema, validate } = require('../trace/validate');

const LESSON00 = path.join(h.ROOT, 'build', 'lessons', '00_event_loop');
h.requireBuilt(LESSON00, h.BIN.tcpServer, h.BIN.tcpClient, h.BIN.udpServer, h.BIN.udpClient);
after(h.killAll);

const SCHEMA = loadSchema();
const POLLER = process.env.KIT_POLLER || 'poll';
const SYSCALL = POLLER === 'epoll' ? 'epoll_wait' : 'poll';
const POOL_SIZE = Number(process.env.UV_THREADPOOL_SIZE) || 4;
const PHASES = ['timers', 'pending', 'poll', 'check', 'close'];
const TURN = PHASES.flatMap((p) => [`${p} enter`, `${p} leave`]);
// How much longer than its timeout a poll(2) may appear to sleep: the time to be
// scheduled again on a busy 2-core machine, not a part of the timeout.
const LATE_US = 200_000;
const SAVED = 'arquivo salvo com sucesso!';

// ---------------------------------------------------------------- reading a trace

// The records of a trace file; every line must be valid against the schema.
function readTrace(file) {
  const text = fs.readFileSync(file, 'utf8');
  assert.ok(text.endsWith('\n'), `${file}: the last line is cut short`);
  return text.slice(0, -1).split('\n').map((line, i) => {
    const record = JSON.parse(line);
    assert.deepEqual(validate(SCHEMA, record), [], `${path.basename(file)} line ${i + 1}: ${line}`);
    return record;
  });
}

// Wait until the file holds a record for which `pred` holds, followed by the next turn's
// poll phase: the trace is written before each poll(2) sleep, so everything up to there
// is on disk and the process can be killed without losing it.
async function untilRecorded(file, pred, what) {
  await h.until(() => {
    if (!fs.existsSync(file)) return false;
    const lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.endsWith('}'));
    const records = lines.map((l) => JSON.parse(l));
    const at = records.findIndex(pred);
    return at >= 0 && records.slice(at).some((r) => r.ev === 'phase' && r.phase === 'poll' && r.edge === 'enter' && r.it > records[at].it);
  }, 10000, what);
}

const emits = (records, kind, id) => records.filter((r) => r.ev === 'emit' && r.kind === kind && (id === undefined || r.id === id));
const bytes = (records) => records.reduce((n, r) => n + Number(/^(\d+) bytes/.exec(r.detail || '')?.[1] || 0), 0);

// ---------------------------------------------------------------- what every trace says

// The checks that hold for any kit trace. `complete`: the process exited by itself
// (a server killed while it waits has no exit record and may be in the middle of a turn).
function checkTrace(records, { complete = true } = {}) {
  assert.equal(records[0].ev, 'start', 'the first record is start');
  assert.equal(records[0].poller, POLLER);
  const pid = records[0].pid;
  for (const r of records) {
    assert.equal(r.src, 'kit');
    assert.equal(r.pid, pid, 'one process per trace file');
  }

  // Time and turn numbers never go back, also with the pool's workers writing.
  for (let i = 1; i < records.length; i++) {
    assert.ok(records[i].t >= records[i - 1].t, `t goes back at record ${i + 1}`);
    const [a, b] = [records[i - 1].it ?? -1, records[i].it ?? -1];
    assert.ok(b >= a, `it goes back from ${a} to ${b} at record ${i + 1}`);
  }

  // Each turn goes through libuv's phases in libuv's order, once each; turns are numbered 0, 1, 2...
  const turns = new Map();
  for (const r of records.filter((x) => x.ev === 'phase')) {
    if (!turns.has(r.it)) turns.set(r.it, []);
    turns.get(r.it).push(`${r.phase} ${r.edge}`);
  }
  const numbers = [...turns.keys()];
  assert.ok(numbers.length > 0, 'the loop turned at least once');
  assert.deepEqual(numbers, numbers.map((_, i) => i), 'turns numbered from 0 without a gap');
  numbers.forEach((n, i) => {
    const seen = turns.get(n);
    if (complete || i < numbers.length - 1) assert.deepEqual(seen, TURN, `turn ${n}`);
    else assert.deepEqual(seen, TURN.slice(0, seen.length), `turn ${n} (the last, cut by the kill)`);
  });

  // One poll(2) per turn, inside its poll phase; it sleeps no longer than its timeout
  // (and, when nothing was ready, at least that long); what it reports was watched.
  const polls = records.filter((r) => r.ev === 'poll');
  for (const p of polls) {
    const at = records.indexOf(p);
    const enter = records.findLastIndex((r, i) => i < at && r.ev === 'phase' && r.edge === 'enter');
    assert.equal(records[enter].phase, 'poll', `poll record of turn ${p.it} outside the poll phase`);
    assert.equal(records[enter].it, p.it);
    assert.equal(p.syscall, SYSCALL);
    if (p.timeout >= 0) {
      assert.ok(p.slept_us <= p.timeout * 1000 + LATE_US, `turn ${p.it}: slept ${p.slept_us} µs, timeout ${p.timeout} ms`);
      if (p.ready.length === 0) assert.ok(p.slept_us >= p.timeout * 1000 - 1000, `turn ${p.it}: woke after ${p.slept_us} µs with nothing ready, timeout ${p.timeout} ms`);
    }
    const watched = new Set(p.fds.map((f) => f.fd));
    for (const r of p.ready) assert.ok(watched.has(r.fd), `turn ${p.it}: fd ${r.fd} ready but not watched`);
  }
  assert.equal(polls.length, complete ? numbers.length : polls.length);
  assert.ok(polls.length >= numbers.length - 1, 'one poll record per turn');

  // A descriptor's handle label names the handle that got that descriptor.
  const owner = new Map();
  for (const r of records) {
    if (r.ev === 'handle' && r.op === 'fd') owner.set(r.fd, `${r.kind}#${r.id}`);
    if (r.ev !== 'poll') continue;
    for (const f of r.fds) if (f.handle) assert.equal(f.handle, owner.get(f.fd), `fd ${f.fd} in turn ${r.it}`);
  }

  // Every pool job: submit, start, finish (on one worker), callback, in that order.
  const jobs = new Map();
  for (const r of records.filter((x) => x.ev === 'pool')) {
    if (!jobs.has(r.job)) jobs.set(r.job, []);
    jobs.get(r.job).push(r);
  }
  for (const [job, rs] of jobs) {
    assert.deepEqual(rs.map((r) => r.op), ['submit', 'start', 'finish', 'callback'], `pool job ${job}`);
    assert.ok(rs.every((r) => r.what === rs[0].what), `job ${job} keeps its name`);
    assert.equal(rs[1].thread, rs[2].thread, `job ${job} starts and finishes on one worker`);
    assert.ok(rs[1].thread >= 0 && rs[1].thread < POOL_SIZE, `job ${job}: worker ${rs[1].thread} of ${POOL_SIZE}`);
    assert.ok(!('thread' in rs[0]) && !('thread' in rs[3]), 'submit and callback run on the loop thread');
  }

  // Each timer armed fires or is cleared.
  const armed = new Set();
  for (const r of records.filter((x) => x.ev === 'timer')) {
    if (r.op === 'arm') armed.add(r.id);
    else assert.ok(armed.delete(r.id), `timer ${r.id} ${r.op} before it was armed`);
  }
  if (complete) assert.equal(armed.size, 0, 'a timer armed and never fired nor cleared');

  // Every 'connection' is followed by its socket's 'data'... 'end', then 'close'.
  for (const c of records.filter((r) => r.ev === 'emit' && r.name === 'connection')) {
    const [, kind, id] = /^([a-z]+)#(\d+)$/.exec(c.detail);
    const after = records.slice(records.indexOf(c));
    const names = emits(after, kind, Number(id)).map((r) => r.name).filter((n) => ['data', 'end', 'close'].includes(n));
    assert.match(names.join(' '), /^(data )+end close$/, `${c.detail} after its 'connection'`);
  }

  if (complete) {
    const last = records[records.length - 1];
    assert.equal(last.ev, 'exit', 'the last record is exit');
  }
  return { turns: numbers.length, jobs };
}

// ---------------------------------------------------------------- the lessons

let lesson00 = null;  // lesson 00's records, which the last test breaks on purpose

test('lesson 00 traced as JSON: same stdout, no text on stderr, every record valid and in loop order', async () => {
  const dir = h.workDir({ serverFiles: false, clientFiles: false });
  const file = path.join(dir, '00.jsonl');
  const plain = await h.run(LESSON00, []);
  const traced = await h.run(LESSON00, [], { env: { KIT_TRACE: `json:${file}` } });
  assert.equal(traced.code, 0, traced.stderr);
  assert.equal(traced.stdout, plain.stdout);
  assert.equal(traced.stderr, '', 'the JSON trace goes to its file only');

  const records = readTrace(file);
  lesson00 = records;
  const { jobs } = checkTrace(records);
  assert.deepEqual(records[records.length - 1].code, 0);
  assert.deepEqual(records[0].argv, [LESSON00]);
  // The README's story: one pool job, called back in the poll phase; an immediate
  // run in a check phase; the setTimeout 0 (1 ms) fires in a later turn's timers phase.
  assert.equal(jobs.size, 1);
  const phaseOf = (r) => records.slice(0, records.indexOf(r)).findLast((x) => x.ev === 'phase' && x.edge === 'enter').phase;
  assert.equal(phaseOf([...jobs.values()][0][3]), 'poll');
  const run = records.filter((r) => r.ev === 'immediate' && r.op === 'run');
  assert.equal(run.length, 1);
  assert.equal(phaseOf(run[0]), 'check');
  const fired = records.filter((r) => r.ev === 'timer' && r.op === 'fire');
  assert.equal(fired.length, 1);
  assert.equal(fired[0].ms, 1);
  assert.equal(phaseOf(fired[0]), 'timers');
  assert.ok(fired[0].it > run[0].it, 'the timeout fires in a later turn than the immediate');
  assert.ok(records.some((r) => r.ev === 'tick' && r.op === 'run' && r.it === null), "the main program's nextTick runs before turn 0");
});

test('lessons 01+02 traced as JSON: an upload, from the client\'s read stream to the server\'s saved file', { timeout: 30000 }, async () => {
  const dir = h.workDir();
  const data = crypto.randomBytes(300_000);
  fs.writeFileSync(path.join(dir, 'client_files', 'client.txt'), data);
  const serverTrace = path.join(dir, 'server.jsonl');
  const clientTrace = path.join(dir, 'client.jsonl');
  const { proc: server, port } = await h.startServer(h.BIN.tcpServer, (p) => ['--port', String(p)], {
    cwd: dir, env: { KIT_TRACE: `json:${serverTrace}` }, ready: (p) => `escutando porta ${p}`,
  });
  const client = await h.run(h.BIN.tcpClient, ['--port', String(port)], { cwd: dir, env: { KIT_TRACE: `json:${clientTrace}` } });
  assert.equal(client.code, 0, client.stderr);
  await server.waitFor(SAVED);
  await untilRecorded(serverTrace, (r) => r.ev === 'pool' && r.op === 'callback' && r.what === 'writeFile', 'the server\'s trace of the save');
  await server.stop('SIGTERM');

  const s = readTrace(serverTrace);
  checkTrace(s, { complete: false });
  const [connection] = emits(s, 'server', 1).filter((r) => r.name === 'connection');
  assert.ok(connection, "the server emits 'connection'");
  const socketId = Number(connection.detail.split('#')[1]);
  assert.equal(bytes(emits(s, 'socket', socketId).filter((r) => r.name === 'data')), data.length, "the server's 'data' bytes add up to the file");
  const fd = s.find((r) => r.ev === 'handle' && r.op === 'fd' && r.id === socketId).fd;
  assert.ok(s.some((r) => r.ev === 'poll' && r.ready.some((x) => x.fd === fd) && r.fds.some((x) => x.fd === fd && x.handle === `socket#${socketId}`)),
    'a poll reports the connection ready, under its handle');
  assert.ok(s.some((r) => r.ev === 'handle' && r.op === 'close' && r.id === socketId && r.fd === fd), 'the connection closes');
  assert.equal([...new Set(s.filter((r) => r.ev === 'pool').map((r) => r.what))].join(), 'writeFile');

  const c = readTrace(clientTrace);
  const { jobs } = checkTrace(c);
  assert.equal(c[c.length - 1].code, 0);
  assert.equal(bytes(emits(c, 'readstream').filter((r) => r.name === 'data')), data.length, "the client's read stream reads the whole file");
  const names = emits(c, 'socket', 1).map((r) => r.name);
  assert.ok(names.indexOf('connect') >= 0 && names.indexOf('connect') < names.lastIndexOf('close'), `client socket: ${names}`);
  const what = [...jobs.values()].map((rs) => rs[0].what);
  assert.equal(what[0], 'lookup', "the client's first job resolves 'localhost'");
  assert.ok(what.includes('open') && what.includes('read'), `client jobs: ${what}`);
});

test('lessons 03+04 traced as JSON: one datagram, sent, received and saved', { timeout: 30000 }, async () => {
  const dir = h.workDir();
  const data = crypto.randomBytes(1400);
  fs.writeFileSync(path.join(dir, 'client_files', 'client.txt'), data);
  const serverTrace = path.join(dir, 'server.jsonl');
  const clientTrace = path.join(dir, 'client.jsonl');
  const { proc: server, port } = await h.startServer(h.BIN.udpServer, (p) => ['--port', String(p)], {
    cwd: dir, env: { KIT_TRACE: `json:${serverTrace}` }, ready: () => 'aguardando dados do cliente...',
    pickPort: () => h.freeUdpPort('udp4'),
  });
  const client = await h.run(h.BIN.udpClient, ['--port', String(port)], { cwd: dir, env: { KIT_TRACE: `json:${clientTrace}` } });
  assert.equal(client.code, 0, client.stderr);
  await server.waitFor(SAVED);
  await untilRecorded(serverTrace, (r) => r.ev === 'pool' && r.op === 'callback', 'the server\'s trace of the save');
  await server.stop('SIGTERM');

  const s = readTrace(serverTrace);
  checkTrace(s, { complete: false });
  const messages = emits(s, 'udp').filter((r) => r.name === 'message');
  assert.equal(messages.length, 1);
  assert.equal(messages[0].detail.split(',')[0], `${data.length} bytes`);
  const fd = s.find((r) => r.ev === 'handle' && r.op === 'fd' && r.kind === 'udp').fd;
  const poll = s.findLast((r) => r.ev === 'poll' && r.it <= messages[0].it);
  assert.equal(poll.it, messages[0].it, "the 'message' is emitted in the turn whose poll reported it");
  assert.deepEqual(poll.ready.map((r) => r.fd), [fd]);

  const c = readTrace(clientTrace);
  checkTrace(c);
  assert.equal(c[c.length - 1].code, 0);
  assert.ok(emits(c, 'udp').some((r) => r.name === 'close'), "the client's socket closes");
  assert.ok(c.some((r) => r.ev === 'handle' && r.op === 'close' && r.kind === 'udp'));
});

// ---------------------------------------------------------------- the edges

test('KIT_TRACE=json: with a path that cannot be opened says so once on stderr and runs untraced', async () => {
  const dir = h.workDir({ serverFiles: false, clientFiles: false });
  const plain = await h.run(LESSON00, []);
  const bad = path.join(dir, 'no', 'such', 'dir', 'trace.jsonl');
  const traced = await h.run(LESSON00, [], { env: { KIT_TRACE: `json:${bad}` } });
  assert.equal(traced.code, 0);
  assert.equal(traced.stdout, plain.stdout);
  assert.equal(traced.stderr, `KIT_TRACE: cannot open '${bad}': no such file or directory; tracing is off\n`);
  assert.ok(!fs.existsSync(bad));
});

test('KIT_TRACE=json: "%p" in the path becomes the process id (one file per process)', async () => {
  const dir = h.workDir({ serverFiles: false, clientFiles: false });
  const traced = await h.run(LESSON00, [], { env: { KIT_TRACE: `json:${path.join(dir, 't-%p-%p.jsonl')}` } });
  assert.equal(traced.code, 0, traced.stderr);
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.jsonl'));
  assert.equal(files.length, 1, files.join(' '));
  const [, a, b] = /^t-(\d+)-(\d+)\.jsonl$/.exec(files[0]) || [];
  assert.ok(a && a === b, `every %p replaced: ${files[0]}`);
  const records = readTrace(path.join(dir, files[0]));
  assert.equal(records[0].pid, Number(a), "the name's number is the pid of the records");
});

test('the schema refuses a record that breaks it (validate.js really checks)', () => {
  const good = { t: 5, pid: 7, src: 'kit', it: 0, ev: 'poll', syscall: 'poll', timeout: 3, fds: [{ fd: 3, events: 'r', handle: 'async#0' }], slept_us: 12, ready: [{ fd: 3, revents: 'r+hup' }] };
  assert.deepEqual(validate(SCHEMA, good), []);
  const broken = [
    [{ ...good, slept_us: undefined }, /'slept_us' is missing/],
    [{ ...good, fds: [{ fd: 3, events: 'x' }] }, /events: "x" is not one of/],
    [{ ...good, timeout: -2 }, /timeout: -2 is below -1/],
    [{ ...good, it: 'one' }, /it: "one" is string, not integer or null/],
    [{ ...good, extra: 1 }, /'extra' is not allowed/],
    [{ ...good, ev: 'nap' }, /./],
    [{ ...good, ready: [{ fd: 3, revents: 'hup+r' }] }, /does not match/],
    [{ ...good, estimated: false }, /estimated: false is not true/],
    [{ t: 5, pid: 7, src: 'node', it: 0, ev: 'phase', phase: 'poll', edge: 'enter', inferred: 'yes' }, /inferred: "yes" is not true/],
  ];
  // Node's side: a poll whose timeout it cannot know, its sleep estimated; a phase inferred
  const node = { ...good, src: 'node', syscall: 'epoll_wait', timeout: null, fds: [], ready: [], estimated: true };
  assert.deepEqual(validate(SCHEMA, node), []);
  assert.deepEqual(validate(SCHEMA, { t: 5, pid: 7, src: 'node', it: 0, ev: 'phase', phase: 'poll', edge: 'enter', inferred: true }), []);
  for (const [record, why] of broken) {
    const errors = validate(SCHEMA, JSON.parse(JSON.stringify(record)));
    assert.ok(errors.some((e) => why.test(e)), `${JSON.stringify(record)}: ${errors}`);
  }
  assert.throws(() => validate({ type: 'object', format: 'date' }, {}), /keyword 'format'/);
});

test("the checks catch a trace that breaks the loop's rules (each fact above could fail)", () => {
  assert.ok(lesson00, "lesson 00's trace was recorded");
  const copy = () => JSON.parse(JSON.stringify(lesson00));
  const at = (rs, pred) => rs.findIndex(pred);
  const cases = {
    'two phases swapped': (rs) => {
      const i = at(rs, (r) => r.ev === 'phase' && r.phase === 'check' && r.edge === 'enter');
      [rs[i], rs[i - 1]] = [rs[i - 1], rs[i]];
      [rs[i].t, rs[i - 1].t] = [rs[i - 1].t, rs[i].t];
    },
    'a turn number going back': (rs) => { rs[rs.length - 2].it = 0; },
    'a poll sleeping past its timeout': (rs) => {
      const p = rs.find((r) => r.ev === 'poll' && r.timeout >= 0);
      p.slept_us = p.timeout * 1000 + LATE_US + 1;
    },
    'a pool job called back before it finished': (rs) => {
      const i = at(rs, (r) => r.ev === 'pool' && r.op === 'finish');
      rs[i].op = 'callback';
    },
    'a fired timer never armed': (rs) => { rs.find((r) => r.ev === 'timer' && r.op === 'arm').id = 99; },
    'no exit record': (rs) => { rs.pop(); },
  };
  for (const [what, breakIt] of Object.entries(cases)) {
    const rs = copy();
    breakIt(rs);
    assert.throws(() => checkTrace(rs), assert.AssertionError, what);
  }
});
