'use strict';
// timers_close.js: Node's side of `make bench`'s timer row, the twin of
// bench/timers_close.cpp (read its comment). Prints the timers fired and the
// milliseconds from the first setTimeout to the process's 'exit'.
//
// Usage: node bench/timers_close.js [N]   (default 1000000)
const count = Number(process.argv[2] || 1000000);
const start = process.hrtime.bigint();
let fired = 0;
for (let i = 0; i < count; i++) setTimeout(() => { fired++; }, 1);
process.on('exit', () => {
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  console.log(`${fired} ${ms.toFixed(1)}`);
  if (fired !== count) process.exitCode = 1;
});
