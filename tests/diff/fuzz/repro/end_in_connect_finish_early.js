'use strict';
// NEW defect found by the randomized differential test (tests/diff/fuzz, seed 95):
// end() on a socket with nothing queued, called in 'connect': Node sends the FIN
// through libuv's shutdown request, which completes in a later loop phase, so 'finish'
// comes after every nextTick queued in the same callback, after end(). The kit emits
// 'finish' from a nextTick queued by end() itself: a tick queued after end() runs after
// 'finish'. Node prints: connect, tick, finish; the kit: connect, finish, tick.
const net = require('net');

const server = net.createServer((conn) => {
  conn.resume();
  conn.on('close', () => server.close());
});
server.listen(0, '127.0.0.1', () => {
  const client = net.connect(server.address().port, '127.0.0.1');
  client.on('connect', () => {
    console.log('client connect');
    client.end();
    process.nextTick(() => console.log('client tick after end()'));
  });
  client.on('finish', () => console.log('client finish'));
  client.resume();
});
