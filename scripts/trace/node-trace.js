'use strict';
// node-trace.js: Node's side of KIT_TRACE=json:PATH, loaded before a program with
//
//   KIT_TRACE=json:/tmp/node.jsonl node --require ./scripts/trace/node-trace.js lessons/01_tcp_server/server.js
//
// It writes the records of KIT_TRACE=json (posix_impl/trace.hpp; one JSON object per line, the
// kit's format, "src":"node") for what Node lets JavaScript see of the same run:
//
//   emit       EventEmitter.prototype.emit, wrapped, for net.Server ("server"),
//              net.Socket ("socket"), dgram.Socket ("udp"), fs.ReadStream and
//              fs.WriteStream ("readstream", "writestream"), other streams ("stream")
//              and process ("process"); the listener count is taken before the call.
//              The standard streams (process.stdout...) are left out: the kit's
//              console writes with write(2), it has no stream object to emit on.
//   handle     async_hooks init/destroy of the handles a lesson opens (TCPSERVERWRAP,
//              TCPWRAP, UDPWRAP): for a handle, destroy is emitted when libuv's close
//              callback has run (uv_close), so "close" is the close phase's work.
//   pool       async_hooks init of a request that libuv runs on its thread pool
//              (FSREQCALLBACK: every asynchronous fs call; PBKDF2REQUEST and the other
//              crypto jobs; GETADDRINFOREQWRAP: dns.lookup) is "submit", its callback
//              (async_hooks before) is "callback". The fs call's name is read from
//              the stack when the request is made ("open", "writeFile"...).
//   timer      a Timeout's init is "arm" (with its delay), its callback "fire",
//              clearTimeout/clearInterval "clear".
//   tick, immediate   process.nextTick and setImmediate: "queue" at init, "run" before.
//   phase, it  Node does not say which phase runs or how many times the loop turned.
//              An unref'd immediate that queues itself again runs once in every check
//              phase without keeping the loop alive or shortening a poll (libuv's idle
//              handle is started only for ref'd immediates): each run ends one
//              iteration ("it" counts them, from 0; null for the main program and the
//              nextTicks that follow it, before the loop's first callback). Phases are inferred from the kind
//              of each callback: a Timeout runs in timers, an Immediate in check, an
//              I/O or pool callback in poll, a handle's callback that emits 'close' in
//              close (libuv's close callback); these records carry "inferred":true.
//   poll       libuv's epoll_wait is out of JavaScript's reach (its descriptors,
//              timeout and ready list too). What Node measures is the time the loop
//              spent waiting in it, performance.nodeTiming.idleTime: its growth over
//              one iteration is written as one poll record per iteration with
//              "slept_us", "fds":[] and "ready":[], "estimated":true, placed just
//              before the first poll-phase callback of the iteration (or at check).
//   start, exit   first line (argv, "poller":"epoll", what libuv uses on Linux) and
//              the line written when process emits 'exit'.
//
// Not exposed at all: the poll call itself, pool start/finish on the worker thread
// (JavaScript never runs there), the pending/idle/prepare phases, the close phase
// (close callbacks show as 'close' emits), and how many bytes each read(2) returned
// (a 'data' emit's "detail" gives the chunk's length, which is what JavaScript sees).
//
// Cost: records are built in memory and written with fs.writeSync (synchronous, so it
// creates no async resource of its own) once per iteration, at 64 KiB, and at exit.
// Without KIT_TRACE=json:PATH this module does nothing.

const spec = process.env.KIT_TRACE || '';
if (spec.startsWith('json:')) install(spec.slice('json:'.length));

