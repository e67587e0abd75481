'use strict';
// Scenario tcp_write_after_end: write() after end().
//
// Once end() has been called the socket's writable side is closing: a later write()
// returns false and destroys the socket at once with ERR_STREAM_WRITE_AFTER_END
// ("write after end"): 'error' on the next tick, then 'close' with hadError true.
// A write() on a socket already destroyed only returns false: no second 'error'.
// The server's side sees the FIN that end() sent (or a reset, as the client closed
// with the FIN in flight: not printed, it depends on timing).
// @diff compare per-object
const net = require('net');

const server = net.createServer((conn) => {
  conn.on('error', () => {});
  conn.on('close', () => server.close(() => console.log('server close')));
});
server.listen(0, '127.0.0.1', () => {
  const client = net.connect(server.address().port, '127.0.0.1', () => {
    console.log('client connect');
    client.end();
    const ok = client.write('x');
    console.log(`client write() after end() returned ${ok} destroyed=${client.destroyed}`);
    const again = client.write('y');
    console.log(`client write() after destroy returned ${again}`);
  });
  client.on('finish', () => console.log('client finish (unexpected)'));
  client.on('error', (err) => console.log(`client error ${err.code} message "${err.message}"`));
  client.on('close', (hadError) => console.log(`client close ${hadError}`));
});
