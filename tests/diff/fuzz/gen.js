'use strict';
// gen.js: the randomized differential test's generator. From a seed it draws a
// *description* of a small program over the kit's API (plain JSON, see describe()),
// and from that one description it emits the program twice: as a Node.js program
// (emitJs) and as its C++ twin on posix_impl (emitCpp). Both print one line per event,
// as the scenarios of tests/diff/scenarios do; tests/diff/fuzz/run.js runs both and
// compares the traces per object (tests/diff/harness.js, 'per-object' mode).
//
// Seeded and reproducible: describe(seed) depends on nothing but the seed and
// GEN_VERSION (a private PRNG, mulberry32, no Math.random, no clock). A failing
// description is saved as JSON (tests/diff/fuzz/cases/*.json), so it replays even after
// the grammar below changes.
//
// ---------------------------------------------------------------- grammar
//   program  := episode{1..4}           run one after another: episode k+1 starts in a
//                                       setTimeout(1) callback scheduled when episode k
//                                       is done, so every episode's root runs in the
//                                       timers phase (a context whose order Node fixes)
//   episode  := timers | net | dgram | refused | errors
//   timers   := op{1..6}                ops run from the episode's root callback
//   op       := timeout(delay in 0,1,4,12,30; body) | immediate(body) | tick(body)
//             | interval(delay, times) | clear(root timer or immediate)
//   body     := op{0..3}                (depth at most 3)
//   net      := server on 127.0.0.1:0, 1..3 clients (in parallel: same script for
//               all), turn{0..3}, last action, server close point, reactions, extra
//               listeners. Emitted as data: NetEpisode (JS_RUNTIME below, runtime.hpp
//               for C++) wires the listeners and plays the turns in both languages
//   turn     := the actor (client and server side alternate) writes 1..3 chunks of
//               1..3000 bytes, optionally pauses its own reading and resumes after
//               1..15 ms; the peer starts the next turn once it has received every
//               byte of this one ('got N')
//   last     := end | end(data) | destroy | resetAndDestroy | destroy in 'connect'
//               (client only, no turns) | second connect() while connecting (client)
//   reaction := on an event: process.nextTick and/or setImmediate that print a line
//   extra    := a second listener on 'end'/'finish'/'close' (on or once), maybe
//               removed with off() right away, maybe removing a third one during the
//               emit (Node calls the removed one anyway: emit works on a snapshot)
//   dgram    := two udp4 sockets on 127.0.0.1; one sends 1..4 datagrams, the other
//               prints each, maybe replies; both close
//   refused  := connect to a port where nobody listens (ECONNREFUSED), maybe
//               connect() again from 'close' to a listening server
//   errors   := synchronous errors caught with try/catch: listen/connect on a bad port,
//               listen twice, dgram bind twice, send/close after close; and close()
//               in the callback that called listen()
//
// ---------------------------------------------------------------- guarantees
// Only what Node orders is compared. Every line starts with its object (eK.srv,
// eK.c1, eK.s1 (the server's side of the first accepted connection), eK.m, eK.t4...)
// and the runner compares each object's lines in order, never the interleaving of two
// objects. The generator puts in one object only lines whose order Node fixes:
//   - timers: the root's ticks and immediates (and what they schedule) are object eK.m;
//     the root's timers of one delay are object eK.tD (0 counts as 1, as in Node): one
//     list, run in creation order (each one's immediates are eK.tD~ID: a millisecond
//     may pass between two setTimeout calls, putting B in a later pass than A's
//     immediates, in Node as in the kit). Timers of different delays are
//     different objects: when the loop is late, a 4 ms timer's immediates may run before
//     or after the 12 ms timer. A timer created by a callback is an object of its own.
//     Timers and immediates are never in one object: even from a timer callback, Node
//     runs a new setTimeout(1) before a new setImmediate about 1 time in 4 (measured:
//     47 of 200 runs; libuv re-reads the clock when Node re-arms its timer).
//     clear() is generated only where the clearing callback's order relative to its
//     target is fixed: the root and its ticks may clear any root timer or immediate, a
//     root immediate only root immediates (FIFO), a root timer only root timers.
//   - net: a socket's events are caused by the peer's actions one turn at a time, so
//     each socket's trace is fixed; 'data' prints nothing (the chunking is the kernel's),
//     the total prints once it is reached. Immediates scheduled by reactions are objects
//     of their own (obj~i): their order against I/O events is the poller's business.
//     So are pause/resume (obj~p): Node emits 'end' on a paused socket whose buffer is
//     empty, so the peer's FIN may be seen before or after the timer that resumes.
//   - no payloads, no ephemeral ports, no timestamps are printed; the only port printed
//     is the one passed in argv (the runner normalises it to PORT1).
// What it does not generate: two objects whose events race into one object's trace,
// timers compared across delays, unhandled errors (every emitter has an 'error'
// listener), fs, DNS names (only 127.0.0.1).

const GEN_VERSION = 1;

// ---------------------------------------------------------------- PRNG (mulberry32)

class Rand {
  constructor(seed) {
    this.a = seed >>> 0;
  }