function install(file) {
  const asyncHooks = require('node:async_hooks');
  const EventEmitter = require('node:events');
  const fs = require('node:fs');
  const net = require('node:net');
  const dgram = require('node:dgram');
  const stream = require('node:stream');
  const { performance } = require('node:perf_hooks');

  // "%p" in PATH is the process id, as on the kit's side (one file per process)
  const fd = fs.openSync(file.replace(/%p/g, String(process.pid)), 'w');
  const pid = process.pid;
  let it = null;              // null before the loop's first iteration, as in the kit's trace
  let buf = [];
  let bytes = 0;
  const now = () => Number(process.hrtime.bigint() / 1000n);

  function flush() {
    if (buf.length === 0) return;
    const text = buf.join('');
    buf = [];
    bytes = 0;
    pollSlot = -1;
    try { fs.writeSync(fd, text); } catch { /* the trace is best effort */ }
  }
  let lastT = 0;
  function put(rec, t = now()) {
    if (pendingPhase !== null && rec.ev !== 'phase') enterPhase(pendingPhase);
    lastT = t;
    const line = JSON.stringify(Object.assign({ t, pid, src: 'node', it }, rec)) + '\n';
    buf.push(line);
    bytes += line.length;
    if (bytes >= 65536) flush();
  }

  // ---------------------------------------------------------------- phases (inferred)
  // The iteration counter's immediate runs first in each check phase (it was queued in
  // the previous one, before any callback of this one could queue another): it opens
  // the check phase, and the next callback of another phase (or its own next run)
  // starts the next iteration.
  let phase = null;
  let pendingPhase = null;    // a handle's callback is in poll, unless it turns out to close
  let checkOpen = false;
  let pollSlot = -1;          // index in buf where this iteration's poll record goes
  // A phase is left when its last callback returned, as far as JavaScript can tell:
  // the leave record has the time of the phase's last record.
  function enterPhase(name) {
    pendingPhase = null;
    if (phase === name) return;
    if (phase !== null) put({ ev: 'phase', phase, edge: 'leave', inferred: true }, lastT);
    if (it === null) it = 0;
    // close callbacks run after check, in the same iteration
    if (checkOpen && name !== 'close') { checkOpen = false; it += 1; }
    if (name === 'poll' && pollSlot < 0) pollSlot = buf.length;
    phase = name;
    put({ ev: 'phase', phase, edge: 'enter', inferred: true });
  }
  function leavePhase() {
    if (phase !== null) put({ ev: 'phase', phase, edge: 'leave', inferred: true }, lastT);
    phase = null;
  }

  // ---------------------------------------------------------------- iterations
  let lastIdle = performance.nodeTiming.idleTime;
  let ownImmediate = -1;      // asyncId of the iteration counter's immediate
  function armCounter() {
    arming = true;
    try { setImmediate(onCheck).unref(); } finally { arming = false; }
  }
  function onCheck() {
    if (it === null) it = 0;
    if (checkOpen) { leavePhase(); checkOpen = false; it += 1; }   // a turn with no callback
    const idle = performance.nodeTiming.idleTime;
    const slept = Math.max(0, Math.round((idle - lastIdle) * 1000));
    lastIdle = idle;
    const rec = { ev: 'poll', syscall: 'epoll_wait', timeout: null, fds: [], slept_us: slept, ready: [], estimated: true };
    if (pollSlot >= 0 && pollSlot < buf.length) {
      // its time is that of the first poll-phase callback: the wait ended just before
      const t = JSON.parse(buf[pollSlot]).t;
      buf.splice(pollSlot, 0, JSON.stringify(Object.assign({ t, pid, src: 'node', it }, rec)) + '\n');
    } else {
      enterPhase('poll');
      put(rec);
    }
    enterPhase('check');
    checkOpen = true;
    pollSlot = -1;
    flush();
    armCounter();
  }

  // ---------------------------------------------------------------- async_hooks
  const HANDLES = { TCPSERVERWRAP: 'server', TCPWRAP: 'socket', UDPWRAP: 'udp' };
  const POOL = {
    FSREQCALLBACK: 'fs', PBKDF2REQUEST: 'pbkdf2', SCRYPTREQUEST: 'scrypt',
    RANDOMBYTESREQUEST: 'randomBytes', HASHREQUEST: 'hash', GETADDRINFOREQWRAP: 'getaddrinfo',
    GETNAMEINFOREQWRAP: 'getnameinfo', ZLIB: 'zlib', STATWATCHER: 'stat',
  };
  const kinds = new Map();    // asyncId -> 'timer' | 'tick' | 'immediate' | 'pool' | 'handle'
  const handleIds = new WeakMap();   // handle wrap object -> id shared with its emitter
  const timerFired = new Set();
  const running = [];         // kinds of the callbacks running now (before .. after)
  const handleOf = new Map(); // asyncId -> { kind, id } of an open handle
  const timerMs = new Map();  // asyncId -> a Timeout's delay
  const jobWhat = new Map();  // asyncId -> a pool request's "what"
  let arming = false;
  let nextId = 1;

  // fs.readFile's steps are made from the previous step's callback, named after it
  const FS_STEPS = { readFileAfterOpen: 'fstat', readFileAfterStat: 'read', readFileAfterRead: 'close' };
  function fsName() {
    // the first frame inside node:fs is the call that made the request
    const saved = Error.stackTraceLimit;
    Error.stackTraceLimit = 12;
    const stack = new Error().stack.split('\n');
    Error.stackTraceLimit = saved;
    for (const line of stack) {
      const m = /at (?:[\w$]+\.)?([\w$]+)(?: \[as \w+\])? \(node:(?:internal\/)?fs/.exec(line);
      if (m) return FS_STEPS[m[1]] || m[1];
    }
    return 'fs';
  }

  asyncHooks.createHook({
    init(asyncId, type, triggerId, resource) {
      if (type === 'Immediate') {
        if (arming) { ownImmediate = asyncId; return; }
        kinds.set(asyncId, 'immediate');
        put({ ev: 'immediate', op: 'queue' });
      } else if (type === 'TickObject') {
        kinds.set(asyncId, 'tick');
        put({ ev: 'tick', op: 'queue' });
      } else if (type === 'Timeout') {
        kinds.set(asyncId, 'timer');
        timerMs.set(asyncId, Math.max(0, resource._idleTimeout | 0));
        put({ ev: 'timer', op: 'arm', id: asyncId, ms: timerMs.get(asyncId) });
      } else if (HANDLES[type]) {
        const id = nextId++;
        handleIds.set(resource, id);
        kinds.set(asyncId, 'handle');
        handleOf.set(asyncId, { kind: HANDLES[type], id });
        // fd null: reading resource.fd here, before the wrap is fully built, crashes Node
        put({ ev: 'handle', op: 'open', kind: HANDLES[type], id, fd: null });
      } else if (POOL[type]) {
        kinds.set(asyncId, 'pool');
        const what = type === 'FSREQCALLBACK' ? fsName() : POOL[type];
        jobWhat.set(asyncId, what);
        put({ ev: 'pool', op: 'submit', job: asyncId, what });
      }
    },
    before(asyncId) {
      if (asyncId === ownImmediate) return;
      const kind = kinds.get(asyncId);
      running.push(kind);
      if (kind === 'immediate') {
        enterPhase('check');
        put({ ev: 'immediate', op: 'run' });
      } else if (kind === 'tick') {
        put({ ev: 'tick', op: 'run' });
      } else if (kind === 'timer') {
        enterPhase('timers');
        timerFired.add(asyncId);
        put({ ev: 'timer', op: 'fire', id: asyncId, ms: timerMs.get(asyncId) });
      } else if (kind === 'pool') {
        enterPhase('poll');
        put({ ev: 'pool', op: 'callback', job: asyncId, what: jobWhat.get(asyncId) });
      } else if (kind === 'handle') {
        pendingPhase = 'poll';  // entered with the callback's first record
      }
    },
    after(asyncId) {
      if (asyncId !== ownImmediate) running.pop();
      pendingPhase = null;
    },
    destroy(asyncId) {
      const kind = kinds.get(asyncId);
      if (kind === undefined) return;
      kinds.delete(asyncId);
      timerFired.delete(asyncId);
      timerMs.delete(asyncId);
      jobWhat.delete(asyncId);
      if (kind === 'handle') {
        const h = handleOf.get(asyncId);
        handleOf.delete(asyncId);
        put({ ev: 'handle', op: 'close', kind: h.kind, id: h.id, fd: null });
      }
    },
  }).enable();

  for (const name of ['clearTimeout', 'clearInterval']) {
    const original = globalThis[name];
    globalThis[name] = function (timer) {
      if (timer && typeof timer === 'object' && typeof timer[Symbol.toPrimitive] === 'function') {
        const id = timer[Symbol.toPrimitive]();
        put({ ev: 'timer', op: 'clear', id, ms: timerMs.get(id) ?? 0 });
      }
      return original.apply(this, arguments);
    };
  }

  // ---------------------------------------------------------------- emits
  const emitterIds = new WeakMap();
  function kindOf(e) {
    if (e === process) return 'process';
    if (e instanceof net.Server) return 'server';
    if (e instanceof net.Socket) return 'socket';
    if (e instanceof dgram.Socket) return 'udp';
    if (e instanceof fs.ReadStream) return 'readstream';
    if (e instanceof fs.WriteStream) return 'writestream';
    if (e instanceof stream.Stream) return 'stream';
    return null;
  }
  function idOf(e) {
    let id = emitterIds.get(e);
    if (id !== undefined) return id;
    // a socket and its handle share one id, so that the handle's open/close records
    // land in the lane of its emits
    // (dgram.Socket's _handle is a deprecated getter that warns: its state symbol holds it)
    let handle = e instanceof dgram.Socket ? undefined : e._handle;
    if (!handle) {
      for (const sym of Object.getOwnPropertySymbols(e)) {
        const v = e[sym];
        if (v && typeof v === 'object' && v.handle) { handle = v.handle; break; }
      }
    }
    id = (handle && handleIds.get(handle)) || nextId++;
    emitterIds.set(e, id);
    return id;
  }
  // The arguments, briefly, as the kit writes them: a Buffer's or a string's size, an
  // Error's code (or message), an emitter's kind#id, a number, a flag; joined by ", ".
  function detailOf(args) {
    const parts = [];
    for (const a of args) {
      if (typeof a === 'string' || Buffer.isBuffer(a)) parts.push(`${Buffer.byteLength(a)} bytes`);
      else if (a instanceof Error) parts.push(a.code || a.message);
      else if (typeof a === 'number' || typeof a === 'boolean') parts.push(String(a));
      else if (a && typeof a === 'object' && kindOf(a) !== null) parts.push(`${kindOf(a)}#${idOf(a)}`);
    }
    return parts.length ? parts.join(', ') : undefined;
  }

  const originalEmit = EventEmitter.prototype.emit;
  EventEmitter.prototype.emit = function emit(name, ...args) {
    if (typeof name === 'string' && name !== 'newListener' && name !== 'removeListener' && !this._isStdio) {
      const kind = kindOf(this);
      if (kind !== null) {
        if (kind === 'process' && (name === 'beforeExit' || name === 'exit')) leavePhase();  // the loop has ended
        // a handle's callback that emits 'close' is libuv's close callback (uv_close):
        // the close phase
        if (name === 'close' && running[running.length - 1] === 'handle') enterPhase('close');
        const rec = { ev: 'emit', kind, id: idOf(this), name, listeners: this.listenerCount(name) };
        const detail = detailOf(args);
        if (detail !== undefined) rec.detail = detail;
        put(rec);
        if (kind === 'process' && name === 'exit') {
          const result = originalEmit.call(this, name, ...args);
          put({ ev: 'exit', code: args[0] ?? process.exitCode ?? 0 });
          flush();
          return result;
        }
      }
    }
    return originalEmit.call(this, name, ...args);
  };

  put({ ev: 'start', argv: process.argv.slice(1), poller: 'epoll' });
  armCounter();
}
