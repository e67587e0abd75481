'use strict';
// Scenario tcp_reconnect_after_close: the retry pattern, connect() again from the
// 'close' listener of a socket that was refused.
//
// argv[2] is a port where nobody listens. The client is refused there ('error'
// ECONNREFUSED, then 'close' with hadError true); its 'close' listener calls connect()
// again on the same socket, to a server that listens. Node re-initialises a destroyed
// socket on connect() (Socket.prototype.connect calls _undestroy()): the second attempt
// connects, 'connect' and 'ready' follow, and the socket ends normally, 'close' false.
// @diff ports 1
// @diff compare per-object
const net = require('net');

const refusedPort = Number(process.argv[2]);
const server = net.createServer((conn) => {
  console.log('server connection');
  conn.on('end', () => console.log('server conn end'));
  conn.on('close', () => {
    console.log('server conn close');
    server.close();
  });
});
server.listen(0, '127.0.0.1', () => {
  const port = server.address().port;
  const client = new net.Socket();
  let attempts = 1;
  client.on('connect', () => {
    console.log(`client connect attempt=${attempts} destroyed=${client.destroyed}`);
    client.end();
  });
  client.on('ready', () => console.log('client ready'));
  client.on('end', () => console.log('client end'));
  client.on('error', (err) => console.log(`client error ${err.code} ${err.syscall} attempt=${attempts}`));
  client.on('close', (hadError) => {
    console.log(`client close ${hadError} destroyed=${client.destroyed}`);
    if (attempts === 1) {
      attempts++;
      client.connect(port, '127.0.0.1');
      console.log(`client connect() again connecting=${client.connecting} destroyed=${client.destroyed}`);
    }
  });
  client.connect(refusedPort, '127.0.0.1');
});
