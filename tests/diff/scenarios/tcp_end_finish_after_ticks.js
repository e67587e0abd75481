'use strict';
// Scenario tcp_end_finish_after_ticks: end() with nothing queued never emits 'finish'
// before the ticks queued after it.
//
// Node's Writable.end() calls Socket._final, which asks libuv for a shutdown
// (uv_shutdown). libuv only starts watching the socket for POLLOUT: shutdown(2) runs in
// a later poll phase, and 'finish' comes on a tick after that. So a process.nextTick
// queued after end() in the same callback runs before 'finish'. (Found by the
// randomized differential test, seed 95: the kit emitted 'finish' from a tick queued
// by end() itself.)
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
    process.nextTick(() => {
      console.log('client tick after end()');
      process.nextTick(() => console.log('client tick queued by that tick'));
    });
  });
  client.on('finish', () => console.log('client finish'));
  client.on('end', () => console.log('client end'));
  client.on('close', (hadError) => console.log(`client close hadError=${hadError}`));
  client.resume();
});
