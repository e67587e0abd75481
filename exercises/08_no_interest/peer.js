'use strict';
// peer.js -- part of exercise 08_no_interest's check (check.sh runs it).
//
//   node exercises/08_no_interest/peer.js PORT SERVER_STDOUT_FILE SERVER_PID
//
// Two clients talk to the exercise's server while this script reads the server's
// output file and its CPU time (/proc/PID/stat, utime + stime). Prints one line: "ok",
// or the first thing that went wrong (exit 1).
//   1. client A: "hello" (line 1: hello), "pause" (paused 1), "more": not printed
//      within 500 ms, and no "closed 1": a paused client is neither read nor dropped;
//   2. A resets its connection (RST): the server must stay asleep, at most 0.05 s of
//      CPU in 1.5 s (a descriptor left in the epoll set reports the reset's
//      EPOLLHUP/EPOLLERR on every epoll_wait: a busy loop takes all the CPU it gets,
//      which even on a loaded machine is far more than that; a sleeping one, none);
//   3. client B: "resume 1": "resumed 1", then "closed 1" (the reset, read at last);
//      then "bye" (line 2: bye): the server still serves.
const fs = require('node:fs');
const net = require('node:net');

const [port, outFile, pid] = process.argv.slice(2);
const TICK = 100; // clock ticks per second (USER_HZ)

const lines = () => (fs.existsSync(outFile) ? fs.readFileSync(outFile, 'utf8').split('\n') : []);
const has = (l) => lines().includes(l);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const cpu = () => {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[11]) + Number(rest[12])) / TICK; // fields 14, 15: utime, stime
};
async function waitFor(l, ms = 3000) {
  for (let t = 0; t < ms; t += 20) {
    if (has(l)) return;
    await sleep(20);
  }
  throw new Error(`the server did not print "${l}" within ${ms} ms`);
}
const connect = () => new Promise((resolve, reject) => {
  const s = net.connect(Number(port), '127.0.0.1', () => resolve(s));
  s.on('error', reject);
});

(async () => {
  const a = await connect();
  a.on('error', () => {});
  a.write('hello\n');
  await waitFor('line 1: hello');
  a.write('pause\n');
  await waitFor('paused 1');
  a.write('more\n');
  await sleep(500);
  if (has('line 1: more')) throw new Error('"more", sent after "pause", was read: the client was not paused');
  if (has('closed 1')) throw new Error('pausing client 1 closed it: a paused client must stay connected');

  a.resetAndDestroy(); // RST
  await sleep(200);
  const before = cpu();
  await sleep(1500);
  const used = cpu() - before;
  if (used > 0.05) {
    throw new Error(`after paused client 1 was reset, the server used ${used.toFixed(2)} s of CPU in 1.5 s: ` +
      'epoll_wait(2) never sleeps (EPOLLHUP/EPOLLERR on a descriptor left in the set with no events)');
  }
  if (has('closed 1')) throw new Error('client 1 was closed while paused: a paused client is not read');

  const b = await connect();
  b.on('error', () => {});
  b.write('resume 1\n');
  await waitFor('resumed 1');
  await waitFor('closed 1');
  b.write('bye\n');
  await waitFor('line 2: bye');
  b.destroy();
  console.log('ok');
})().catch((err) => {
  console.log(err.message);
  process.exit(1);
});
