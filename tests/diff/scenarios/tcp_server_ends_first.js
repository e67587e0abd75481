'use strict';
// Scenario tcp_server_ends_first: the server answers and ends first. On 'connection'
// the server writes 10 bytes and calls end(); the client only reads.
//
// Events to compare:
//   conn:   finish (its FIN is out), end (the client's FIN, sent because the client
//           ends its side as soon as it reads ours: allowHalfOpen false), close(false)
//   client: connect, ready, data 10, end, finish, close(false)
// Compared per object, as in tcp_client_ends_first.
// @diff compare per-object
const net = require('net');

const server = net.createServer((conn) => {
  console.log('server connection');
  conn.on('data', (d) => console.log(`conn data ${d.length}`));
  conn.on('end', () => console.log('conn end'));
  conn.on('finish', () => console.log('conn finish'));
  conn.on('error', (err) => console.log(`conn error ${err.code} ${err.syscall}`));
  conn.on('close', (hadError) => {
    console.log(`conn close ${hadError} bytesWritten=${conn.bytesWritten}`);
    server.close();
  });
  const ok = conn.write('0123456789');
  console.log(`conn write() returned ${ok}`);
  conn.end();
});
server.on('close', () => console.log('server close'));
server.listen(0, '127.0.0.1', () => {
  console.log('server listening');
  const client = net.connect(server.address().port, '127.0.0.1');
  client.on('connect', () => console.log('client connect'));
  client.on('ready', () => console.log('client ready'));
  client.on('data', (d) => console.log(`client data ${d.length}`));
  client.on('end', () => console.log('client end'));
  client.on('finish', () => console.log('client finish'));
  client.on('error', (err) => console.log(`client error ${err.code} ${err.syscall}`));
  client.on('close', (hadError) => console.log(`client close ${hadError} bytesRead=${client.bytesRead}`));
});
