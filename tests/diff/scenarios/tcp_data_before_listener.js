'use strict';
// Scenario tcp_data_before_listener: bytes that arrive before anyone listens to 'data'.
// A KNOWN DIFFERENCE (docs/differences.md, "Data with no 'data' listener"): see
// tcp_data_before_listener.expected.
//
// The client writes 10 bytes and ends as soon as it is connected. The server's `conn`
// gets its 'data' listener only 200 ms after the connection.
// Node: a Readable that nobody consumes does not flow; the bytes wait in its buffer,
// and adding the 'data' listener starts the flow: 'data 10', then 'end'.
// The kit: the socket reads at once and emits 'data' to no listener, so the bytes are
// gone; 'end' (the client's FIN) comes before the listener exists, and the listener,
// added later, never runs.
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
