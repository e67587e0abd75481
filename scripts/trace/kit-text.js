'use strict';
// kit-text.js: turn the kit's KIT_TRACE=1 text lines ("[trace] -- phase: poll",
// "[trace] poll([ 3r 4r ], timeout=-1 (forever))", "[trace] emit Socket#2 'data' ...")
// into the records of KIT_TRACE=json (its format: posix_impl/trace.hpp).
//
// A stopgap for a kit built before KIT_TRACE=json existed: record.js uses it only when
// a program run with KIT_TRACE=json:PATH left PATH empty (such a kit reads any value
// of KIT_TRACE as "on" and prints text on stderr). The text has no clock, so each
// line's time is when record.js read it from the pipe; every record says
// "converted":true. The records it cannot make: pool start/finish, timers, ticks,
// immediates, the ready list of a poll.

const RE = {
  phase: /^-- phase: (\w+)$/,
  pollCall: /^(poll|epoll_wait)\(\[ ?(.*?) ?\], timeout=(-?\d+)/,
  pollDone: /^(poll|epoll_wait) -> (\d+) ready$/,
  emit: /^emit (\w+)#(\d+) '([^']+)' \((\d+) listeners?\)$/,
  listening: /^server#(\d+) listening on fd (\d+)/,
  accept: /^server#\d+ accept4 -> fd (\d+) \(socket#(\d+)\)$/,
  connect: /^socket#(\d+) connect\((\d+),/,
  udpBound: /^udp#(\d+): fd (\d+) bound/,
  released: /^(\w+)#(\d+) closed and released$/,
  queued: /^threadpool: job queued$/,
  done: /^threadpool: job done/,
  end: /^loop: nothing left to wait for/,
};

/**
 * @param {{t:number,line:string}[]} lines  stderr lines with the time each was read (µs)
 * @param {{pid:number, argv:string[], code:number|null}} proc
 * @returns {object[]} records
 */
function convert(lines, { pid, argv, code }) {
  const out = [];
  let it = 0;
  let phase = null;
  let seenTimers = false;
  let pollCall = null;
  let nextJob = 1;
  const jobs = [];
  const kinds = new Map();   // handle id -> kind, where the text's emit line does not say it
  let t = lines.length ? lines[0].t : 0;
  const put = (rec) => out.push({ t, pid, src: 'kit', it, ...rec, converted: true });
  put({ ev: 'start', argv, poller: process.env.KIT_POLLER === 'epoll' ? 'epoll' : 'poll' });
  for (const { t: when, line: raw } of lines) {
    if (!raw.startsWith('[trace] ')) continue;
    t = Math.max(t, when);
    const line = raw.slice('[trace] '.length);
    let m;
    if ((m = RE.phase.exec(line))) {
      if (phase !== null) put({ ev: 'phase', phase, edge: 'leave' });
      if (m[1] === 'timers') { if (seenTimers) it += 1; seenTimers = true; }
      phase = m[1];
      put({ ev: 'phase', phase, edge: 'enter' });
    } else if ((m = RE.pollCall.exec(line))) {
      const fds = m[2].split(/\s+/).filter(Boolean).map((f) => {
        const [, fd, events] = /^(\d+)(\w*)$/.exec(f) || [null, f, ''];
        return { fd: Number(fd), events };
      });
      pollCall = { t, syscall: m[1], timeout: Number(m[3]), fds };
    } else if ((m = RE.pollDone.exec(line))) {
      const call = pollCall || { t, syscall: m[1], timeout: null, fds: [] };
      put({ ev: 'poll', syscall: call.syscall, timeout: call.timeout, fds: call.fds,
            slept_us: t - call.t, ready: [], detail: `${m[2]} ready` });
      pollCall = null;
    } else if ((m = RE.emit.exec(line))) {
      // the text names a UDP socket "Socket#N" too: its handle line said udp#N
      put({ ev: 'emit', kind: kinds.get(Number(m[2])) || m[1].toLowerCase(), id: Number(m[2]), name: m[3], listeners: Number(m[4]) });
    } else if ((m = RE.listening.exec(line))) {
      put({ ev: 'handle', op: 'open', kind: 'server', id: Number(m[1]), fd: Number(m[2]) });
    } else if ((m = RE.accept.exec(line))) {
      put({ ev: 'handle', op: 'open', kind: 'socket', id: Number(m[2]), fd: Number(m[1]) });
    } else if ((m = RE.connect.exec(line))) {
      put({ ev: 'handle', op: 'open', kind: 'socket', id: Number(m[1]), fd: Number(m[2]) });
    } else if ((m = RE.udpBound.exec(line))) {
      kinds.set(Number(m[1]), 'udp');
      put({ ev: 'handle', op: 'open', kind: 'udp', id: Number(m[1]), fd: Number(m[2]) });
    } else if ((m = RE.released.exec(line))) {
      if (m[1] !== 'timer') put({ ev: 'handle', op: 'close', kind: m[1], id: Number(m[2]) });
    } else if (RE.queued.test(line)) {
      jobs.push(nextJob);
      put({ ev: 'pool', op: 'submit', job: nextJob++, what: 'job' });
    } else if (RE.done.test(line)) {
      put({ ev: 'pool', op: 'callback', job: jobs.length ? jobs.shift() : 0 });
    } else if (RE.end.test(line)) {
      if (phase !== null) put({ ev: 'phase', phase, edge: 'leave' });
      phase = null;
    }
  }
  if (phase !== null) put({ ev: 'phase', phase, edge: 'leave' });
  if (code !== null && code !== undefined) put({ ev: 'exit', code });
  return out;
}

module.exports = { convert };
