'use strict';
// Scenario tcp_reset: the client resets the connection (RST) instead of ending it.
//
// The client writes 10 bytes; once the server's `conn` has read them, the client calls
// resetAndDestroy(): SO_LINGER with a zero timeout, then close(2), so the kernel sends
// RST instead of FIN. The server's next read(2) fails with ECONNRESET: `conn` gets
// 'error' (syscall 'read') and 'close' with hadError true; it never gets 'end'. The
// client itself closes without error. (With no 'error' listener on `conn` this is what
// kills the lesson 01 server: see the unhandled_error_* scenarios.)
// @diff compare per-object
const net = require('net');

let client = null;
const server = net.createServer((conn) => {
  console.log('server connection');
  conn.on('data', (d) => {
    console.log(`conn data ${d.length}`);
    client.resetAndDestroy();
    console.log(`client resetAndDestroy() returned destroyed=${client.destroyed}`);
  });
  conn.on('end', () => console.log('conn end (unexpected)'));
  conn.on('error', (err) => {
    console.log(`conn error ${err.code} ${err.syscall} errno=${err.errno}`);
    console.log(`conn error message "${err.message}"`);
  });
  conn.on('close', (hadError) => {
    console.log(`conn close ${hadError}`);
    server.close(() => console.log('server close'));
  });
});
server.listen(0, '127.0.0.1', () => {
  client = net.connect(server.address().port, '127.0.0.1', () => {
    console.log('client connect');
    client.write('0123456789');
  });
  client.on('error', (err) => console.log(`client error ${err.code} (unexpected)`));
  client.on('close', (hadError) => console.log(`client close ${hadError}`));
});
