'use strict';
// Scenario tcp_reset_while_paused: an RST reaches a socket that was paused with data
// not yet delivered. The kit used to read nothing while paused (docs/differences.md,
// section 3): it guards that fix.
//
// The server pauses `conn` as soon as it is accepted. The client writes 10 bytes and,
// 100 ms later, resets the connection; 200 ms after the client's 'close' the server
// resumes `conn`.
// Node, and the kit: pause() only stops 'data' events; the stream keeps reading from
// the kernel into its own buffer (up to its 16 KiB highWaterMark), so the RST is read
// while paused: 'error' ECONNRESET and 'close(true)' come at once and the 10 bytes are
// never delivered. (Before the fix the kit read nothing while paused: 'data 10' and
// the reset came only after resume().)
// @diff compare per-object
const net = require('net');

let conn = null;
const server = net.createServer((c) => {
  conn = c;
  console.log('server connection');
  conn.pause();
  console.log(`conn paused isPaused=${conn.isPaused()}`);
  conn.on('data', (d) => console.log(`conn data ${d.length}`));
  conn.on('end', () => console.log('conn end (unexpected)'));
  conn.on('error', (err) => console.log(`conn error ${err.code} ${err.syscall}`));
  conn.on('close', (hadError) => {
    console.log(`conn close ${hadError}`);
    server.close(() => console.log('server close'));
  });
});
server.listen(0, '127.0.0.1', () => {
  const client = net.connect(server.address().port, '127.0.0.1', () => {
    console.log('client connect');
    client.write('0123456789');
    setTimeout(() => {
      console.log('client resetAndDestroy()');
      client.resetAndDestroy();
    }, 100);
  });
  client.on('error', (err) => console.log(`client error ${err.code} (unexpected)`));
  client.on('close', (hadError) => {
    console.log(`client close ${hadError}`);
    setTimeout(() => {
      console.log(`conn resume() destroyed=${conn.destroyed}`);
      conn.resume();
    }, 200);
  });
});
