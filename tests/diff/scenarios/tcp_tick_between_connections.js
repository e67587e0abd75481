'use strict';
// Scenario tcp_tick_between_connections: nextTick runs between two 'connection' events
// of one wake-up.
//
// Three clients connect while the main thread is blocked for 100 ms, so the kernel
// completes the three handshakes and the server's next wake-up accepts all three.
// Node calls onconnection once per accepted socket, each a callback from C++ after
// which the nextTick queue is drained: connection 1, tick 1, connection 2, tick 2...
// Only the server's lines are printed: the clients' events interleave with them in
// descriptor order.
const net = require('net');

function block(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

let count = 0;
const clients = [];
const server = net.createServer((conn) => {
  const n = ++count;
  console.log(`server connection ${n}`);
  process.nextTick(() => console.log(`server tick ${n}`));
  conn.destroy();
  if (n === 3) server.close(() => console.log('server close'));
});
server.listen(0, '127.0.0.1', () => {
  const port = server.address().port;
  for (let i = 0; i < 3; i++) {
    const c = net.connect(port, '127.0.0.1');
    c.on('error', () => {});
    c.resume();
    clients.push(c);
  }
  // After the ticks that start the three connect(2) calls: hold the loop.
  process.nextTick(() => process.nextTick(() => block(100)));
});
