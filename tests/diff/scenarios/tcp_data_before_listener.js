'use strict';
// Scenario tcp_data_before_listener: bytes that arrive before anyone listens to 'data'.
// The kit used to lose them (docs/differences.md, section 3): it guards that fix.
//
// The client writes 10 bytes and ends as soon as it is connected. The server's `conn`
// gets its 'data' listener only 200 ms after the connection.
// Node, and the kit: a Readable that nobody consumes does not flow; the bytes wait in
// its buffer, the FIN behind them, and adding the 'data' listener starts the flow:
// 'data 10', then 'end', then the server ends its side and the client closes.
// (Before the fix the kit emitted the bytes to no listener and 'end' came at once.)
// @diff compare per-object
const net = require('net');

const server = net.createServer((conn) => {
  console.log('server connection');
  conn.on('end', () => console.log('conn end'));
  conn.on('close', () => {
    console.log(`conn close bytesRead=${conn.bytesRead}`);
    server.close();
  });
  setTimeout(() => {
    console.log('conn on(data) added');
    conn.on('data', (d) => console.log(`conn data ${d.length}`));
  }, 200);
});
server.listen(0, '127.0.0.1', () => {
  const client = net.connect(server.address().port, '127.0.0.1', () => client.end('0123456789'));
  client.on('close', (hadError) => console.log(`client close ${hadError}`));
});
