'use strict';
// Scenario tcp_client_ends_first: a normal upload. The client connects, writes 10
// bytes and calls end(); the server's side of the connection (`conn`) reads them.
//
// Events to compare (docs/node-oracle.md section 3):
//   client: connect, ready (back to back: what the 'connect' listener does runs
//           before 'ready'), finish (our FIN is out), end (the server's FIN), close(false)
//   conn:   data 10, end (the client's FIN), finish (allowHalfOpen is false, so the
//           server ends its side at once), close(false)
//   server: listening, connection, and close once its only connection has closed
// Both sides live in this one process, so the order *between* client and conn lines
// depends on which descriptor poll(2)/epoll reports first: compared per object.
// @diff compare per-object
const net = require('net');

const server = net.createServer((conn) => {
  console.log('server connection');
  conn.on('data', (d) => console.log(`conn data ${d.length}`));
  conn.on('end', () => console.log('conn end'));
  conn.on('finish', () => console.log('conn finish'));
  conn.on('error', (err) => console.log(`conn error ${err.code} ${err.syscall}`));
  conn.on('close', (hadError) => {
    console.log(`conn close ${hadError} bytesRead=${conn.bytesRead}`);
    server.close();
  });
});
server.on('close', () => console.log('server close'));
server.listen(0, '127.0.0.1', () => {
  console.log('server listening');
  const client = net.connect(server.address().port, '127.0.0.1');
  console.log(`client connect() returned connecting=${client.connecting}`);
  client.on('connect', () => {
    console.log(`client connect connecting=${client.connecting}`);
    const ok = client.write('0123456789');
    console.log(`client write() returned ${ok}`);
    client.end();
  });
  client.on('ready', () => console.log('client ready'));
  client.on('data', (d) => console.log(`client data ${d.length}`));
  client.on('end', () => console.log('client end'));
  client.on('finish', () => console.log('client finish'));
  client.on('error', (err) => console.log(`client error ${err.code} ${err.syscall}`));
  client.on('close', (hadError) => console.log(`client close ${hadError} destroyed=${client.destroyed}`));
});
