'use strict';
// Scenario tcp_destroy_in_connect: destroy() inside the 'connect' listener.
//
// Node's afterConnect emits 'connect' and then 'ready' from the same function, without
// looking again at the socket's state: 'ready' follows even when the 'connect'
// listener destroyed the socket. Then 'close' (hadError false), and nothing else.
// @diff compare per-object
const net = require('net');

const server = net.createServer((conn) => {
  conn.on('error', (err) => console.log(`server conn error ${err.code}`));
  conn.on('close', () => {
    console.log('server conn close');
    server.close();
  });
  conn.resume();
});
server.listen(0, '127.0.0.1', () => {
  const client = net.connect(server.address().port, '127.0.0.1');
  client.on('connect', () => {
    console.log('client connect');
    client.destroy();
    console.log(`client destroyed=${client.destroyed}`);
  });
  client.on('ready', () => console.log(`client ready destroyed=${client.destroyed}`));
  client.on('data', () => console.log('client data (unexpected)'));
  client.on('end', () => console.log('client end (unexpected)'));
  client.on('close', (hadError) => console.log(`client close ${hadError}`));
});
