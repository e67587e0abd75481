'use strict';
// Scenario timers_list_order: Node runs timers list by list, one list per duration.
//
// lib/internal/timers.js keeps one list per duration (timerListMap), ordered in a
// priority queue by the list's expiry; within a list, timers run in insertion order.
// Here a 1 ms timer `c` and a 2 ms timer `a` are scheduled, then, 3 ms later, a second
// 1 ms timer `b`; then the main program blocks, so all three are due in the first
// timers pass. The 1 ms list (expiry t+1) runs first, `c` then `b`, and only then the
// 2 ms list: `a`, although `b` is due 2 ms after `a`. The same pattern scheduled from
// a timer callback (`f`, `d`, then `e`) gives the same order in a later pass.
function block(ms) {
  const end = Date.now() + ms;
  while (Date.now() < end);
}

setTimeout(() => console.log('c 1ms'), 1);
setTimeout(() => {
  console.log('a 2ms');
  setTimeout(() => console.log('f 1ms'), 1);
  setTimeout(() => console.log('d 2ms'), 2);
  block(3);
  setTimeout(() => console.log('e 1ms, 3 ms after d'), 1);
  block(10);
}, 2);
block(3);
setTimeout(() => console.log('b 1ms, 3 ms after a'), 1);
block(10);
