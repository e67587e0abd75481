'use strict';
// Scenario timers_main: timers, immediates and nextTick scheduled by the main program.
//
// Only what Node guarantees is compared (docs/node-oracle.md section 5). From the main
// program, whether setTimeout(0) or setImmediate runs first is NOT guaranteed (it
// depends on how long the process took to reach the loop), so timeouts and immediates
// are separate objects, compared per object. What is guaranteed, and checked:
//   - the nextTick queue runs right after the main program, before any timer or
//     immediate, including ticks queued by ticks (ticksRun=2 everywhere below);
//   - delays of 0, -5 and NaN become 1 ms, so A (1), B (0), C (-5) and D (NaN) run in
//     the order they were scheduled, and E (2 ms) after them;
//   - a tick queued by a timer callback runs before the next timer callback;
//   - a cleared timeout or immediate never runs;
//   - an interval repeats until cleared;
//   - immediates run in order, and one queued by an immediate runs in the next check
//     phase, after the others already queued.
// @diff compare per-object
let ticksRun = 0;

console.log('main start');
setTimeout(() => {
  console.log(`timeout A(1) ticksRun=${ticksRun}`);
  process.nextTick(() => console.log('timeout tick queued by A runs before B'));
}, 1);
setTimeout(() => console.log('timeout B(0)'), 0);
setTimeout(() => console.log('timeout C(-5)'), -5);
setTimeout(() => console.log('timeout D(NaN)'), NaN);
setTimeout(() => console.log('timeout E(2)'), 2);
const cleared = setTimeout(() => console.log('timeout cleared (unexpected)'), 1);
clearTimeout(cleared);

let n = 0;
const interval = setInterval(() => {
  n++;
  console.log(`interval run ${n}`);
  if (n === 3) clearInterval(interval);
}, 5);

setImmediate(() => {
  console.log(`immediate I1 ticksRun=${ticksRun}`);
  setImmediate(() => console.log('immediate I3 (queued by I1)'));
});
setImmediate(() => console.log('immediate I2'));
const clearedImmediate = setImmediate(() => console.log('immediate cleared (unexpected)'));
clearImmediate(clearedImmediate);

process.nextTick(() => {
  ticksRun++;
  console.log('tick T1');
  process.nextTick(() => {
    ticksRun++;
    console.log('tick T2 (queued by T1)');
  });
});
console.log('main end');
