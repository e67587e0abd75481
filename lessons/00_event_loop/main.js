// Lesson 00 in Node.js: the twin of main.cpp. Same parts, same lines, same order.
//
// [doc INTRO.1] one thread runs every callback, when the event it is bound to happens.
//
//   node lessons/00_event_loop/main.js
'use strict';

const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

// ---------------------------------------------------------------- Part 1: main program
// Runs to the end before the event loop turns once.
console.log('main program: starts, on the main thread');

// main.cpp writes these words into a pipe. A script cannot create a pipe, so the twin
// puts them in a file of its own (in a fresh temporary directory) and reads it in Part 4.
const MESSAGE = 'one thread, events and callbacks';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lesson00-'));
const file = path.join(dir, 'message.txt');
fs.writeFileSync(file, MESSAGE);
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));

// ---------------------------------------------------------------- Part 2: nextTick
process.nextTick(() => {
  console.log("nextTick: after the main program, before the loop's first phase");
});

// ---------------------------------------------------------------- Part 3: thread pool
// pbkdf2 runs on one of libuv's 4 pool threads; its callback runs on the main thread,
// in the poll phase. (JavaScript cannot see the worker, so the first line is a fact
// about libuv, which main.cpp checks with std::this_thread::get_id().)
crypto.pbkdf2('secret', 'salt', 10000, 32, 'sha256', () => {
  console.log('thread-pool job: ran on a pool thread');
  console.log('thread-pool callback: runs on the main thread, in the poll phase');

  // ---------------------------------------------------------- Part 4: I/O
  // Started here so that it comes after Part 3. fs.readFile also runs on the pool
  // (poll(2) cannot wait for a disk file); its callback, like main.cpp's pipe watcher
  // callback, runs in the poll phase.
  fs.readFile(file, 'utf8', (err, text) => {
    if (err) throw err;
    console.log(`I/O callback: read '${text}' in the poll phase`);

    // -------------------------------------------------------- Part 5: inside I/O
    // Poll phase now: check (setImmediate) comes next in this turn; timers at the
    // start of the next turn at the earliest, and only once the 1 ms a timeout of 0
    // really is has passed. nextTick runs as soon as this callback returns.
    setTimeout(() => console.log('setTimeout 0: timers phase of a later turn'), 0);
    setImmediate(() => console.log('setImmediate: check phase of the same turn'));
    process.nextTick(() => console.log('nextTick: right after the I/O callback'));
  });
});

console.log('main program: ends; now the event loop runs');

// ---------------------------------------------------------------- Part 6: exit
// Node exits by itself when the loop has nothing left; 'exit' is emitted then.
process.on('exit', () => console.log('exit: nothing left to wait for'));
