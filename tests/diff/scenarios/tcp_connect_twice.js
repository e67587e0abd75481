'use strict';
// Scenario tcp_connect_twice: connect() again while the first connect() is in progress.
//
// Node reuses the socket's handle, and libuv refuses a second connect on a handle that
// is connecting (uv__tcp_connect: EALREADY). The socket is destroyed with that error:
// 'error' EALREADY (syscall 'connect', the address and port), then 'close' true; never
// 'connect'. Only one connection reaches the server, and it closes when the client's
// descriptor does.
// @diff compare per-object
const net = require('net');

const server = net.createServer((conn) => {
  console.log('server connection');
  conn.on('error', (err) => console.log(`server conn error ${err.code}`));
  conn.on('close', () => {
    console.log('server conn close');
    server.close();
  });
  conn.resume();
});
server.listen(0, '127.0.0.1', () => {
  const port = server.address().port;
  const client = net.connect(port, '127.0.0.1');
  client.on('connect', () => console.log('client connect (unexpected)'));
  client.on('error', (err) =>
    console.log(`client error ${err.code} ${err.syscall} ${err.address} port=${err.port === port ? 'PORT' : err.port}`));
  client.on('close', (hadError) => console.log(`client close ${hadError} destroyed=${client.destroyed}`));
  client.connect(port, '127.0.0.1');
  console.log(`client connect() again connecting=${client.connecting}`);
});
