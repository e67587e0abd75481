'use strict';
// Scenario tcp_close_order: the order of 'close' events when several handles close in
// one callback. Compared in order (one object per line does not matter here).
//
// A socket's 'close' comes from libuv's close callback, run in the loop's close phase;
// libuv keeps the handles closed during a turn in a list it pushes onto at the front
// (uv__make_close_pending), so the last handle closed emits 'close' first. A server's
// 'close' is different: it is emitted with process.nextTick once it has stopped
// listening and its last connection is destroyed, so it comes before both.
const net = require('net');

let client = null;
const server = net.createServer((conn) => {
  conn.on('close', (hadError) => console.log(`conn close ${hadError}`));
  setTimeout(() => {
    server.close(() => console.log('server close'));
    console.log('destroying conn, then client');
    conn.destroy();
    client.destroy();
    console.log('destroy() calls returned');
  }, 20);
});
server.listen(0, '127.0.0.1', () => {
  client = net.connect(server.address().port, '127.0.0.1');
  client.on('close', (hadError) => console.log(`client close ${hadError}`));
});
