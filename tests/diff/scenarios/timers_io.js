'use strict';
// Scenario timers_io: setTimeout(0), setImmediate and nextTick scheduled from inside
// I/O callbacks, which run in the loop's poll phase.
//
// Node guarantees the order here (docs/node-oracle.md section 5): the nextTick first
// (right after the callback), then the immediate (the check phase follows the poll
// phase), then the timeout (the timers phase of the next turn). Three I/O callbacks:
// an fs.writeFile completion (the thread pool), a server's 'connection' (accept) and
// a socket's 'data' (read). Each step starts the next, so the whole trace is ordered:
// the client writes only once the server's 'data' listener is in place.
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');

function scheduleAll(name, next) {
  setTimeout(() => {
    console.log(`${name}: setTimeout 0`);
    next();
  }, 0);
  setImmediate(() => console.log(`${name}: setImmediate`));
  process.nextTick(() => console.log(`${name}: nextTick`));
  console.log(`${name}: callback`);
}

const file = path.join(os.tmpdir(), `kit-diff-timers-${process.pid}.txt`);
fs.writeFile(file, Buffer.from('x'), (err) => {
  if (err) throw err;
  scheduleAll('writeFile', () => {
    fs.unlinkSync(file);
    let client = null;
    const server = net.createServer((conn) => {
      scheduleAll('connection', () => {
        conn.on('data', () => {
          scheduleAll('data', () => {
            conn.destroy();
            server.close();
          });
        });
        client.end('hello');
      });
    });
    server.listen(0, '127.0.0.1', () => {
      client = net.connect(server.address().port, '127.0.0.1');
    });
  });
});