  next() {
    this.a = (this.a + 0x6d2b79f5) | 0;
    let t = Math.imul(this.a ^ (this.a >>> 15), 1 | this.a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(lo, hi) {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  pick(list) {
    return list[this.int(0, list.length - 1)];
  }

  chance(p) {
    return this.next() < p;
  }

  weighted(table) {
    const total = Object.values(table).reduce((a, b) => a + b, 0);
    let x = this.next() * total;
    for (const [k, w] of Object.entries(table)) {
      x -= w;
      if (x < 0) return k;
    }
    return Object.keys(table)[0];
  }
}

// ---------------------------------------------------------------- description

function describeTimers(r) {
  let n = 0;
  const rootTargets = [];
  // ctx.clear: which root targets this body may clear, given the order Node fixes:
  //   'all'  the root and its ticks run before every other callback of the episode;
  //   'imm'  a root immediate runs before the root immediates queued after it (FIFO),
  //          but not in a fixed order against timers: Node runs a 1 ms timer created
  //          in a timer callback before that callback's immediates about 1 time in 4;
  //   D      a root timer of delay D runs after the root timers of smaller delays and
  //          the earlier ones of delay D, before the rest (one list per delay).
  //   null   nothing (nested timers, later immediates).
  const allowed = (ctx) => rootTargets.filter((t) => ctx.clear === 'all' ||
    (ctx.clear === 'imm' && t.kind === 'immediate') ||
    (typeof ctx.clear === 'number' && t.kind === 'timeout'));
  const body = (depth, ctx) => {
    const ops = [];
    const count = depth === 0 ? r.int(1, 6) : r.int(0, depth >= 3 ? 0 : 3);
    for (let i = 0; i < count; i++) {
      const kind = r.weighted({ timeout: 3, immediate: 3, tick: 3, interval: ctx.root ? 1 : 0, clear: ctx.clear !== null ? 2 : 0 });
      if (kind === 'clear') {
        const targets = allowed(ctx);
        if (targets.length > 0) ops.push({ op: 'clear', target: r.pick(targets) });
        continue;
      }
      const id = `${kind[0]}${++n}`;
      if (kind === 'interval') {
        ops.push({ op: 'interval', id, delay: r.pick([1, 4, 12]), times: r.int(1, 3) });
        continue;
      }
      const item = { op: kind, id };
      if (kind === 'timeout') item.delay = r.pick([0, 1, 4, 12, 30]);
      if (ctx.root && kind !== 'tick') rootTargets.push({ id, kind, delay: item.delay });
      let clear = null;
      if (kind === 'tick') clear = ctx.clear;
      else if (kind === 'immediate' && (ctx.root || ctx.clear === 'all')) clear = 'imm';
      else if (kind === 'timeout' && ctx.root) clear = Math.max(1, item.delay);
      item.body = body(depth + 1, { root: false, clear });
      ops.push(item);
    }
    return ops;
  };
  return { kind: 'timers', root: body(0, { root: true, clear: 'all' }) };
}

const REACTIONS = ['none', 'none', 'none', 'tick', 'imm', 'both'];

function reactions(r, events) {
  const out = {};
  for (const ev of events) {
    const x = r.pick(REACTIONS);
    if (x !== 'none') out[ev] = x;
  }
  return out;
}

function extras(r) {
  const list = [];
  const count = r.pick([0, 0, 1, 2]);
  for (let i = 0; i < count; i++) {
    list.push({
      side: r.pick(['c', 's']),
      ev: r.pick(['end', 'finish', 'close']),
      once: r.chance(0.5),
      removed: r.chance(0.3),
      removesNext: r.chance(0.2),
    });
  }
  return list;
}

function describeNet(r) {
  const clients = r.weighted({ 1: 3, 2: 1, 3: 1 });
  const turns = [];
  const nTurns = r.pick([0, 1, 1, 2, 3]);
  for (let i = 0; i < nTurns; i++) {
    const writes = [];
    for (let w = r.int(1, 3); w > 0; w--) writes.push(r.pick([1, 10, 100, 3000]));
    turns.push({ writes, pause: r.chance(0.3) ? r.pick([1, 5, 15]) : 0 });
  }
  const first = r.pick(['c', 's']);
  const lastActor = nTurns % 2 === 0 ? first : first === 'c' ? 's' : 'c';
  const lastChoices = { end: 4, endData: 2, destroy: 2, reset: 1 };
  if (lastActor === 'c' && nTurns === 0) {
    lastChoices.destroyOnConnect = 1;
    lastChoices.connectTwice = 1;
  }
  const last = { action: r.weighted(lastChoices), n: r.pick([1, 50, 2000]) };
  return {
    kind: 'net',
    clients: Number(clients),
    first,
    turns,
    last,
    serverClose: r.pick(['afterAccept', 'afterConns']),
    react: {
      srv: reactions(r, ['listening', 'connection', 'close']),
      c: reactions(r, ['connect', 'ready', 'got', 'end', 'finish', 'close', 'error']),
      s: reactions(r, ['got', 'end', 'finish', 'close', 'error']),
    },
    extras: extras(r),
  };
}

function describeDgram(r) {
  const sizes = [];
  for (let i = r.int(1, 4); i > 0; i--) sizes.push(r.pick([0, 1, 20, 1000]));
  return {
    kind: 'dgram',
    sizes,
    sendCb: r.chance(0.5),
    reply: r.chance(0.5) ? r.pick([1, 30]) : 0,
    react: { u1: reactions(r, ['listening', 'message', 'close']), u2: reactions(r, ['listening', 'message', 'close']) },
  };
}

function describeRefused(r) {
  return {
    kind: 'refused',
    retry: r.chance(0.3),
    react: { c: reactions(r, ['error', 'close', 'connect']) },
  };
}

const ERROR_OPS = ['listenBadPort', 'connectBadPort', 'listenTwice', 'listenClose', 'dgramBindTwice', 'dgramAfterClose'];

function describeErrors(r) {
  const ops = [];
  for (let i = r.int(1, 2); i > 0; i--) {
    const op = r.pick(ERROR_OPS);
    const item = { op };
    if (op === 'listenBadPort' || op === 'connectBadPort') item.port = r.pick([-1, 65536, 70000]);
    ops.push(item);
  }
  return { kind: 'errors', ops };
}

// The description of the program for `seed`: { version, seed, episodes: [...] }.
function describe(seed) {
  const r = new Rand(seed);
  const episodes = [];
  for (let i = r.int(1, 4); i > 0; i--) {
    const kind = r.weighted({ timers: 3, net: 5, dgram: 2, refused: 1, errors: 1 });
    if (kind === 'timers') episodes.push(describeTimers(r));
    else if (kind === 'net') episodes.push(describeNet(r));
    else if (kind === 'dgram') episodes.push(describeDgram(r));
    else if (kind === 'refused') episodes.push(describeRefused(r));
    else episodes.push(describeErrors(r));
  }
  return { version: GEN_VERSION, seed, episodes };
}

// ---------------------------------------------------------------- emitters
// Each emitter returns lines of code for both languages at once: { js: [...], cpp: [...] }.
// Helpers produce matching statements; `I` indents.

const I = (lines, n = 1) => lines.map((l) => '  '.repeat(n) + l);
const q = (s) => JSON.stringify(s);

class Out {
  constructor() {
    this.js = [];
    this.cpp = [];
  }

  both(js, cpp) {
    this.js.push(...[].concat(js));
    this.cpp.push(...[].concat(cpp));
    return this;
  }

  add(o, depth = 0) {
    this.js.push(...I(o.js, depth));
    this.cpp.push(...I(o.cpp, depth));
    return this;
  }
}

const logJs = (obj, text) => `L(${q(obj + ' ' + text)});`;
const logCpp = (obj, text) => `L(${q(obj + ' ' + text)});`;
const log = (obj, text) => new Out().both(logJs(obj, text), logCpp(obj, text));

// A reaction to event `ev` of object `obj`: a tick printing in the same object, an
// immediate printing in obj~i.
function reaction(kind, obj, ev) {
  const o = new Out();
  if (kind === 'tick' || kind === 'both') {
    o.both(`process.nextTick(() => ${logJs(obj, 'tick:' + ev).slice(0, -1)});`,
      `process::nextTick([] { ${logCpp(obj, 'tick:' + ev)} });`);
  }
  if (kind === 'imm' || kind === 'both') {
    o.both(`setImmediate(() => ${logJs(obj + '~i', 'imm:' + ev).slice(0, -1)});`,
      `setImmediate([] { ${logCpp(obj + '~i', 'imm:' + ev)} });`);
  }
  return o;
}

// ---- timers

function emitTimers(ep, k) {
  const o = new Out();
  const delays = [];
  let nested = 0;
  const objOf = (item, parentObj, isRoot, rootTimer) => {
    if (item.op === 'timeout') {
      if (isRoot) return `e${k}.t${Math.max(1, item.delay)}`;
      nested++;
      return `e${k}.n${item.id}`;
    }
    if (item.op === 'interval') return `e${k}.v${item.id}`;
    // The immediates of each root timer are an object of their own (eK.tD~ID): two
    // timers of one delay created in one callback share a pass only if the clock did
    // not pass a millisecond between the two setTimeout calls (both Node and the kit
    // read the clock again per call), so B may run before or after A's immediates.
    if (item.op === 'immediate' && rootTimer && /\.t\d+$/.test(parentObj)) return `${parentObj}~${rootTimer}`;
    return parentObj;
  };
  const emitBody = (ops, parentObj, isRoot, rootTimer = null) => {
    const b = new Out();
    for (const item of ops) {
      if (item.op === 'clear') {
        const t = item.target;
        if (t.kind === 'timeout') {
          b.both(`clearTimeout(H.${t.id});`, `if (auto h = H->t[${q(t.id)}].lock()) clearTimeout(h);`);
        } else {
          b.both(`clearImmediate(H.${t.id});`, `if (auto h = H->i[${q(t.id)}].lock()) clearImmediate(h);`);
        }
        continue;
      }
      const obj = objOf(item, parentObj, isRoot, rootTimer);
      if (item.op === 'interval') {
        delays.push(item.delay * (item.times + 1));
        b.both(
          [`{`, `  let n = 0;`, `  const v = setInterval(() => {`, `    ${logJs(obj, 'interval')}`,
            `    if (++n === ${item.times}) clearInterval(v);`, `  }, ${item.delay});`, `}`],
          [`{`, `  auto n = std::make_shared<int>(0);`, `  auto v = std::make_shared<std::weak_ptr<Timeout>>();`,
            `  *v = setInterval([n, v] {`, `    ${logCpp(obj, 'interval')}`,
            `    if (++*n == ${item.times}) clearInterval(v->lock());`, `  }, ${item.delay});`, `}`]);
        continue;
      }
      const inner = new Out().add(log(obj, item.id))
        .add(emitBody(item.body, obj, false, isRoot && item.op === 'timeout' ? item.id : rootTimer));
      if (item.op === 'tick') {
        b.both(`process.nextTick(() => {`, `process::nextTick([H] {`).add(inner, 1).both('});', '});');
      } else if (item.op === 'immediate') {
        b.both(`H.${item.id} = setImmediate(() => {`, `H->i[${q(item.id)}] = setImmediate([H] {`)
          .add(inner, 1).both('});', '});');
      } else {
        if (isRoot) delays.push(item.delay);
        b.both(`H.${item.id} = setTimeout(() => {`, `H->t[${q(item.id)}] = setTimeout([H] {`)
          .add(inner, 1).both(`}, ${item.delay});`, `}, ${item.delay});`);
      }
    }
    return b;
  };
  const body = emitBody(ep.root, `e${k}.m`, true);
  o.both(['const H = {};'], ['auto H = std::make_shared<Handles>();']);
  o.add(log(`e${k}.m`, 'root'));
  o.add(body);
  const doneAfter = Math.max(0, ...delays) + 5;
  o.both(`setTimeout(done, ${doneAfter});`, `setTimeout(done, ${doneAfter});`);
  return o;
}

// ---- net

// A net episode is data in both programs: the description goes to NetEpisode (JS_RUNTIME
// below, and its C++ twin in runtime.hpp), which wires the listeners and plays the
// turns. (Emitting its ~20 listeners as code made each C++ program take ~10 s to
// compile with ASan; NetEpisode is compiled once per batch.)
function emitNet(ep, k) {
  const e = `e${k}`;
  const cppMap = (m) => `{${Object.entries(m).map(([a, b]) => `{${q(a)}, ${q(b)}}`).join(', ')}}`;
  const cppExtras = `{${ep.extras.map((x) => `Extra{${q(x.side)}, ${q(x.ev)}, ${x.once}, ${x.removed}, ${x.removesNext}}`).join(', ')}}`;
  return new Out().both(
    [`new NetEpisode(${q(e)}, ${JSON.stringify(ep)}, done).start();`],
    [`auto P = std::make_shared<NetEpisode>(${q(e)}, NetSpec{${ep.clients}, ${q(ep.first)}, ${cppTurns(ep.turns)}, ` +
      `${q(ep.last.action)}, ${ep.last.n}, ${q(ep.serverClose)}, ${cppMap(ep.react.srv)}, ${cppMap(ep.react.c)}, ` +
      `${cppMap(ep.react.s)}, ${cppExtras}}, done);`, `P->start();`]);
}

function cppTurns(turns) {
  return `{${turns.map((t) => `Turn{{${t.writes.join(', ')}}, ${t.pause}}`).join(', ')}}`;
}

// ---- dgram

function emitDgram(ep, k) {
  const o = new Out();
  const e = `e${k}`;
  const line = (u, ev, extraJs = '', extraCpp = '') => {
    const obj = `${e}.${u}`;
    const b = new Out().both(`L(${q(obj + ' ' + ev)}${extraJs});`, `L(std::string(${q(obj + ' ' + ev)})${extraCpp});`);
    if (ep.react[u][ev]) b.add(reaction(ep.react[u][ev], obj, ev));
    return b;
  };
  const sizes = ep.sizes;
  o.both(`const u1 = dgram.createSocket('udp4');`, `auto u1 = dgram::createSocket("udp4");`);
  o.both(`const u2 = dgram.createSocket('udp4');`, `auto u2 = dgram::createSocket("udp4");`);
  o.both([`let closed = 0;`, `let got = 0;`],
    [`auto closed = std::make_shared<int>(0);`, `auto got = std::make_shared<int>(0);`,
      `std::weak_ptr<dgram::Socket> w1 = u1, w2 = u2;`]);
  for (const u of ['u1', 'u2']) {
    o.both(`${u}.on('error', (err) => L(${q(e + '.' + u + ' error ')} + err.code));`,
      `${u}->on("error", [](const Error& err) { L(${q(e + '.' + u + ' error ')} + err.code); });`);
    o.both(`${u}.on('close', () => {`, `${u}->on("close", [closed, done] {`).add(line(u, 'close'), 1)
      .both(`  if (++closed === 2) done();`, `  if (++*closed == 2) done();`).both('});', '});');
  }
  // u2 receives
  o.both(`u2.on('message', (msg, rinfo) => {`, `u2->on("message", [got, w1, w2](const Buffer& msg, const dgram::RemoteInfo& rinfo) {`);
  o.add(line('u2', 'message', ` + ' ' + msg.length`, ` + " " + std::to_string(msg.size())`), 1);
  o.both(`  if (++got === ${sizes.length}) {`, `  if (++*got == ${sizes.length}) {`);
  if (ep.reply) {
    o.both(`    u2.send(Buffer.alloc(${ep.reply}, 120), rinfo.port, '127.0.0.1', () => u2.close());`,
      `    auto u = w2.lock();`);
    o.both([], [`    u->send(Buffer::from(std::string(${ep.reply}, 'x')), rinfo.port, "127.0.0.1", [w2](const std::optional<Error>&, std::size_t) { if (auto s = w2.lock()) s->close(); });`]);
  } else {
    o.both([`    u2.close();`, `    u1.close();`], [`    w2.lock()->close();`, `    w1.lock()->close();`]);
  }
  o.both('  }', '  }');
  o.both('});', '});');
  if (ep.reply) {
    o.both(`u1.on('message', (msg) => {`, `u1->on("message", [w1](const Buffer& msg) {`);
    o.add(line('u1', 'message', ` + ' ' + msg.length`, ` + " " + std::to_string(msg.size())`), 1);
    o.both(`  u1.close();`, `  w1.lock()->close();`);
    o.both('});', '});');
  }
  o.both(`u1.bind(0, '127.0.0.1', () => {`, `u1->bind(0, "127.0.0.1", [w1, w2] {`);
  o.add(line('u1', 'listening'), 1);
  o.both(`  u2.bind(0, '127.0.0.1', () => {`, `  w2.lock()->bind(0, "127.0.0.1", [w1, w2] {`);
  o.add(line('u2', 'listening'), 2);
  o.both([], [`    auto s1 = w1.lock();`, `    const int port = w2.lock()->address().port;`]);
  sizes.forEach((n, i) => {
    if (ep.sendCb) {
      o.both(`    u1.send(Buffer.alloc(${n}, 120), u2.address().port, '127.0.0.1', (err, bytes) => L(${q(e + '.u1 sent' + i + ' ')} + err + ' ' + bytes));`,
        `    s1->send(Buffer::from(std::string(${n}, 'x')), port, "127.0.0.1", [](const std::optional<Error>& err, std::size_t bytes) { L(${q(e + '.u1 sent' + i + ' ')} + (err ? err->code : std::string("null")) + " " + std::to_string(bytes)); });`);
    } else {
      o.both(`    u1.send(Buffer.alloc(${n}, 120), u2.address().port, '127.0.0.1');`,
        `    s1->send(Buffer::from(std::string(${n}, 'x')), port, "127.0.0.1");`);
    }
  });
  o.both('  });', '  });');
  o.both('});', '});');
  return o;
}

// ---- refused

function emitRefused(ep, k) {
  const o = new Out();
  const c = `e${k}.c`;
  const r = ep.react.c;
  const line = (ev, extraJs = '', extraCpp = '') => {
    const b = new Out().both(`L(${q(c + ' ' + ev)}${extraJs});`, `L(std::string(${q(c + ' ' + ev)})${extraCpp});`);
    if (r[ev]) b.add(reaction(r[ev], c, ev));
    return b;
  };
  o.both([`let srv = null;`, `let tries = 0;`],
    [`auto srvw = std::make_shared<std::weak_ptr<net::Server>>();`, `auto tries = std::make_shared<int>(0);`]);
  const start = new Out();
  start.both(`const sock = net.connect(deadPort, '127.0.0.1');`, `auto sock = net::createConnection(deadPort, "127.0.0.1");`);
  start.both([], [`std::weak_ptr<net::Socket> w = sock;`]);
  start.both(`sock.on('connect', () => {`, `sock->on("connect", [w] {`).add(line('connect'), 1)
    .both('  sock.end();', '  if (auto s = w.lock()) s->end();').both('});', '});');
  start.both(`sock.on('error', (err) => {`, `sock->on("error", [](const Error& err) {`)
    .add(line('error', ` + ' ' + err.code + ' ' + err.syscall`, ` + " " + err.code + " " + orUndefined(err.syscall)`), 1)
    .both('});', '});');
  start.both(`sock.on('close', (hadError) => {`, `sock->on("close", [w, srvw, tries, done](bool hadError) {`)
    .add(line('close', ` + ' ' + hadError`, ` + " " + (hadError ? "true" : "false")`), 1);
  if (ep.retry) {
    start.both(`  if (++tries === 1) sock.connect(srv.address().port, '127.0.0.1');`,
      `  if (++*tries == 1) { if (auto s = w.lock()) s->connect(srvw->lock()->address().port, "127.0.0.1"); }`);
    start.both(`  else srv.close(done);`, `  else if (auto s = srvw->lock()) s->close(done);`);
  } else {
    start.both(`  done();`, `  done();`);
  }
  start.both('});', '});');
  if (ep.retry) {
    o.both(`srv = net.createServer((conn) => {`, `auto server = net::createServer([](const net::SocketPtr& conn) {`);
    o.both(`  L(${q(`e${k}.srv connection`)});`, `  L(${q(`e${k}.srv connection`)});`);
    o.both(`  conn.on('end', () => L(${q(`e${k}.s end`)}));`, `  conn->on("end", [] { L(${q(`e${k}.s end`)}); });`);
    o.both(`  conn.on('close', (h) => L(${q(`e${k}.s close `)} + h));`, `  conn->on("close", [](bool h) { L(${q(`e${k}.s close `)} + std::string(h ? "true" : "false")); });`);
    o.both(`  conn.on('error', (err) => L(${q(`e${k}.s error `)} + err.code));`, `  conn->on("error", [](const Error& err) { L(${q(`e${k}.s error `)} + err.code); });`);
    o.both('});', '});');
    o.both([], [`*srvw = server;`]);
    o.both(`srv.listen(0, '127.0.0.1', () => {`, `server->listen(0, "127.0.0.1", [srvw, tries, done, deadPort] {`).add(start, 1).both('});', '});');
  } else {
    o.add(start);
  }
  return o;
}

// ---- errors

function emitErrors(ep, k) {
  const o = new Out();
  ep.ops.forEach((item, i) => {
    const obj = `e${k}.x${i}`;
    const threwJs = `catch (e) { L(${q(obj + ' threw ')} + e.code); }`;
    const threwCpp = `catch (const Error& e) { L(${q(obj + ' threw ')} + e.code); }`;
    o.both('{', '{');
    if (item.op === 'listenBadPort') {
      o.both([`  const s = net.createServer();`, `  s.on('error', (err) => L(${q(obj + ' error ')} + err.code));`,
        `  s.on('listening', () => L(${q(obj + ' listening')}));`, `  s.on('close', () => L(${q(obj + ' close')}));`,
        `  try { s.listen(${item.port}, '127.0.0.1'); L(${q(obj + ' no-throw')}); } ${threwJs}`, `  s.close();`],
      [`  auto s = net::createServer();`, `  s->on("error", [](const Error& err) { L(${q(obj + ' error ')} + err.code); });`,
        `  s->on("listening", [] { L(${q(obj + ' listening')}); });`, `  s->on("close", [] { L(${q(obj + ' close')}); });`,
        `  try { s->listen(${item.port}, "127.0.0.1"); L(${q(obj + ' no-throw')}); } ${threwCpp}`, `  s->close();`]);
    } else if (item.op === 'connectBadPort') {
      o.both([`  const s = new net.Socket();`, `  s.on('error', (err) => L(${q(obj + ' error ')} + err.code));`,
        `  s.on('close', (h) => L(${q(obj + ' close ')} + h));`,
        `  try { s.connect(${item.port}, '127.0.0.1'); L(${q(obj + ' no-throw')}); } ${threwJs}`],
      [`  auto s = net::createSocket();`, `  s->on("error", [](const Error& err) { L(${q(obj + ' error ')} + err.code); });`,
        `  s->on("close", [](bool h) { L(${q(obj + ' close ')} + std::string(h ? "true" : "false")); });`,
        `  try { s->connect(${item.port}, "127.0.0.1"); L(${q(obj + ' no-throw')}); } ${threwCpp}`]);
    } else if (item.op === 'listenTwice') {
      o.both([`  const s = net.createServer();`, `  s.on('error', (err) => L(${q(obj + ' error ')} + err.code));`,
        `  s.on('close', () => L(${q(obj + ' close')}));`,
        `  s.listen(0, '127.0.0.1', () => {`, `    L(${q(obj + ' listening')});`,
        `    try { s.listen(0, '127.0.0.1'); L(${q(obj + ' no-throw')}); } ${threwJs}`, `    s.close();`, `  });`],
      [`  auto s = net::createServer();`, `  s->on("error", [](const Error& err) { L(${q(obj + ' error ')} + err.code); });`,
        `  s->on("close", [] { L(${q(obj + ' close')}); });`, `  std::weak_ptr<net::Server> w = s;`,
        `  s->listen(0, "127.0.0.1", [w] {`, `    L(${q(obj + ' listening')});`, `    auto p = w.lock();`,
        `    try { p->listen(0, "127.0.0.1"); L(${q(obj + ' no-throw')}); } ${threwCpp}`, `    p->close();`, `  });`]);
    } else if (item.op === 'listenClose') {
      // close() in the same callback as listen(): Node never listens
      o.both([`  const s = net.createServer();`, `  s.on('error', (err) => L(${q(obj + ' error ')} + err.code));`,
        `  s.on('listening', () => L(${q(obj + ' listening')}));`, `  s.on('close', () => L(${q(obj + ' close')}));`,
        `  s.listen(0, '127.0.0.1');`, `  s.close();`],
      [`  auto s = net::createServer();`, `  s->on("error", [](const Error& err) { L(${q(obj + ' error ')} + err.code); });`,
        `  s->on("listening", [] { L(${q(obj + ' listening')}); });`, `  s->on("close", [] { L(${q(obj + ' close')}); });`,
        `  s->listen(0, "127.0.0.1");`, `  s->close();`]);
    } else if (item.op === 'dgramBindTwice') {
      o.both([`  const u = dgram.createSocket('udp4');`, `  u.on('error', (err) => L(${q(obj + ' error ')} + err.code));`,
        `  u.on('close', () => L(${q(obj + ' close')}));`,
        `  u.bind(0, '127.0.0.1', () => { L(${q(obj + ' listening')}); u.close(); });`,
        `  try { u.bind(0, '127.0.0.1'); L(${q(obj + ' no-throw')}); } ${threwJs}`],
      [`  auto u = dgram::createSocket("udp4");`, `  u->on("error", [](const Error& err) { L(${q(obj + ' error ')} + err.code); });`,
        `  u->on("close", [] { L(${q(obj + ' close')}); });`, `  std::weak_ptr<dgram::Socket> w = u;`,
        `  u->bind(0, "127.0.0.1", [w] { L(${q(obj + ' listening')}); if (auto p = w.lock()) p->close(); });`,
        `  try { u->bind(0, "127.0.0.1"); L(${q(obj + ' no-throw')}); } ${threwCpp}`]);
    } else if (item.op === 'dgramAfterClose') {
      o.both([`  const u = dgram.createSocket('udp4');`, `  u.on('error', (err) => L(${q(obj + ' error ')} + err.code));`,
        `  u.on('close', () => L(${q(obj + ' close')}));`,
        `  u.bind(0, '127.0.0.1', () => {`, `    L(${q(obj + ' listening')});`, `    u.close();`,
        `    try { u.send(Buffer.alloc(1), deadPort, '127.0.0.1'); L(${q(obj + ' send no-throw')}); } ${threwJs}`,
        `    try { u.close(); L(${q(obj + ' close no-throw')}); } ${threwJs}`, `  });`],
      [`  auto u = dgram::createSocket("udp4");`, `  u->on("error", [](const Error& err) { L(${q(obj + ' error ')} + err.code); });`,
        `  u->on("close", [] { L(${q(obj + ' close')}); });`, `  std::weak_ptr<dgram::Socket> w = u;`,
        `  u->bind(0, "127.0.0.1", [w, deadPort] {`, `    L(${q(obj + ' listening')});`, `    auto p = w.lock();`, `    p->close();`,
        `    try { p->send(Buffer::from(std::string(1, '\\0')), deadPort, "127.0.0.1"); L(${q(obj + ' send no-throw')}); } ${threwCpp}`,
        `    try { p->close(); L(${q(obj + ' close no-throw')}); } ${threwCpp}`, `  });`]);
    }
    o.both('}', '}');
  });
  o.both(`setTimeout(done, 30);`, `setTimeout(done, 30);`);
  return o;
}

// ---------------------------------------------------------------- whole programs

function emitEpisodes(desc) {
  return desc.episodes.map((ep, i) => {
    const k = i + 1;
    if (ep.kind === 'timers') return emitTimers(ep, k);
    if (ep.kind === 'net') return emitNet(ep, k);
    if (ep.kind === 'dgram') return emitDgram(ep, k);
    if (ep.kind === 'refused') return emitRefused(ep, k);
    if (ep.kind === 'errors') return emitErrors(ep, k);
    throw new Error(`unknown episode kind ${ep.kind}`);
  });
}

// The Node program (self-contained). argv[2]: a port where nobody listens.
function emitJs(desc, name = `seed ${desc.seed}`) {
  const out = [
    `'use strict';`,
    `// Generated by tests/diff/fuzz/gen.js (version ${desc.version}) for ${name}; the C++ twin is`,
    `// emitted from the same description. Replay both and compare: node tests/diff/fuzz/run.js ` +
      (name === `seed${desc.seed}` ? `${desc.seed}` : `DESCRIPTION.json`),
    `// @diff compare per-object`,
    `// @diff ports 1`,
    `const net = require('net');`,
    `const dgram = require('dgram');`,
    `const deadPort = Number(process.argv[2]);`,
    `const L = (s) => console.log(s);`,
    `void deadPort; void dgram;`,
    ...JS_RUNTIME,
  ];
  const eps = emitEpisodes(desc);
  eps.forEach((o, i) => {
    out.push(`function ep${i + 1}(done) {`, ...I(o.js), `}`);
  });
  const chain = eps.map((_, i) => `ep${i + 1}`);
  out.push(`const episodes = [${chain.join(', ')}];`);
  out.push(`function runFrom(i) {`, `  if (i < episodes.length) setTimeout(() => episodes[i](once(() => runFrom(i + 1))), 1);`, `}`);
  out.push(`runFrom(0);`);
  return out.join('\n') + '\n';
}

// The C++ twin, as one namespace with a `run(deadPort)` function, so many seeds can
// share one translation unit (see run.js). `ns` is the namespace's name.
function emitCppBody(desc, ns) {
  const out = [`namespace ${ns} {`];
  const eps = emitEpisodes(desc);
  eps.forEach((o, i) => {
    out.push(`void ep${i + 1}(Done done, int deadPort) {`, `  (void)deadPort;`, ...I(o.cpp), `}`);
  });
  out.push(`int run(int deadPort) {`);
  out.push(`  static const std::vector<void (*)(Done, int)> episodes{${eps.map((_, i) => `ep${i + 1}`).join(', ')}};`);
  out.push(`  runFrom(episodes, 0, deadPort);`);
  out.push(`  return process::run();`, `}`, `} // namespace ${ns}`);
  return out.join('\n') + '\n';
}

// The JS side's shared runtime: once(), NetEpisode (the turn machinery of net episodes).
const JS_RUNTIME = `
function once(f) { let called = false; return () => { if (!called) { called = true; f(); } }; }
// NetEpisode: the state of one net episode (its description in spec). Turns alternate
// between the client ('c') and server ('s') side, starting with spec.first; the actor
// of turn j writes its chunks, the peer prints 'got N' once it has them all and acts
// turn j+1. After the turns, the next actor does spec.last.action.
function react(kind, obj, ev) {
  if (kind === 'tick' || kind === 'both') process.nextTick(() => L(obj + ' tick:' + ev));
  if (kind === 'imm' || kind === 'both') setImmediate(() => L(obj + '~i imm:' + ev));
}
class NetEpisode {
  constructor(e, spec, done) {
    this.e = e; this.spec = spec; this.done = once(done);
    this.nAccepted = 0; this.counts = new Map(); this.turnOf = new Map();
    this.open = 2 * spec.clients; this.srvClosed = false; this.srv = null;
  }
  start() {
    const e = this.e;
    const R = this.spec.react.srv;
    const srvLine = (ev) => { L(e + '.srv ' + ev); if (R[ev]) react(R[ev], e + '.srv', ev); };
    const srv = net.createServer();
    this.srv = srv;
    srv.on('error', (err) => L(e + '.srv error ' + err.code));
    srv.on('close', () => { srvLine('close'); this.serverClosed(); });
    srv.on('connection', (sock) => {
      const name = this.accepted();
      srvLine('connection');
      this.wire('s', sock, name);
      this.afterAccept(sock, name);
    });
    srv.listen(0, '127.0.0.1', () => {
      srvLine('listening');
      for (let i = 1; i <= this.spec.clients; i++) {
        const name = e + '.c' + i;
        const sock = net.connect(this.port(), '127.0.0.1');
        this.wire('c', sock, name);
        this.afterConnectCall(sock, name);
      }
    });
  }
  // the listeners of one socket: its events, the turns, reactions, extra listeners
  wire(side, sock, name) {
    const R = this.spec.react[side];
    const line = (ev, text) => { L(name + ' ' + text); if (R[ev]) react(R[ev], name, ev); };
    if (side === 'c') {
      sock.on('connect', () => line('connect', 'connect'));
      sock.on('ready', () => line('ready', 'ready'));
    }
    sock.on('end', () => line('end', 'end +' + this.leftover(name)));
    sock.on('finish', () => line('finish', 'finish'));
    sock.on('error', (err) => line('error', 'error ' + err.code + ' ' + err.syscall));
    sock.on('close', (hadError) => { line('close', 'close ' + hadError); this.closed(side); });
    sock.on('data', (d) => {
      const t = this.received(side, name, d.length);
      if (t >= 0) {
        line('got', 'got ' + t);
        this.turnDone(side, sock, name);
      }
    });
    this.spec.extras.forEach((x, i) => {
      if (x.side !== side) return;
      const label = name + ' x' + i + ':' + x.ev;
      const on = x.once ? 'once' : 'on';
      if (x.removesNext) {
        // removes the listener after it during the emit: Node calls it anyway
        let victim = null;
        sock[on](x.ev, () => { L(label + ':remover'); sock.off(x.ev, victim); });
        victim = () => L(label + ':victim');
        sock[on](x.ev, victim);
      } else {
        const f = () => L(label);
        sock[on](x.ev, f);
        if (x.removed) sock.off(x.ev, f);
      }
    });
  }
  port() { return this.srv.address().port; }
  accepted() { return this.e + '.s' + (++this.nAccepted); }
  actorOf(j) { return j % 2 === 0 ? this.spec.first : (this.spec.first === 'c' ? 's' : 'c'); }
  expected(j) { return this.spec.turns[j].writes.reduce((a, b) => a + b, 0); }
  // bytes received by 'name'; returns the total when the current turn is complete
  received(side, name, n) {
    const j = this.turnOf.get(name) || 0;
    const c = (this.counts.get(name) || 0) + n;
    this.counts.set(name, c);
    if (j < this.spec.turns.length && this.actorOf(j) !== side && c === this.expected(j)) {
      this.counts.set(name, 0);
      return c;
    }
    return -1;
  }
  // 'name' (side) got turn j's bytes: it acts turn j+1
  turnDone(side, sock, name) {
    this.act(side, sock, name, (this.turnOf.get(name) || 0) + 1);
  }
  leftover(name) { return this.counts.get(name) || 0; }
  act(side, sock, name, j) {
    this.turnOf.set(name, j + 1);
    if (j < this.spec.turns.length) {
      const t = this.spec.turns[j];
      for (const n of t.writes) sock.write(Buffer.alloc(n, 120));
      L(name + ' wrote ' + this.expected(j));
      if (t.pause) {
        sock.pause();
        // own object (name~p): the peer's FIN may be seen before or after the resume
        // (Node emits 'end' on a paused socket whose buffer is empty)
        L(name + '~p pause');
        setTimeout(() => { L(name + '~p resume'); sock.resume(); }, t.pause);
      }
      return;
    }
    const last = this.spec.last;
    L(name + ' last ' + last.action);
    if (last.action === 'end') sock.end();
    else if (last.action === 'endData') sock.end(Buffer.alloc(last.n, 120));
    else if (last.action === 'destroy') sock.destroy();
    else if (last.action === 'reset') sock.resetAndDestroy();
    else if (last.action === 'destroyOnConnect') sock.destroy();
  }
  // the client side right after connect(): the first turn when the client acts first
  afterConnectCall(sock, name) {
    this.turnOf.set(name, 0);
    if (this.spec.last.action === 'connectTwice' && this.spec.turns.length === 0) {
      try { sock.connect(this.port(), '127.0.0.1'); L(name + ' connect twice no-throw'); }
      catch (e) { L(name + ' connect twice threw ' + e.code); }
      return;
    }
    if (this.actorOf(0) === 'c') sock.once('connect', () => this.act('c', sock, name, 0));
  }
  afterAccept(sock, name) {
    this.turnOf.set(name, 0);
    if (this.spec.serverClose === 'afterAccept' && this.nAccepted === this.spec.clients) {
      L(this.e + '.srv close()');
      this.srv.close();
    }
    if (this.actorOf(0) === 's') this.act('s', sock, name, 0);
  }
  closed(side) {
    this.open--;
    if (side === 's') this.sClosed = (this.sClosed || 0) + 1;
    if (this.spec.serverClose === 'afterConns' && side === 's' && this.sClosed === this.nAccepted &&
        this.nAccepted === this.spec.clients) {
      L(this.e + '.srv close()');
      this.srv.close();
    }
    this.maybeDone();
  }
  serverClosed() { this.srvClosed = true; this.maybeDone(); }
  maybeDone() { if (this.srvClosed && this.open <= 0) this.done(); }
}
`.split('\n');

module.exports = { GEN_VERSION, Rand, describe, emitJs, emitCppBody };
